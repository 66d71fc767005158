"""Thread plumbing for the archive writer: a shared halt signal, bounded channels, stages.

Every blocking wait polls the halt signal, so a failing stage, the caller's cancel event or
the end of the run wakes every other stage within one poll interval and no thread outlives
the call that started it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.05


class Halted(Exception):
    """Raised inside a stage when the run is stopping (failure elsewhere, cancel, or end)."""


class Halt:
    """Why and whether the run stops; the first failure wins, later ones are consequences."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self._stop = threading.Event()
        self._cancel = cancel
        self._lock = threading.Lock()
        self.error: BaseException | None = None

    def is_set(self) -> bool:
        return self._stop.is_set() or (self._cancel is not None and self._cancel.is_set())

    @property
    def cancelled(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def fail(self, error: BaseException) -> None:
        with self._lock:
            if self.error is None:
                self.error = error
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> None:
        if self.is_set():
            raise Halted


class Channel(Generic[T]):
    """A bounded FIFO between two stages whose waits give up when the run halts."""

    def __init__(self, halt: Halt, maxsize: int = 0) -> None:
        self._halt = halt
        self._queue: queue.Queue[T] = queue.Queue(maxsize)

    def put(self, item: T) -> None:
        while True:
            self._halt.check()
            try:
                self._queue.put(item, timeout=POLL_SECONDS)
                return
            except queue.Full:
                continue

    def get(self) -> T:
        while True:
            self._halt.check()
            try:
                return self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue


def start_stage(name: str, halt: Halt, body: Callable[[], None]) -> threading.Thread:
    """Run body in a thread; its failure halts the run and is kept for the caller."""

    def run() -> None:
        try:
            body()
        except Halted:
            pass
        except BaseException as error:  # handed to the caller, re-raised there
            halt.fail(error)

    thread = threading.Thread(target=run, name=f"pipecat-archive-{name}", daemon=True)
    thread.start()
    return thread
