"""The gzip wrapper around a raw deflate stream, byte for byte as Python's gzip writes it."""

from __future__ import annotations

import struct
import zlib

CLI_LEVEL = 9


def gzip_header(level: int) -> bytes:
    """Header with mtime 0 and no file name; XFL follows Python's gzip (2 best, 4 fastest)."""
    xfl = 2 if level == zlib.Z_BEST_COMPRESSION else 4 if level == zlib.Z_BEST_SPEED else 0
    return b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + bytes((xfl, 0xFF))


def gzip_trailer(crc32: int, size: int) -> bytes:
    """CRC32 and ISIZE (length mod 2**32) of the uncompressed stream, little-endian."""
    return struct.pack("<II", crc32 & 0xFFFFFFFF, size & 0xFFFFFFFF)


def cli_compressor() -> zlib._Compress:
    """The deflate state Python's gzip.GzipFile uses at level 9 (what pcc deploy ships)."""
    return zlib.compressobj(CLI_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
