"""What one run owns until it ends: the cancel event, the builds it started (they keep running
remotely after a cancellation, so the message names them) and its scratch files (removed on
every way out, signals included: the signal handler exits without unwinding other threads)."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Run:
    """Also the run's sense of time: `clock` (monotonic), `now` (wall clock, for the server's
    timestamps) and `wait`, so tests hand in a run whose waits advance a fake clock instead of
    sleeping."""

    def __init__(
        self,
        cancel: threading.Event | None = None,
        on_build_started: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.cancel = cancel or threading.Event()
        self.clock = clock  # monotonic seconds: deadlines and durations
        self.now = now  # wall-clock seconds: compared with the server's timestamps
        self.on_build_started = on_build_started
        self.on_deployment_started: Callable[[str, str], None] | None = None
        # Re-entrant: the cancellation handler runs in the main thread and may interrupt it
        # while it holds the lock, then call discard_all itself.
        self._lock = threading.RLock()
        self._scratch: set[Path] = set()
        self.started_builds: list[str] = []
        self.deployments: list[tuple[str, str]] = []  # (agent, deployment id)

    def wait(self, seconds: float) -> None:
        """Sleeps, or ends the step at once when the run is cancelled."""
        if self.cancel.wait(max(0.0, seconds)):
            raise KeyboardInterrupt

    def build_started(self, build_id: str) -> None:
        with self._lock:
            if build_id in self.started_builds:
                return
            self.started_builds.append(build_id)
        if self.on_build_started is not None:
            self.on_build_started(build_id)

    def deployment_started(self, agent: str, deployment_id: str) -> None:
        with self._lock:
            self.deployments.append((agent, deployment_id))
        if self.on_deployment_started is not None:
            self.on_deployment_started(agent, deployment_id)

    def new_scratch_file(self, prefix: str = "pipecat-context-", suffix: str = ".tar.gz") -> Path:
        """A fresh file outside the workspace, registered before a signal can interrupt."""
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
            os.close(fd)
            path = Path(name)
            with self._lock:
                self._scratch.add(path)
        finally:
            if in_main:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return path

    def discard(self, path: Path) -> None:
        path.unlink(missing_ok=True)  # first: a signal in between still finds it registered
        with self._lock:
            self._scratch.discard(path)

    def discard_all(self) -> None:
        with self._lock:
            paths = list(self._scratch)
            self._scratch.clear()
        for path in paths:
            path.unlink(missing_ok=True)

    def cancel_message(self, signal_name: str) -> str:
        if self.started_builds:
            ids = ", ".join(self.started_builds)
            message = (
                f"Cancelled ({signal_name}). Build {ids} keeps running on Pipecat Cloud (there "
                "is no cancel endpoint); its id is in the build-id output."
            )
        else:
            message = f"Cancelled ({signal_name}) before any build was created on Pipecat Cloud."
        for agent, deployment in self.deployments:
            message += (
                f" Agent {agent}: deployment {deployment} was accepted and goes on without us."
            )
        return message
