"""Cancellation as the runner does it: SIGINT or SIGTERM to the entrypoint while it packs,
uploads or follows a build. It must stop at once, say which build keeps running, and leave
no temporary file; the build-id output must already be there for an `if: always()` step."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator, Fault
from tests.action_harness import (
    TEST_KEY,
    ActionRun,
    assert_key_not_leaked,
    read_outputs,
    start_action,
)

# Only keeps a run that ignores the signal from hanging the suite. Promptness is shown by
# what the run was doing when signalled: a build that runs for ten minutes, a poll interval
# of ten minutes, a storage stall of ten minutes. Finishing any of them would take far longer.
EXIT_DEADLINE = 30.0
LONG = 600.0


class LiveRun:
    """An entrypoint subprocess whose stdout is read while it runs."""

    def __init__(self, proc: subprocess.Popen[str], files: Path) -> None:
        self.proc = proc
        self.files = files
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, found: Callable[[], bool], what: str, timeout: float = 30) -> None:
        ends = time.monotonic() + timeout
        with self._changed:
            while not found():
                assert self.proc.poll() is None, f"exited before {what}:\n" + "\n".join(self.lines)
                assert time.monotonic() < ends, f"no {what} in:\n" + "\n".join(self.lines)
                self._changed.wait(0.05)

    def wait_for_line(self, text: str) -> str:
        self.wait_for(lambda: any(text in line for line in self.lines), repr(text))
        return next(line for line in self.lines if text in line)

    def stop(self, signum: int) -> ActionRun:
        self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=EXIT_DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"still running {EXIT_DEADLINE}s after {signal.Signals(signum).name}")
        self._reader.join(timeout=5)
        assert self.proc.stderr is not None
        summary = self.files / "summary.md"
        run = ActionRun(
            self.proc.returncode,
            "\n".join(self.lines) + "\n",
            self.proc.stderr.read(),
            read_outputs(self.files / "output"),
            summary.read_text() if summary.exists() else "",
            sorted((self.files / "tmp").iterdir()),
        )
        assert_key_not_leaked(run)
        return run


def stall_begun(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when the emulator starts holding a request back (a `stall` fault), so a test
    knows the request is on its way without guessing how long that takes."""
    begun = threading.Event()
    original = emulator.backend.wait_stopped

    def wait_stopped(seconds: float) -> bool:
        begun.set()
        return original(seconds)

    monkeypatch.setattr(emulator.backend, "wait_stopped", wait_stopped)
    return begun


def start(emulator: Emulator, workspace: Path, files: Path, **inputs: str) -> LiveRun:
    base = {"api_key": TEST_KEY, "api_url": emulator.api_url, "region": "us-west",
            "poll_interval": "0.2"}
    return LiveRun(start_action(workspace, files, **{**base, **inputs}), files)


def cancel_message(run: ActionRun) -> str:
    [line] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "Cancelled" in line
    assert "Traceback" not in run.log
    return line


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_following_names_the_build_that_keeps_running(
    emulator: Emulator, workspace: Path, files: Path, signum: int, code: int
) -> None:
    emulator.config.building_seconds = LONG
    # Signalled while waiting between polls: the wait must end at once, not after 10 minutes.
    live = start(emulator, workspace, files, poll_interval=str(LONG))
    line = live.wait_for_line("build id: ")
    build_id = line.split("build id: ", 1)[1].strip()
    # The output exists while the step still runs: an `if: always()` step can use it.
    assert live.proc.poll() is None
    assert read_outputs(files / "output")["build-id"] == build_id
    live.wait_for_line("following build")
    run = live.stop(signum)
    assert run.returncode == code
    message = cancel_message(run)
    assert build_id in message and "keeps running on Pipecat Cloud" in message
    assert run.files == [], "no temporary file left behind"
    [build] = emulator.builds
    assert build["id"] == build_id and build["status"] in ("pending", "building")


def test_a_signal_while_packing_stops_before_anything_is_sent(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    # Incompressible content takes a while to deflate: long enough to be interrupted.
    with (workspace / "weights.bin").open("wb") as fh:
        for _ in range(48):
            fh.write(os.urandom(1 << 20))
    live = start(emulator, workspace, files)
    live.wait_for(lambda: any((files / "tmp").glob("pipecat-context-*")), "archive being written")
    run = live.stop(signal.SIGTERM)
    assert run.returncode == 143
    assert "before any build was created" in cancel_message(run)
    assert run.files == []
    assert not [r for r in emulator.requests if r.server == "storage"]
    assert emulator.builds == []


def test_a_signal_while_uploading_stops_without_creating_a_build(
    emulator: Emulator, workspace: Path, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    begun = stall_begun(emulator, monkeypatch)
    emulator.inject(Fault("stall", "POST storage", stall_seconds=LONG))
    live = start(emulator, workspace, files)
    live.wait_for(begun.is_set, "the POST to storage (held there for ten minutes)")
    run = live.stop(signal.SIGINT)
    assert run.returncode == 130
    assert "before any build was created" in cancel_message(run)
    assert run.files == []
    assert emulator.builds == []
    assert "build-id" not in run.outputs
