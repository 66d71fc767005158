"""The entrypoint as the runner starts it, against the emulator over real HTTP."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions

from pipecat_cloud_emulator import Emulator
from pipecat_cloud_emulator.builds import TERMINAL, BuildRecord
from tests.action_harness import TEST_KEY, ActionRun, run_action


def cli_hash(folder: Path) -> str:
    return create_deterministic_tarball(str(folder), get_exclusions(folder)).context_hash


def build_in_us_west(emu: Emulator, workspace: Path, files: Path) -> ActionRun:
    """A first run that builds the workspace in a given region (so no region look-up)."""
    return run_action(
        workspace,
        files,
        api_key=TEST_KEY,
        api_url=emu.api_url,
        region="us-west",
        poll_interval="0.2",
    )


def api_requests(emu: Emulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in emu.requests if r.server == "api"]


def test_fresh_build_outputs_the_servers_image_and_the_clis_hash(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    run = run_action(
        workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, poll_interval="0.2"
    )
    assert run.returncode == 0, run.log
    [build] = emulator.builds
    assert run.outputs["image-uri"] == build["imageUri"]
    assert run.outputs["build-id"] == build["id"]
    assert run.outputs["context-hash"] == cli_hash(workspace) == build["contextHash"]
    assert run.outputs["cached"] == "false"
    assert run.outputs["status"] == "success"
    assert run.outputs["context-size-bytes"] == str(build["contextSizeBytes"])
    assert run.outputs["image-size-bytes"] == str(build["imageSizeBytes"])
    assert run.outputs["build-duration-seconds"] == str(build["buildDurationSeconds"])
    assert run.outputs["logs-url"] == build["logsUrl"]
    # Default region: the organization's, asked once.
    assert api_requests(emulator).count("GET /v1/properties") == 1
    assert build["region"] == emulator.config.default_region
    assert "| Image URI | `" + build["imageUri"] + "` |" in run.summary
    assert run.files == [], "the archive must not outlive the run"


def test_second_run_reuses_the_build_with_one_request_and_no_upload(
    emulator: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    first = build_in_us_west(emulator, workspace, files)
    assert first.returncode == 0, first.log
    emulator.clear_requests()
    second = run_action(
        workspace, tmp_path / "second", api_key=TEST_KEY, api_url=emulator.api_url, region="us-west"
    )
    assert second.returncode == 0, second.log
    assert second.outputs["cached"] == "true"
    assert second.outputs["image-uri"] == first.outputs["image-uri"]
    assert second.outputs["build-id"] == first.outputs["build-id"]
    assert api_requests(emulator) == ["GET /v1/builds"]
    assert not [r for r in emulator.requests if r.server == "storage"]
    assert len(emulator.builds) == 1


def test_another_dockerfile_is_not_a_hit(
    emulator: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    (workspace / "Dockerfile.prod").write_text("FROM scratch\n")
    first = build_in_us_west(emulator, workspace, files)
    second = run_action(
        workspace,
        tmp_path / "second",
        api_key=TEST_KEY,
        api_url=emulator.api_url,
        region="us-west",
        dockerfile="Dockerfile.prod",
        poll_interval="0.2",
    )
    assert second.returncode == 0, second.log
    assert second.outputs["context-hash"] == first.outputs["context-hash"]
    assert second.outputs["cached"] == "false"
    assert len(emulator.builds) == 2


def test_force_uploads_and_the_server_answers_with_its_cached_build(
    emulator: Emulator, workspace: Path, files: Path, tmp_path: Path
) -> None:
    first = build_in_us_west(emulator, workspace, files)
    emulator.clear_requests()
    forced = run_action(
        workspace,
        tmp_path / "forced",
        api_key=TEST_KEY,
        api_url=emulator.api_url,
        region="us-west",
        force="true",
    )
    assert forced.returncode == 0, forced.log
    assert forced.outputs["cached"] == "true"
    assert forced.outputs["image-uri"] == first.outputs["image-uri"]
    assert "GET /v1/builds" not in api_requests(emulator)
    assert [r.server for r in emulator.requests].count("storage") == 1
    assert len(emulator.builds) == 1


def test_failed_build_exits_1_with_its_error_message_and_no_image(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.config.outcome = "failed"
    run = run_action(
        workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, poll_interval="0.2"
    )
    assert run.returncode == 1
    [build] = emulator.builds
    errors = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert len(errors) == 1
    message = errors[0].replace("%0A", "\n")
    assert build["errorMessage"] in message
    assert build["id"] in message
    assert "Last log lines" in message
    assert "image-uri" not in run.outputs
    assert run.outputs["status"] == "failed"
    assert run.outputs["build-id"] == build["id"]
    assert "failed" in run.summary
    assert "Traceback" not in run.log


def test_server_timeout_exits_1(emulator: Emulator, workspace: Path, files: Path) -> None:
    emulator.config.outcome = "timeout"
    run = run_action(
        workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, poll_interval="0.2"
    )
    assert run.returncode == 1
    assert run.outputs["status"] == "timeout"
    assert "image-uri" not in run.outputs
    assert emulator.builds[0]["errorMessage"] in run.stdout.replace("%0A", "\n")


def test_build_timeout_names_the_build_and_says_it_may_still_run(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.config.building_seconds = 30
    run = run_action(
        workspace,
        files,
        api_key=TEST_KEY,
        api_url=emulator.api_url,
        poll_interval="0.2",
        build_timeout="1",
    )
    assert run.returncode == 1
    [build] = emulator.builds
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert build["id"] in error and "may still be running" in error
    assert "image-uri" not in run.outputs
    assert run.outputs["build-id"] == build["id"]


def _numbered_log(count: int):  # type: ignore[no-untyped-def]
    return lambda build: [
        f"[Container] 2026/11/23 10:00:{i // 60:02d} step {i:04d}" for i in range(count)
    ]


def _printed_log_lines(stdout: str) -> list[str]:
    return re.findall(r"^\[Container\] .*$", stdout, flags=re.M)


def pace_the_log(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """Each read of a building build's log reveals `step` more lines, and the build ends once
    every line was served: the log grows with the client's reads, not with the clock, so a
    slow machine cannot make lines scroll out of the server's window between two reads."""
    shown: dict[str, int] = {}
    lock = threading.Lock()
    timed = BuildRecord.visible_logs

    def visible_logs(self: BuildRecord, now: float | None = None) -> list[str]:
        status = self.status(now)
        if status == "pending" or status in TERMINAL:
            return timed(self, now)
        with lock:
            count = shown[self.id] = min(len(self.log_lines), shown.get(self.id, 0) + step)
            if count == len(self.log_lines):
                self.completed = time.time()  # every line was served: the build ends
        return self.log_lines[:count]

    monkeypatch.setattr(BuildRecord, "visible_logs", visible_logs)


