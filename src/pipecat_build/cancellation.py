"""SIGINT/SIGTERM end the run within moments: the runner sends SIGINT, then SIGTERM 7.5 s
later, then kills; as PID 1 in the container, Python ignores SIGTERM without a handler."""

from __future__ import annotations

import signal
import threading
from types import FrameType


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
    def handle(signum: int, frame: FrameType | None) -> None:
        already = cancel.is_set()
        cancel.set()
        if not already:
            raise Cancelled(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handle)
