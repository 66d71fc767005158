"""Temporary archives live outside the workspace and are removed on every way out, signals
included (the signal handler exits without unwinding other threads, so it asks here)."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from pathlib import Path

# Re-entrant: the cancellation handler runs in the main thread and may interrupt it while
# it holds the lock, then call discard_all itself.
_lock = threading.RLock()
_live: set[Path] = set()
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def new_archive_path() -> Path:
    """A fresh file, registered before a signal can interrupt (it would otherwise leak)."""
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        fd, name = tempfile.mkstemp(prefix="pipecat-context-", suffix=".tar.gz")
        os.close(fd)
        path = Path(name)
        with _lock:
            _live.add(path)
    finally:
        if in_main:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return path


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)  # first: a signal in between still finds it registered
    with _lock:
        _live.discard(path)


def discard_all() -> None:
    with _lock:
        paths = list(_live)
        _live.clear()
    for path in paths:
        path.unlink(missing_ok=True)
