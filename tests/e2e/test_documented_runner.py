"""What the runner and a shell see, as documented: hostile build-log lines never act as
workflow commands, a CLI flag wins over its environment variable, SIGINT on `pipecat-build`
still prints its JSON result and removes scratch files, and SIGTERM to the entrypoint as the
container's PID 1 ends it with 143, naming the build that keeps running."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipecat_cloud_emulator import Emulator, Fault
from tests.action_harness import (
    ENTRYPOINT,
    TEST_KEY,
    ActionRun,
    assert_key_not_leaked,
    finish,
    read_outputs,
    runner_env,
    start_action,
)

CLI = Path(sys.executable).with_name("pipecat-build")
DEADLINE = 30.0  # seconds: generous, only a stuck process gets near it


# -- hostile build-log lines ------------------------------------------------------------------

HOSTILE = [
    "::add-mask::x",
    "::error::boom",
    "  ::set-output name=a::b",
    "\t::warning file=Dockerfile::not really",
    "::ERROR::shouting",
    "##[group]x",
    "step 3/7 ##[error]inline",
    "::stop-commands::guessed",
    "::endgroup::",
]
# One log entry holding several physical lines: the runner reads each on its own.
SMUGGLED = ["RUN make\n::error::smuggled after a newline", "50%\r::add-mask::y"]


def stop_command_blocks(stdout: str) -> tuple[list[str], list[str]]:
    """(lines outside any ::stop-commands:: block, lines inside one), as the runner parses."""
    outside: list[str] = []
    inside: list[str] = []
    token: str | None = None
    for line in re.split(r"\r\n|\r|\n", stdout):
        if token is None:
            started = re.fullmatch(r"::stop-commands::(\S+)", line)
            if started:
                token = started.group(1)
            else:
                outside.append(line)
        elif line == f"::{token}::":
            token = None
        else:
            inside.append(line)
    assert token is None, "a ::stop-commands:: block was never closed"
    return outside, inside


def test_hostile_build_log_lines_are_printed_only_inside_stop_commands(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.config.log_lines = lambda build: ["Step 1/2 : FROM python", *HOSTILE, *SMUGGLED,
                                               "Successfully built"]
    done = finish(start_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                               region="us-west", poll_interval="0.1"), files, DEADLINE)
    assert done.returncode == 0, done.log
    [build] = emulator.builds
    assert done.outputs["build-id"] == build["id"] and "a" not in done.outputs
    outside, inside = stop_command_blocks(done.stdout)
    for hostile in [*HOSTILE, "::error::smuggled after a newline", "::add-mask::y"]:
        assert hostile in inside, f"{hostile!r} not printed inside a stop-commands block"
    # Outside the blocks, no command a log line made up: no mask of x or y, no error or
    # warning, no output, no group, nothing for the runner to act on in the log's name.
    commands = [ln.lstrip() for ln in outside if ln.lstrip().startswith("::")]
    names = {re.sub(r"^::([^ :]*).*", r"\1", command).lower() for command in commands}
    assert names <= {"add-mask", "debug", "group", "endgroup", "notice"}, names
    assert not {"::add-mask::x", "::add-mask::y"} & set(commands)
    assert not [ln for ln in outside if "##[" in ln]
    assert "Successfully built" in outside and "Step 1/2 : FROM python" in outside


# -- the CLI ----------------------------------------------------------------------------------


def plain_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "PIPECAT_"))}
    env.update({"PIPECAT_API_KEY": TEST_KEY, "TMPDIR": str(tmp_path / "scratch"),
                "XDG_CACHE_HOME": str(tmp_path / "cache"),
                "PIPECAT_BUILD_RETRY_BASE_DELAY": "0.005", **extra})
    (tmp_path / "scratch").mkdir(exist_ok=True)
    return env


def cli_result(stdout: str, returncode: int) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(stdout)  # one JSON document and nothing else
    assert result["exit-code"] == returncode
    return result


def test_a_cli_flag_wins_over_its_environment_variable(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    env = plain_env(tmp_path, PIPECAT_REGION="eu-central", PIPECAT_API_URL=emulator.api_url,
                    PIPECAT_POLL_INTERVAL="0.1")
    flagged = subprocess.run([str(CLI), "--region", "us-west"], cwd=workspace, env=env,
                             capture_output=True, text=True, timeout=DEADLINE)
    assert flagged.returncode == 0, flagged.stderr
    by_variable = subprocess.run([str(CLI), "--force"], cwd=workspace, env=env,
                                 capture_output=True, text=True, timeout=DEADLINE)
    assert by_variable.returncode == 0, by_variable.stderr
    first, second = emulator.builds
    assert first["region"] == "us-west", "the flag decided"
    assert second["region"] == "eu-central", "without the flag, the variable decides"
    assert cli_result(flagged.stdout, 0)["build-id"] == first["id"]
    assert TEST_KEY not in flagged.stdout + flagged.stderr


class Lines:
    """A pipe read on a thread, so a test can wait for a line with a deadline."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, found: Callable[[], bool], what: str, proc: subprocess.Popen[str]) -> None:
        ends = time.monotonic() + DEADLINE
        with self._changed:
            while not found():
                assert proc.poll() is None, f"exited before {what}:\n" + "\n".join(self.lines)
                assert time.monotonic() < ends, f"no {what} in:\n" + "\n".join(self.lines)
                self._changed.wait(0.05)

    def wait_for_line(self, text: str, proc: subprocess.Popen[str]) -> str:
        self.wait_for(lambda: any(text in line for line in self.lines), repr(text), proc)
        return next(line for line in self.lines if text in line)

    def text(self) -> str:
        self._reader.join(DEADLINE)
        return "\n".join(self.lines) + "\n"


