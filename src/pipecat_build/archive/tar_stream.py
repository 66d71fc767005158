"""Streams members into a gzip'd PAX tar, hashing as it writes.

Byte-identical to pipecatcloud 1.4.0's create_deterministic_tarball for compression="cli".
(Simple reference version; to be replaced by the overlapped, threaded writer.)
"""

from __future__ import annotations

import gzip
import hashlib
import tarfile
from collections.abc import Iterable
from typing import BinaryIO

from .members import ArchiveResult, Member


class _HashingWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.md5 = hashlib.md5()
        self.count = 0

    def write(self, data: bytes) -> int:
        self.md5.update(data)
        self._out.write(data)
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        self._out.flush()


def write_archive(
    members: Iterable[Member], out: BinaryIO, compression: str = "cli"
) -> ArchiveResult:
    sink = _HashingWriter(out)
    level = 9 if compression == "cli" else 1
    content = 0
    count = 0
    with (
        gzip.GzipFile(fileobj=sink, mode="wb", mtime=0, compresslevel=level) as gz,  # type: ignore[arg-type]
        tarfile.open(fileobj=gz, mode="w") as tar,
    ):
        for member in members:
            info = tarfile.TarInfo(member.arcname)
            info.size = member.size
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = member.mode
            with open(member.path, "rb") as fh:
                tar.addfile(info, fh)
            content += member.size
            count += 1
    return ArchiveResult(sink.md5.hexdigest(), sink.count, content, count)
