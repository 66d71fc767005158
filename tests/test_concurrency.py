"""Runs of one context at the same time: one build, which every run follows."""

from __future__ import annotations

from pathlib import Path

from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions

from pipecat_cloud_emulator import Emulator

from .action_harness import TEST_KEY, finish, run_action, start_action


def cli_hash(folder: Path) -> str:
    return create_deterministic_tarball(str(folder), get_exclusions(folder)).context_hash


def creates(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if (r.method, r.path) == ("POST", "/v1/builds"))


def test_two_runs_started_together_make_one_build_and_both_output_it(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.config.building_seconds = 1.5
    inputs = {"api_key": TEST_KEY, "api_url": emulator.api_url, "region": "us-west",
              "poll_interval": "1"}
    procs = [start_action(workspace, tmp_path / f"runner-{n}", **inputs) for n in range(2)]
    runs = [finish(proc, tmp_path / f"runner-{n}") for n, proc in enumerate(procs)]
    for run in runs:
        assert run.returncode == 0, run.log
    [build] = emulator.builds
    assert creates(emulator) == 1
    for run in runs:
        assert run.outputs["build-id"] == build["id"]
        assert run.outputs["image-uri"] == build["imageUri"]
    followers = [run for run in runs if "already pending" in run.stdout
                 or "already building" in run.stdout]
    assert len(followers) == 1, "the second run follows the first one's build"


def test_a_run_follows_a_build_of_its_context_already_in_progress(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.config.building_seconds = 1.5  # still building when the run looks
    running = emulator.add_build(cli_hash(workspace), status="building", created_ago=5)
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     region="us-west", poll_interval="0.1")
    assert run.returncode == 0, run.log
    assert creates(emulator) == 0
    [build] = emulator.builds
    assert run.outputs["build-id"] == running["id"] == build["id"]
    assert run.outputs["image-uri"] == build["imageUri"]
    assert run.outputs["cached"] == "false"
    assert f"build {running['id']} of this context is already building" in run.stdout


def test_a_build_in_progress_with_another_dockerfile_or_region_is_not_followed(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    context_hash = cli_hash(workspace)
    other_file = emulator.add_build(context_hash, dockerfile_path="Dockerfile.dev",
                                    status="building")
    other_region = emulator.add_build(context_hash, region="eu-central", status="pending")
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     region="us-west", poll_interval="0.1")
    assert run.returncode == 0, run.log
    assert creates(emulator) == 1
    assert run.outputs["build-id"] not in (other_file["id"], other_region["id"])
    assert len(emulator.builds) == 3