def test_sigint_on_the_cli_exits_130_with_the_json_result_and_no_scratch_files(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    # Storage holds the upload for a minute: the archive is on disk when the signal comes.
    emulator.inject(Fault("stall", "POST storage", stall_seconds=60))
    scratch = tmp_path / "scratch"
    env = plain_env(tmp_path, PIPECAT_API_URL=emulator.api_url, PIPECAT_REGION="us-west",
                    PIPECAT_POLL_INTERVAL="0.1")
    proc = subprocess.Popen([str(CLI)], cwd=workspace, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    progress = Lines(proc.stderr)
    progress.wait_for_line("Upload the build context", proc)
    progress.wait_for(lambda: any(scratch.glob("pipecat-context-*")), "the archive", proc)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 130
    result = cli_result(stdout, 130)
    assert "before any build was created" in result["errors"][-1]
    assert "build-id" not in result
    assert list(scratch.iterdir()) == [], "scratch files removed"
    assert emulator.builds == []
    assert "Traceback" not in progress.text()


# -- SIGTERM to the entrypoint as PID 1 -------------------------------------------------------


def unshare() -> str:
    tool = shutil.which("unshare")
    assert tool, "util-linux's unshare is needed to run the entrypoint as PID 1"
    probe = subprocess.run([tool, "--pid", "--fork", "--mount-proc", "sh", "-c", "echo $$"],
                           capture_output=True, text=True, timeout=DEADLINE)
    if probe.returncode != 0 and os.geteuid() != 0:
        pytest.skip(f"no PID namespace without root here: {probe.stderr.strip()}")
    assert probe.stdout.strip() == "1", probe.stderr
    return tool


def child_of(pid: int) -> int:
    """The host pid of the process unshare forked (PID 1 inside the namespace)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_sigterm_to_the_entrypoint_as_pid_1_exits_143_naming_the_running_build(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    tool = unshare()
    emulator.config.building_seconds = 60
    env = runner_env(workspace, files, {"api-key": TEST_KEY, "api-url": emulator.api_url,
                                        "region": "us-west", "poll-interval": "0.1"})
    # Inside, the entrypoint is PID 1: the kernel drops a signal PID 1 has no handler for.
    proc = subprocess.Popen([tool, "--pid", "--fork", "--mount-proc", "--kill-child",
                             sys.executable, str(ENTRYPOINT)],
                            cwd=workspace, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        log = Lines(proc.stdout)
        log.wait_for_line("following build", proc)
        os.kill(child_of(proc.pid), signal.SIGTERM)
        proc.wait(DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143
    assert proc.stderr is not None
    done = ActionRun(143, log.text(), proc.stderr.read(), read_outputs(files / "output"), "",
                     sorted((files / "tmp").iterdir()))
    assert_key_not_leaked(done)
    [build] = emulator.builds
    [error] = [ln for ln in done.stdout.splitlines() if ln.startswith("::error")]
    assert "Cancelled" in error and build["id"] in error and "keeps running" in error
    assert done.outputs["build-id"] == build["id"]
    assert done.files == [], "no scratch file left behind"
    assert "Traceback" not in done.log
