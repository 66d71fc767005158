"""Bad input: one clear line naming the input, exit 1, no traceback, nothing left behind."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, ActionRun, run_action, setpriv


def assert_clean_failure(
    run: ActionRun, input_name: str, workspace: Path, before: set[Path]
) -> str:
    assert run.returncode == 1, run.log
    assert "Traceback" not in run.log
    errors = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert len(errors) == 1, run.stdout
    assert "%0A" not in errors[0], "one line"
    assert input_name in errors[0]
    assert set(workspace.rglob("*")) == before, "nothing written to the workspace"
    assert run.files == [], "no temporary file left behind"
    return errors[0]


def snapshot(workspace: Path) -> set[Path]:
    return set(workspace.rglob("*"))


@pytest.mark.parametrize(
    ("inputs", "input_name", "hint"),
    [
        ({"api_key": ""}, "api-key", "secrets"),
        ({"api_key": "   "}, "api-key", "empty"),
        ({"build_timeout": "0"}, "build-timeout", "positive"),
        ({"build_timeout": "soon"}, "build-timeout", "positive"),
        ({"poll_interval": "-5"}, "poll-interval", "positive"),
        ({"poll_interval": "nan"}, "poll-interval", "positive"),
        ({"force": "maybe"}, "force", "true or false"),
        ({"api_url": "ftp://example.com"}, "api-url", "http"),
        ({"api_url": "http://api.example.com"}, "api-url", "https"),
        ({"context": "does-not-exist"}, "context", "does not exist"),
        ({"context": "../.."}, "context", "outside the workspace"),
        ({"context": "Dockerfile"}, "context", "not a folder"),
        ({"dockerfile": "missing/Dockerfile"}, "dockerfile", "missing/Dockerfile"),
        ({"compression": "zstd"}, "compression", "cli, fast"),
        ({"secret-files": "ignore"}, "secret-files", "warn"),
    ],
)
def test_bad_inputs_fail_in_one_line(
    workspace: Path, files: Path, inputs: dict[str, str], input_name: str, hint: str
) -> None:
    before = snapshot(workspace)
    base = {"api_key": TEST_KEY, "api_url": "http://127.0.0.1:9"}
    run = run_action(workspace, files, **{**base, **inputs})
    error = assert_clean_failure(run, input_name, workspace, before)
    assert hint in error


def test_rejected_key(emulator: Emulator, workspace: Path, files: Path) -> None:
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key="pk_wrong_key", api_url=emulator.api_url)
    error = assert_clean_failure(run, "api-key", workspace, before)
    assert "401" in error


@pytest.mark.parametrize("region", ["ap-south", "mars-north"])
def test_region_refused_shows_the_api_message(
    emulator: Emulator, workspace: Path, files: Path, region: str
) -> None:
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, region=region)
    error = assert_clean_failure(run, "region", workspace, before)
    assert region in error


def test_non_json_answer(emulator: Emulator, workspace: Path, files: Path) -> None:
    from pipecat_cloud_emulator import Fault

    emulator.inject(Fault(kind="non_json", endpoint="GET /v1/properties", count=50))
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url)
    assert run.returncode == 1
    assert "not JSON" in run.stdout
    assert "Traceback" not in run.log
    assert snapshot(workspace) == before


def test_broken_symlink(emulator: Emulator, workspace: Path, files: Path) -> None:
    (workspace / "dangling").symlink_to(workspace / "nowhere")
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, region="us-west")
    error = assert_clean_failure(run, "context", workspace, before)
    assert "dangling" in error


def test_symlink_outside_the_context_is_refused(
    emulator: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "runner-secret.txt"
    secret.write_text("do not upload")
    (workspace / "innocent.txt").symlink_to(secret)
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, region="us-west")
    error = assert_clean_failure(run, "context", workspace, before)
    assert "innocent.txt" in error
    assert not [r for r in emulator.requests if r.server == "storage"]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder `nobody` can reach (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="pipecat-unprivileged-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() == 0 and setpriv() is None, reason="root without setpriv")
def test_unreadable_file(
    emulator: Emulator, workspace: Path, files: Path, shared_tmp: Path
) -> None:
    as_root = os.geteuid() == 0
    if as_root:  # root reads every file: run the entrypoint as nobody, as a runner would
        workspace = Path(shutil.copytree(workspace, shared_tmp / "workspace"))
        files = shared_tmp / "runner"
        for folder in (files, files / "tmp", files / "home"):
            folder.mkdir(parents=True)
            folder.chmod(0o777)
        (files / "output").touch(mode=0o666)
        (files / "output").chmod(0o666)
    locked = workspace / "locked.txt"
    locked.write_text("x")
    locked.chmod(0)
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     region="us-west", as_nobody=as_root)
    error = assert_clean_failure(run, "context", workspace, before)
    assert "locked.txt" in error
    assert not [r for r in emulator.requests if r.server == "storage"]


def test_truncated_answer(emulator: Emulator, workspace: Path, files: Path) -> None:
    from pipecat_cloud_emulator import Fault

    emulator.inject(Fault(kind="truncated", endpoint="GET /v1/properties", count=50))
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url)
    assert run.returncode == 1
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "not JSON" in error and "default region" in error
    assert "Traceback" not in run.log
    assert snapshot(workspace) == before
    assert run.files == []


def test_socket_and_fifo_are_skipped_with_a_warning(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    os.mkfifo(workspace / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(workspace / "sock"))
    try:
        run = run_action(
            workspace,
            files,
            api_key=TEST_KEY,
            api_url=emulator.api_url,
            region="us-west",
            poll_interval="0.2",
        )
    finally:
        sock.close()
    assert run.returncode == 0, run.log
    warnings = [ln for ln in run.stdout.splitlines() if ln.startswith("::warning")]
    assert any("pipe" in w for w in warnings) and any("sock" in w for w in warnings)


def test_content_over_the_limit_names_the_largest_paths(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    big = workspace / "models"
    big.mkdir()
    with (big / "weights.bin").open("wb") as fh:
        fh.truncate(501 * 1024 * 1024)  # sparse: no disk used
    before = snapshot(workspace)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, region="us-west")
    error = assert_clean_failure(run, "context", workspace, before)
    assert "models" in error and "501" in error
    assert not [r for r in emulator.requests if r.server == "storage"]
