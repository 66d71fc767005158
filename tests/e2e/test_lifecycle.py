"""Issue 21 through `entrypoint.py` as the runner starts it: a rollback by build id and a
deletion end to end, and every combination that says two things refused with one line naming
an input before anything reaches the service (the emulator's request log stays empty)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, ActionRun, run_action
from tests.e2e.test_bad_input import assert_clean_failure, snapshot

BUILD_ID = "5d1a4b1e-1111-4000-8000-000000000000"


def step(emu: Emulator, workspace: Path, files: Path, **inputs: str) -> ActionRun:
    return run_action(
        workspace, files, api_key=TEST_KEY, api_url=emu.api_url, poll_interval="0.05", **inputs
    )


@pytest.mark.parametrize(
    ("inputs", "input_name", "says"),
    [
        ({"build_id": BUILD_ID, "image": "ghcr.io/a/b:1", "agent_name": "bot"}, "image",
         "cannot be used with build-id"),
        ({"delete_agent": "true", "build_id": BUILD_ID, "agent_name": "bot"}, "delete-agent",
         "cannot be used with build-id"),
        ({"delete_agent": "true"}, "agent-name", "is empty but delete-agent is true"),
        ({"build_id": BUILD_ID, "agent_name": "bot", "services": "a: {context: .}"},
         "services", "cannot be used with build-id"),
        ({"image": "ghcr.io/a/b:1", "agent_name": "bot", "plan_only": "true"}, "plan-only",
         "cannot be used with image"),
        ({"build_id": BUILD_ID}, "build-id", "no agent is named"),
        ({"build_id": BUILD_ID, "agent_name": "bot", "deploy": "false"}, "deploy",
         "is false but build-id is set"),
        ({"build_id": "build-42", "agent_name": "bot"}, "build-id", "is not a build id"),
        ({"image": "ghcr.io/acme/bot", "agent_name": "bot"}, "image", "has no tag"),
        ({"image_credentials": "ghcr-pull", "agent_name": "bot"}, "image-credentials",
         "is set but image is not"),
        ({"delete_secret_set": "true", "agent_name": "bot"}, "delete-secret-set",
         "delete-agent is not"),
        ({"delete_agent": "true", "delete_secret_set": "true", "agent_name": "bot"},
         "delete-secret-set", "secret-set is empty"),
        ({"agent_name": "bot", "agent_name_suffix": "PR_7"}, "agent-name-suffix",
         "not a valid agent name suffix"),
    ],
)
def test_what_cannot_be_done_is_refused_before_anything_is_sent(
    emulator: Emulator,
    workspace: Path,
    files: Path,
    inputs: dict[str, str],
    input_name: str,
    says: str,
) -> None:
    before = snapshot(workspace)
    run = step(emulator, workspace, files, **inputs)
    error = assert_clean_failure(run, f"Input '{input_name}'", workspace, before)
    assert says in error
    assert emulator.requests == [], "nothing reached the service"


def test_rollback_then_delete_through_the_entrypoint(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    build = emulator.add_build("0123456789abcdef")
    deployed = step(emulator, workspace, tmp_path / "one", build_id=build["id"],
                    agent_name="voice-bot", agent_name_suffix="pr-9", wait_for_ready="false")
    assert deployed.returncode == 0, deployed.log
    assert deployed.outputs["agent-name"] == "voice-bot-pr-9"
    assert deployed.outputs["build-id"] == build["id"]
    assert f"`build-id: {build['id']}`" in deployed.summary
    deleted = step(emulator, workspace, tmp_path / "two", delete_agent="true",
                   agent_name="voice-bot", agent_name_suffix="pr-9")
    assert deleted.returncode == 0, deleted.log
    assert deleted.outputs["delete-status"] == "deleted"
    assert "voice-bot-pr-9" not in emulator.agents
    assert "agent deletion" in deleted.summary
    again = step(emulator, workspace, tmp_path / "three", delete_agent="true",
                 agent_name="voice-bot", agent_name_suffix="pr-9")
    assert again.returncode == 0 and again.outputs["delete-status"] == "already-gone"
    assert "already gone" in again.summary
