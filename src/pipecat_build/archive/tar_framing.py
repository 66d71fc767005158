"""Members -> the exact tar byte stream of Python's tarfile (PAX), cut into full buffers.

Small files are packed together into large buffers so the compressor sees few, big calls;
large files are read straight into the buffers (no intermediate copies). Every buffer but
the last is full, so the cut points depend only on the tar bytes and the buffer size.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import InputError
from .display import display_path
from .members import Member
from .pipeline import Halt
from .write_errors import ContextChangedError

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
_ZEROS = memoryview(bytes(RECORD))


@dataclass(slots=True)
class Chunk:
    """A filled buffer of tar bytes; content_done counts file bytes framed so far."""

    buffer: bytearray
    length: int
    content_done: int


@dataclass(frozen=True, slots=True)
class TarTotals:
    """What the gzip trailer and the result need once the whole stream is framed."""

    crc32: int
    tar_bytes: int
    content_bytes: int
    file_count: int


def _ustar_template() -> bytes:
    """A regular-file ustar block as tarfile writes it, all but name/mode/size/checksum."""
    info = tarfile.TarInfo("")
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    return info.tobuf(tarfile.USTAR_FORMAT, "ascii", "replace")


_TEMPLATE = _ustar_template()
_MAX_NAME = 100  # tarfile.LENGTH_NAME: longer names go to a PAX "path" record
_MAX_SIZE = 8**11  # a larger size goes to a PAX "size" record


def tar_header(member: Member) -> bytes:
    """The header tarfile.addfile writes for this member in the official CLI's archive.

    Names that are ASCII and short enough need no PAX record: the ustar block is filled in
    here directly (tarfile costs ~40 us a file, which shows on contexts of many small files).
    """
    name = member.arcname
    if not (name.isascii() and 0 < len(name) <= _MAX_NAME and 0 <= member.size < _MAX_SIZE):
        info = tarfile.TarInfo(name)
        info.size = member.size
        info.mtime = 0
        info.mode = member.mode
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")
    block = bytearray(_TEMPLATE)
    block[: len(name)] = name.encode("ascii")
    block[100:108] = b"%07o\x00" % (member.mode & 0o7777)
    block[124:136] = b"%011o\x00" % member.size
    block[148:156] = b"        "
    block[148:155] = b"%06o\x00" % sum(block)
    return bytes(block)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


class TarFramer:
    """Fills buffers from take_buffer with tar bytes and hands each full one to emit."""

    def __init__(
        self, take_buffer: Callable[[], bytearray], emit: Callable[[Chunk], None], halt: Halt
    ) -> None:
        self._take = take_buffer
        self._emit = emit
        self._halt = halt
        self._buffer = take_buffer()
        self._view = memoryview(self._buffer)
        self._size = len(self._buffer)
        self._pos = 0
        self._flushed = 0
        self._crc = 0
        self._content = 0

    def run(self, members: Iterable[Member]) -> TarTotals:
        count = 0
        for member in members:
            self._halt.check()
            self._copy(tar_header(member))
            self._copy_file(member)
            self._copy(_ZEROS[: -member.size % BLOCK])
            count += 1
        self._copy(_ZEROS[: 2 * BLOCK])
        self._copy(_ZEROS[: -(self._flushed + self._pos) % RECORD])
        if self._pos:
            self._flush()
        return TarTotals(self._crc, self._flushed, self._content, count)

    def _flush(self) -> None:
        self._crc = zlib.crc32(self._view[: self._pos], self._crc)
        self._emit(Chunk(self._buffer, self._pos, self._content))
        self._flushed += self._pos
        self._view.release()
        self._buffer = self._take()
        self._view = memoryview(self._buffer)
        self._pos = 0

    def _copy(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            if self._pos == self._size:
                self._flush()
            n = min(self._size - self._pos, len(view))
            self._view[self._pos : self._pos + n] = view[:n]
            self._pos += n
            view = view[n:]

    def _copy_file(self, member: Member) -> None:
        """Read exactly member.size bytes, asking for one more to notice a file that grew."""
        remaining = member.size
        try:
            fd = os.open(member.path, os.O_RDONLY)  # non-inheritable (PEP 446)
        except OSError as error:
            raise InputError(
                "context", f"cannot read {display_path(member.arcname)}: {_reason(error)}"
            ) from None
        try:
            while True:
                if self._pos == self._size:
                    self._halt.check()
                    self._flush()
                want = min(self._size - self._pos, remaining + 1)
                try:
                    got = os.readv(fd, (self._view[self._pos : self._pos + want],))
                except OSError as error:
                    raise InputError(
                        "context", f"cannot read {display_path(member.arcname)}: {_reason(error)}"
                    ) from None
                if got > remaining:
                    raise ContextChangedError(member.arcname, member.size, "larger")
                self._pos += got
                self._content += got
                remaining -= got
                if got < want:  # a short read from a regular file is its end
                    if remaining == 0:
                        return
                    if got == 0:
                        raise ContextChangedError(
                            member.arcname, member.size, f"{member.size - remaining} bytes"
                        )
        finally:
            os.close(fd)
