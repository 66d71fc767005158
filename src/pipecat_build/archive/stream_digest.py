"""The StreamKey of an archive without writing it: the same tar bytes, through SHA-256 only.

write_archive would compress exactly these bytes (same TarFramer), so a key computed here
equals the one write_archive returned for the same members and compression; a HashCache
hit on it gives the context hash without paying for deflate. Two stages overlap: a reader
thread frames files into large buffers, the calling thread hashes them (SHA-256 releases
the GIL on large buffers), so the time is reading the files once, or hashing them, whichever
is slower. Buffers are recycled: memory stays a few MiB whatever the context's size.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .deflate_fast import FAST_LEVEL
from .gzip_frame import CLI_LEVEL
from .members import Member
from .pipeline import Channel, Halt, Halted, start_stage
from .stream_key import StreamKey, stream_key
from .tar_framing import Chunk, TarFramer, TarTotals
from .tar_stream import CHUNK_SIZE
from .write_errors import ArchiveCancelled

__all__ = ["StreamDigest", "digest_stream"]

DIGEST_BUFFER = 1 << 20  # the tar bytes do not depend on it; 1 MiB keeps calls few and cheap
DIGEST_AHEAD = 3  # filled buffers waiting for the hasher


@dataclass(frozen=True, slots=True)
class StreamDigest:
    """The key, and what the stream held (for the log line of a remembered hit)."""

    key: StreamKey
    tar_bytes: int
    content_bytes: int
    file_count: int


def digest_stream(
    members: Iterable[Member],
    compression: Literal["cli", "fast"] = "cli",
    *,
    cancel: threading.Event | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> StreamDigest:
    """The StreamKey write_archive(members, ..., compression) would return, without deflate.

    chunk_size is write_archive's (it shapes "fast" output, so it is part of the key); the
    reading here always uses DIGEST_BUFFER. Raises what write_archive raises for an unreadable
    or changing file (InputError, ContextChangedError), and ArchiveCancelled on cancel.
    """
    if compression not in ("cli", "fast"):
        raise ValueError(f"unknown compression {compression!r}")
    level = CLI_LEVEL if compression == "cli" else FAST_LEVEL
    halt = Halt(cancel)
    threads: list[threading.Thread] = []
    try:
        totals, sha = _hash_stream(members, halt, threads)
        key = stream_key(sha, compression, level, chunk_size)
        return StreamDigest(key, totals.tar_bytes, totals.content_bytes, totals.file_count)
    except Halted:
        pass
    finally:
        halt.stop()
        for thread in threads:
            thread.join()
    if halt.error is not None:
        raise halt.error
    raise ArchiveCancelled("archive cancelled")


def _hash_stream(
    members: Iterable[Member], halt: Halt, threads: list[threading.Thread]
) -> tuple[TarTotals, str]:
    free: Channel[bytearray] = Channel(halt)
    framed: Channel[Chunk | TarTotals] = Channel(halt, DIGEST_AHEAD)
    for _ in range(DIGEST_AHEAD + 2):  # one being filled, one being hashed
        free.put(bytearray(DIGEST_BUFFER))

    def read() -> None:
        framer = TarFramer(free.get, framed.put, halt)
        framed.put(framer.run(members))

    threads.append(start_stage("digest-read", halt, read))
    sha = hashlib.sha256()
    while not isinstance(item := framed.get(), TarTotals):
        with memoryview(item.buffer) as view, view[: item.length] as filled:
            sha.update(filled)
        free.put(item.buffer)
    return item, sha.hexdigest()
