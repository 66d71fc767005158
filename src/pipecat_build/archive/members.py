"""What the selection hands to the archive writer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .stream_key import StreamKey


@dataclass(frozen=True, slots=True)
class Member:
    """One regular file of the archive, already resolved and sized."""

    arcname: str  # relative POSIX path inside the archive
    path: Path  # file to read (a symlink's target is read through the link)
    size: int
    mode: int  # 0o755 or 0o644, as the official CLI decides


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    """What writing the archive produced; the hash is the server's contextHash."""

    md5_hex: str
    archive_bytes: int
    content_bytes: int
    file_count: int
    stream_key: StreamKey  # what a HashCache remembers this archive's hash under
    tar_bytes: int  # length of the uncompressed tar stream

    @property
    def context_hash(self) -> str:
        return self.md5_hex[:16]
