"""docs/context.md's refusals and skips as users meet them: exactly 500 MiB of files is packed
and one byte more is a one-line `context` error; sockets, FIFOs and devices are skipped and
reported, never read (a FIFO would block the run); a file that changes while it is packed
fails the run in one line instead of uploading an archive that does not match its hash."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.errors import InputError
from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, ActionRun, finish, start_action
from tests.conftest import EXAMPLE_AGENT

MIB = 1 << 20
LIMIT = 500 * MIB  # docs/context.md: "more than 500 MiB" is refused
RUN_DEADLINE = 60.0  # seconds: only a blocked run gets near it


def sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space and no time to write."""
    with path.open("wb") as fh:
        fh.truncate(size)


def run(workspace: Path, files: Path, emulator: Emulator, **inputs: str) -> ActionRun:
    base = {"api_key": TEST_KEY, "api_url": emulator.api_url, "region": "us-west",
            "poll_interval": "0.1"}
    return finish(start_action(workspace, files, **{**base, **inputs}), files, RUN_DEADLINE)


def annotations(run: ActionRun, kind: str) -> list[str]:
    return [ln for ln in run.stdout.splitlines() if ln.startswith(f"::{kind}")]


# -- 500 MiB ----------------------------------------------------------------------------------


def test_the_default_limit_is_500_mib() -> None:
    assert SelectionOptions().max_content_bytes == LIMIT


@pytest.fixture
def small_ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    return tmp_path


def test_exactly_500_mib_of_files_is_accepted(small_ctx: Path) -> None:
    dockerfile = (small_ctx / "Dockerfile").stat().st_size
    (small_ctx / "models").mkdir()
    sparse(small_ctx / "models" / "a.bin", 300 * MIB)
    sparse(small_ctx / "weights.bin", LIMIT - 300 * MIB - dockerfile)
    selection = select_context(small_ctx, "Dockerfile")
    assert selection.content_bytes == LIMIT
    assert [m.arcname for m in selection.members] == ["Dockerfile", "models/a.bin", "weights.bin"]


def test_one_byte_more_is_refused_in_one_line_naming_the_largest(small_ctx: Path) -> None:
    dockerfile = (small_ctx / "Dockerfile").stat().st_size
    (small_ctx / "models").mkdir()
    sparse(small_ctx / "models" / "a.bin", 300 * MIB)
    sparse(small_ctx / "weights.bin", LIMIT - 300 * MIB - dockerfile + 1)
    with pytest.raises(InputError) as refused:
        select_context(small_ctx, "Dockerfile")
    message = str(refused.value)
    assert refused.value.input_name == "context"
    assert "\n" not in message
    assert "1 byte over the 500.0 MiB limit" in message and "models/ (300.0 MiB)" in message
    assert "weights.bin" in message and ".dockerignore" in message


def test_one_byte_over_500_mib_fails_the_action_before_anything_is_sent(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    present = sum(p.stat().st_size for p in workspace.rglob("*") if p.is_file())
    sparse(workspace / "weights.bin", LIMIT - present + 1)
    done = run(workspace, files, emulator)
    assert done.returncode == 1
    [error] = annotations(done, "error")
    assert "'context'" in error and "1 byte over the 500.0 MiB limit" in error
    assert "weights.bin" in error
    assert "Traceback" not in done.log
    assert not [r for r in emulator.requests if r.server == "storage"]
    assert emulator.builds == []


# -- sockets and FIFOs ------------------------------------------------------------------------


@pytest.fixture
def short_workspace() -> Iterator[Path]:
    """The example agent in a short path: a Unix socket's path must fit in 108 bytes."""
    root = Path(tempfile.mkdtemp(prefix="ws"))
    shutil.copytree(EXAMPLE_AGENT, root / "w")
    yield root / "w"
    shutil.rmtree(root)


def test_a_fifo_a_socket_and_a_device_in_the_context_are_skipped_reported_never_block(
    emulator: Emulator, short_workspace: Path, files: Path
) -> None:
    os.mkfifo(short_workspace / "pipe")  # opening it to read would wait for a writer forever
    (short_workspace / "run").mkdir()
    device = os.geteuid() == 0  # a character device (what /dev/zero is) needs root to make
    if device:
        os.mknod(short_workspace / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    listening = socket.socket(socket.AF_UNIX)
    try:
        listening.bind(str(short_workspace / "run" / "agent.sock"))
        done = run(short_workspace, files, emulator)
    finally:
        listening.close()
    assert done.returncode == 0, done.log
    [build] = emulator.builds
    assert done.outputs["build-id"] == build["id"]
    warned = "\n".join(annotations(done, "warning"))
    assert "file=pipe" in warned and "FIFO" in warned
    assert "file=run/agent.sock" in warned and "socket" in warned
    if device:  # /dev/zero's kind: read, it would never end
        assert "file=zero" in warned and "device" in warned


# -- a file changing while it is packed -------------------------------------------------------


def test_a_file_growing_while_it_is_packed_fails_in_one_line_and_uploads_nothing(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    growing = workspace / "recording.csv"
    growing.write_text("started\n")
    stop = threading.Event()

    def keep_writing() -> None:
        # A log a process keeps appending to, as it would while the step runs.
        with growing.open("a") as fh:
            while not stop.is_set():
                fh.write("another line\n")
                fh.flush()
                stop.wait(0.001)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        done = run(workspace, files, emulator)
    finally:
        stop.set()
        writer.join(5)
    assert done.returncode == 1
    [error] = annotations(done, "error")
    assert "changed while it was being archived" in error and "recording.csv" in error
    assert "Run again once the files are no longer being written" in error
    assert "Traceback" not in done.log
    assert not [r for r in emulator.requests if r.server == "storage"], "nothing uploaded"
    assert emulator.builds == []
    assert done.files == [], "the partial archive is removed"
