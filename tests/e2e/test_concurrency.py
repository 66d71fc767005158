"""Runs of one context at the same time.

What is guaranteed: every run succeeds with the context's image, and a run that looks after
another run created its build follows that build (one build, one upload). Runs that look at
the same instant may both find nothing and both create: a random pause before creating and
one more look narrow that window, the API offers nothing that closes it. The server then
builds the same context twice and both images are the same URI.
"""

from __future__ import annotations

import time
from pathlib import Path

from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions

from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, finish, run_action, start_action


def cli_hash(folder: Path) -> str:
    return create_deterministic_tarball(str(folder), get_exclusions(folder)).context_hash


def creates(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if (r.method, r.path) == ("POST", "/v1/builds"))


def storage_posts(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.server == "storage")


def test_two_runs_started_together_both_succeed_with_the_contexts_image(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.config.building_seconds = 1.5
    inputs = {"api_key": TEST_KEY, "api_url": emulator.api_url, "region": "us-west",
              "poll_interval": "1"}
    procs = [start_action(workspace, tmp_path / f"runner-{n}", **inputs) for n in range(2)]
    runs = [finish(proc, tmp_path / f"runner-{n}") for n, proc in enumerate(procs)]
    for run in runs:
        assert run.returncode == 0, run.log
    builds = emulator.builds
    assert 1 <= len(builds) <= 2 and creates(emulator) <= 2, "at most one build per run"
    assert {b["contextHash"] for b in builds} == {cli_hash(workspace)}
    assert {run.outputs["image-uri"] for run in runs} == {b["imageUri"] for b in builds}
    assert len({run.outputs["image-uri"] for run in runs}) == 1, "one image for one context"
    ids = {b["id"] for b in builds}
    assert all(run.outputs["build-id"] in ids for run in runs)
    if len(builds) == 1:  # the usual case: the later run found the earlier one's build
        assert all(run.outputs["build-id"] == builds[0]["id"] for run in runs)


def test_a_run_that_looks_after_another_created_the_build_follows_it_without_uploading(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.config.building_seconds = 3
    inputs = {"api_key": TEST_KEY, "api_url": emulator.api_url, "region": "us-west",
              "poll_interval": "0.2"}
    first = start_action(workspace, tmp_path / "runner-first", **inputs)
    ends = time.monotonic() + 60  # a deadline only against hanging
    while not emulator.builds:
        assert first.poll() is None, "the first run ended before creating its build"
        assert time.monotonic() < ends, "the first run never created its build"
        time.sleep(0.02)
    second = start_action(workspace, tmp_path / "runner-second", **inputs)
    runs = [finish(first, tmp_path / "runner-first"), finish(second, tmp_path / "runner-second")]
    for run in runs:
        assert run.returncode == 0, run.log
    [build] = emulator.builds
    assert creates(emulator) == 1 and storage_posts(emulator) == 1
    for run in runs:
        assert run.outputs["build-id"] == build["id"]
        assert run.outputs["image-uri"] == build["imageUri"]
    later = runs[1].stdout
    # Still building when it looked (followed), or already done (reused): never built again.
    assert f"build {build['id']} of this context is already" in later or (
        f"build {build['id']} already built this context" in later
    ), later


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
