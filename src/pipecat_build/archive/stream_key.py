"""What decides the archive's bytes: the uncompressed tar stream and the compressor's identity.

The gzip bytes (and so the context hash) are a pure function of the tar stream, the
compression mode and level, the buffer size that cuts the "fast" stream, and the zlib that
deflates. A StreamKey names all of them, so two runs with equal keys write equal archives;
any change to a byte, a name, a mode or the file list changes the tar stream's SHA-256.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Literal

# Bump when anything that shapes the archive changes without showing in the other fields
# (tar framing, gzip header, the fast mode's piece layout): old remembered hashes then miss.
STREAM_FORMAT = 1


@dataclass(frozen=True, slots=True)
class StreamKey:
    """The SHA-256 of the exact uncompressed tar stream, with the compressor's identity."""

    tar_sha256: str  # hex
    compression: Literal["cli", "fast"]
    level: int
    chunk_size: int  # cuts the "fast" stream; 0 for "cli", whose bytes do not depend on it
    zlib_version: str = zlib.ZLIB_RUNTIME_VERSION
    format_version: int = STREAM_FORMAT

    def canonical(self) -> str:
        """One line of text that spells every field (what the hash cache stores and checks)."""
        return (
            f"v{self.format_version} {self.compression} level={self.level} "
            f"chunk={self.chunk_size} zlib={self.zlib_version} tar-sha256={self.tar_sha256}"
        )

    def entry_id(self) -> str:
        """SHA-256 hex of canonical(): a fixed-length, file-name-safe name for the key."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()


def stream_key(
    tar_sha256: str, compression: Literal["cli", "fast"], level: int, chunk_size: int
) -> StreamKey:
    """The key of a run; chunk_size only counts for "fast" (the cut points of its pieces)."""
    return StreamKey(tar_sha256, compression, level, chunk_size if compression == "fast" else 0)
