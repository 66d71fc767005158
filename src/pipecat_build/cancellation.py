"""SIGINT/SIGTERM end the run within moments: the runner sends SIGINT, then SIGTERM 7.5 s
later, then kills; as PID 1 in the container, Python ignores SIGTERM without a handler."""

from __future__ import annotations

import signal
import threading
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancelled(BaseException):
    """Raised in the main thread by the signal handler; BaseException so no `except
    Exception` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def install_handlers(cancel: threading.Event) -> None:
    """The first signal raises Cancelled in the main thread; later ones only set `cancel`
    (the run is already ending)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        already = cancel.is_set()
        cancel.set()
        if not already:
            raise Cancelled(signum)

    for signum in SIGNALS:
        signal.signal(signum, handle)


def disarm() -> None:
    """Once the outcome is written, a late signal must not interrupt the exit with a
    traceback: the process is about to end anyway."""
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
