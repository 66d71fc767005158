"""Temporary archives live outside the workspace and are removed on every way out, signals
included (the signal handler exits without unwinding other threads, so it asks here)."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_live: set[Path] = set()


def new_archive_path() -> Path:
    fd, name = tempfile.mkstemp(prefix="pipecat-context-", suffix=".tar.gz")
    os.close(fd)
    path = Path(name)
    with _lock:
        _live.add(path)
    return path


def discard(path: Path) -> None:
    with _lock:
        _live.discard(path)
    path.unlink(missing_ok=True)


def discard_all() -> None:
    with _lock:
        paths = list(_live)
        _live.clear()
    for path in paths:
        path.unlink(missing_ok=True)
