"""Streams members into a gzip'd PAX tar in one pass, hashing the bytes as they are written.

compression="cli" is byte-identical to pipecatcloud 1.4.0's create_deterministic_tarball, so
the hash matches `pcc deploy`'s and the two share the server's build cache. "fast" trades
that for speed on large contexts (parallel low-level deflate, still deterministic).

Three stages overlap so the wall time is deflate's alone: a reader thread frames files into
large buffers (and CRCs them, and feeds them to a SHA-256 of the tar stream: the StreamKey a
HashCache remembers the hash under), the calling thread compresses, a writer thread hashes and
writes. Channels are bounded and buffers recycled, so memory stays a few MiB.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Sized
from typing import BinaryIO, Literal

from .deflate_fast import FAST_LEVEL, FAST_WORKERS, ParallelDeflate, SerialDeflate
from .gzip_frame import CLI_LEVEL, gzip_header, gzip_trailer
from .members import ArchiveResult, Member
from .pipeline import Channel, Halt, Halted, start_stage
from .stream_key import stream_key
from .tar_framing import Chunk, TarFramer, TarTotals
from .write_errors import ArchiveCancelled, ContextChangedError

__all__ = ["ArchiveCancelled", "ContextChangedError", "write_archive"]

Compression = Literal["cli", "fast"]
Progress = Callable[[int, int], None]

CHUNK_SIZE = 1 << 20  # zlib gets 1 MiB per call: per-call overhead vanishes, memory stays small
FRAMED_AHEAD = 2  # filled buffers waiting for the compressor
WRITES_AHEAD = 8  # compressed pieces waiting for the writer
PROGRESS_INTERVAL = 0.25


def write_archive(
    members: Iterable[Member],
    out: BinaryIO,
    compression: Literal["cli", "fast"] = "cli",
    *,
    cancel: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ArchiveResult:
    """Write the archive of members to out; raises ArchiveCancelled if cancel gets set."""
    return write_archive_tuned(members, out, compression, cancel=cancel, on_progress=on_progress)


def write_archive_tuned(
    members: Iterable[Member],
    out: BinaryIO,
    compression: Compression = "cli",
    *,
    cancel: threading.Event | None = None,
    on_progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int = FAST_WORKERS,
) -> ArchiveResult:
    """write_archive with the buffer size and thread count exposed (tests, benchmarks).

    "fast" output depends on chunk_size (the cut points) but never on workers.
    """
    if compression not in ("cli", "fast"):
        raise ValueError(f"unknown compression {compression!r}")
    total = sum(m.size for m in members) if isinstance(members, Sized) else 0
    halt = Halt(cancel)
    run = _Run(halt, out, total, on_progress)
    try:
        return run.execute(members, compression, chunk_size, workers)
    except Halted:
        pass
    finally:
        run.shutdown()
    if halt.error is not None:
        raise halt.error
    raise ArchiveCancelled("archive cancelled")


class _Run:
    """One archive write: owns the stages and makes sure none outlives it."""

    def __init__(self, halt: Halt, out: BinaryIO, total: int, on_progress: Progress | None):
        self._halt = halt
        self._out = out
        self._total = total
        self._on_progress = on_progress
        self._last_report = float("-inf")
        self._threads: list[threading.Thread] = []
        self._compressor: SerialDeflate | ParallelDeflate | None = None
        self._md5 = hashlib.md5()
        self._tar_sha256 = hashlib.sha256()
        self._written = 0
        self._writer_done = False

    def execute(
        self, members: Iterable[Member], compression: Compression, chunk_size: int, workers: int
    ) -> ArchiveResult:
        halt = self._halt
        free: Channel[bytearray] = Channel(halt)
        framed: Channel[Chunk | TarTotals] = Channel(halt, FRAMED_AHEAD)
        pieces: Channel[bytes | None] = Channel(halt, WRITES_AHEAD)
        if compression == "cli":
            level, in_flight = CLI_LEVEL, 1
            self._compressor = SerialDeflate(free.put)
        else:
            level, in_flight = FAST_LEVEL, ParallelDeflate.buffers_needed(workers)
            self._compressor = ParallelDeflate(free.put, halt, level, workers)
        for _ in range(FRAMED_AHEAD + in_flight + 1):
            free.put(bytearray(chunk_size))

        def framed_chunk(chunk: Chunk) -> None:
            # The reader thread has time to spare while deflate runs, and SHA-256 releases
            # the GIL on these buffers: the stream digest costs the run no wall time.
            with memoryview(chunk.buffer) as view, view[: chunk.length] as filled:
                self._tar_sha256.update(filled)
            framed.put(chunk)

        def read() -> None:
            framer = TarFramer(free.get, framed_chunk, halt)
            framed.put(framer.run(members))

        def write() -> None:
            while (piece := pieces.get()) is not None:
                self._md5.update(piece)
                _write_all(self._out, piece)
                self._written += len(piece)
            self._writer_done = True

        self._threads.append(start_stage("read", halt, read))
        writer = start_stage("write", halt, write)
        self._threads.append(writer)

        pieces.put(gzip_header(level))
        while not isinstance(item := framed.get(), TarTotals):
            for piece in self._compressor.feed(item):
                pieces.put(piece)
            self._report(item.content_done)
        for piece in self._compressor.finish():
            pieces.put(piece)
        pieces.put(gzip_trailer(item.crc32, item.tar_bytes))
        pieces.put(None)
        writer.join()
        if not self._writer_done:
            raise Halted
        self._report(item.content_bytes, final=True)
        key = stream_key(self._tar_sha256.hexdigest(), compression, level, chunk_size)
        return ArchiveResult(
            self._md5.hexdigest(),
            self._written,
            item.content_bytes,
            item.file_count,
            key,
            item.tar_bytes,
        )

    def _report(self, done: int, final: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if final or now - self._last_report >= PROGRESS_INTERVAL:
            self._last_report = now
            self._on_progress(done, self._total)

    def shutdown(self) -> None:
        self._halt.stop()
        if self._compressor is not None:
            self._compressor.close()
        for thread in self._threads:
            thread.join()


def _write_all(out: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = out.write(view)
        view = view[written if written is not None else len(view) :]
