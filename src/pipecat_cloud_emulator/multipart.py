"""A streaming multipart/form-data reader: constant memory whatever the upload size.

Reads the body in 1 MiB chunks and finds boundaries with bytes.find, so a large
upload costs a few memory copies per chunk, not Python work per byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

CHUNK = 1 << 20
_MAX_HEADER_BLOCK = 16 * 1024
_PARAM = re.compile(r';\s*([A-Za-z0-9_.*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


class MalformedMultipart(Exception):
    """The body is not well-formed multipart/form-data."""


class IncompleteBody(Exception):
    """The client sent fewer bytes than its Content-Length announced."""


class BodySource:
    """At most `length` bytes of a socket stream, handed out in large chunks."""

    def __init__(self, read: Callable[[int], bytes], length: int) -> None:
        self._read = read
        self.remaining = length

    def read(self) -> bytes:
        if self.remaining <= 0:
            return b""
        data = self._read(min(CHUNK, self.remaining))
        if not data:
            raise IncompleteBody(f"{self.remaining} bytes missing")
        self.remaining -= len(data)
        return data

    def drain(self) -> None:
        while self.read():
            pass


@dataclass(frozen=True)
class PartHeader:
    name: str | None
    filename: str | None
    content_type: str | None


def boundary_of(content_type: str) -> bytes | None:
    """The boundary parameter of a multipart/form-data Content-Type, or None."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        return None
    for match in _PARAM.finditer(";" + params):
        if match.group(1).lower() == "boundary":
            value = match.group(2) if match.group(2) is not None else match.group(3)
            return value.encode("latin-1") if value else None
    return None


def _parse_part_header(block: bytes) -> PartHeader:
    name = filename = content_type = None
    for line in block.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep:
            raise MalformedMultipart(f"bad part header line {line!r}")
        key = key.strip().lower()
        if key == "content-disposition":
            for match in _PARAM.finditer(value[value.find(";") :] if ";" in value else ""):
                raw = match.group(2) if match.group(2) is not None else match.group(3)
                raw = re.sub(r"\\(.)", r"\1", raw)
                if match.group(1).lower() == "name":
                    name = raw
                elif match.group(1).lower() == "filename":
                    filename = raw
        elif key == "content-type":
            content_type = value.strip()
    return PartHeader(name, filename, content_type)


class MultipartReader:
    """Iterate parts; each part's body must be consumed (body()) before the next part."""

    def __init__(self, source: BodySource, boundary: bytes) -> None:
        self._source = source
        # A leading CRLF makes the first delimiter look like every later one.
        self._buf = b"\r\n"
        self._delim = b"\r\n--" + boundary
        self._started = False
        self._finished = False

    def _fill(self) -> None:
        more = self._source.read()
        if not more:
            raise MalformedMultipart("body ended inside the multipart structure")
        self._buf += more

    def _skip_through_delimiter(self) -> None:
        for _chunk in self.body():
            pass

    def parts(self) -> Iterator[PartHeader]:
        if not self._started:
            self._started = True
            self._skip_through_delimiter()
        while not self._finished:
            while len(self._buf) < 2:
                self._fill()
            if self._buf.startswith(b"--"):
                self._finished = True
                return
            while (end := self._buf.find(b"\r\n")) < 0:
                if len(self._buf) > 256:
                    raise MalformedMultipart("garbage after boundary")
                self._fill()
            if self._buf[:end].strip(b" \t"):
                raise MalformedMultipart("garbage after boundary")
            self._buf = self._buf[end + 2 :]
            yield self._read_header()

    def _read_header(self) -> PartHeader:
        while True:
            if self._buf.startswith(b"\r\n"):
                self._buf = self._buf[2:]
                return PartHeader(None, None, None)
            end = self._buf.find(b"\r\n\r\n")
            if end >= 0:
                block, self._buf = self._buf[:end], self._buf[end + 4 :]
                return _parse_part_header(block)
            if len(self._buf) > _MAX_HEADER_BLOCK:
                raise MalformedMultipart("part header too long")
            self._fill()

    def body(self) -> Iterator[bytes]:
        """The current part's bytes, chunk by chunk, up to the next delimiter."""
        keep = len(self._delim) - 1
        while True:
            at = self._buf.find(self._delim)
            if at >= 0:
                if at:
                    yield self._buf[:at]
                self._buf = self._buf[at + len(self._delim) :]
                return
            if len(self._buf) > keep:
                yield self._buf[:-keep]
                self._buf = self._buf[-keep:]
            self._fill()