def test_every_log_line_once_in_order_when_the_server_keeps_the_last_lines(
    emulator: Emulator, workspace: Path, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 lines, 25 more at each read, and the server never answers more than 40: the tailer
    # must stitch the windows together from overlapping last-N answers.
    emulator.config.log_mode = "last"
    emulator.config.log_answer_cap = 40
    emulator.config.building_seconds = 600  # ends when the log was read, see pace_the_log
    emulator.config.log_lines = _numbered_log(300)
    pace_the_log(monkeypatch, step=25)
    run = run_action(
        workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, poll_interval="0.1"
    )
    assert run.returncode == 0, run.log
    assert _printed_log_lines(run.stdout) == _numbered_log(300)({})
    reads = [r for r in emulator.requests if r.path.endswith("/logs")]
    assert len(reads) >= 300 // 25, "the log arrived in many overlapping windows"


def test_every_log_line_once_in_order_when_the_server_keeps_the_first_lines(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    # 1,200 lines: longer than the endpoint's default answer of 500.
    emulator.config.log_mode = "first"
    emulator.config.log_lines = _numbered_log(1200)
    run = run_action(
        workspace, files, api_key=TEST_KEY, api_url=emulator.api_url, poll_interval="0.2"
    )
    assert run.returncode == 0, run.log
    assert _printed_log_lines(run.stdout) == _numbered_log(1200)({})
