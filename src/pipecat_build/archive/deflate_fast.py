"""Compressors for the tar buffers: the CLI's serial level 9, and a pigz-style parallel one.

The parallel one compresses each fixed-size buffer independently at a low level, primed
with the previous buffer's last 32 KiB as a preset dictionary (so matches still reach back
across the cut), ends each with a sync flush (byte-aligned, not final) and closes the stream
with an empty final block. The pieces concatenate into one valid deflate stream that is a
pure function of the tar bytes, the buffer size, the level and the zlib build: how many
threads ran, or in what order they finished, cannot change a byte.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future

from .gzip_frame import cli_compressor
from .pipeline import POLL_SECONDS, Halt
from .tar_framing import Chunk

FAST_LEVEL = 1
WINDOW = 32 * 1024
FAST_WORKERS = max(1, min(4, os.cpu_count() or 1))

Release = Callable[[bytearray], None]


def deflate_part(data: memoryview, zdict: bytes | None, level: int) -> bytes:
    """One independent, sync-flushed piece of the parallel stream."""
    if zdict:
        z = zlib.compressobj(
            level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0, zdict=zdict
        )
    else:
        z = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
    return z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)


def final_block(level: int) -> bytes:
    """An empty last block (BFINAL=1) that ends a stream of sync-flushed pieces."""
    return zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS).flush()


class SerialDeflate:
    """Level 9 over the whole stream in one deflate state: the official CLI's bytes."""

    def __init__(self, release: Release) -> None:
        self._z = cli_compressor()
        self._release = release

    def feed(self, chunk: Chunk) -> list[bytes]:
        with memoryview(chunk.buffer) as view:
            out = self._z.compress(view[: chunk.length])
        self._release(chunk.buffer)
        return [out] if out else []

    def finish(self) -> list[bytes]:
        return [self._z.flush()]

    def close(self) -> None:
        pass


class ParallelDeflate:
    """Pieces compressed in a small thread pool, handed back in stream order."""

    def __init__(self, release: Release, halt: Halt, level: int, workers: int) -> None:
        self._release = release
        self._halt = halt
        self._level = level
        self._workers = workers
        from concurrent.futures import ThreadPoolExecutor  # fast mode only: cli runs skip it

        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="pipecat-archive-deflate")
        self._pending: deque[Future[bytes]] = deque()
        self._tail: bytes | None = None

    @staticmethod
    def buffers_needed(workers: int) -> int:
        return workers + 1

    def feed(self, chunk: Chunk) -> list[bytes]:
        zdict = self._tail
        with memoryview(chunk.buffer) as view:
            self._tail = bytes(view[max(0, chunk.length - WINDOW) : chunk.length])
        self._pending.append(self._pool.submit(self._deflate, chunk, zdict))
        ready: list[bytes] = []
        while len(self._pending) > self._workers:
            ready.append(self._wait(self._pending.popleft()))
        return ready

    def finish(self) -> list[bytes]:
        ready = [self._wait(self._pending.popleft()) for _ in range(len(self._pending))]
        ready.append(final_block(self._level))
        return ready

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _deflate(self, chunk: Chunk, zdict: bytes | None) -> bytes:
        try:
            with memoryview(chunk.buffer) as view:
                return deflate_part(view[: chunk.length], zdict, self._level)
        finally:
            self._release(chunk.buffer)

    def _wait(self, future: Future[bytes]) -> bytes:
        while True:
            self._halt.check()
            try:
                return future.result(timeout=POLL_SECONDS)
            except TimeoutError:  # concurrent.futures.TimeoutError is this one since 3.11
                continue
