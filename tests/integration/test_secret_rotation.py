"""Issue 19 §1, in process against the emulator (which captures a set's values per deployment,
as Pipecat Cloud does): after a run that changed a secret value, the agent serves a deployment
made after the write; a run that writes the values the running deployment already has
restarts nothing when it can know (hash-cache), and redeploys, saying why, when it cannot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, InProcessRun, run_in_process


@pytest.fixture
def emu(deploy_emulator: Emulator) -> Emulator:
    return deploy_emulator


def deploy(emu: Emulator, workspace: Path, token: str, **inputs: str) -> InProcessRun:
    run = run_in_process(
        workspace, api_key=TEST_KEY, api_url=emu.api_url, poll_interval="0.05",
        agent_name="rotating", secret_set="rotating-env", secrets=f"TOKEN={token}\n", **inputs,
    )
    assert run.returncode == 0, run.log
    assert token not in run.log and token not in run.summary
    return run


def update_bodies(emu: Emulator) -> list[dict[str, object]]:
    return [
        json.loads(r.body)
        for r in emu.requests
        if r.server == "api" and r.method == "POST" and r.path == "/v1/agents/rotating"
    ]


def test_a_rotated_secret_reaches_the_agent_and_the_same_values_restart_nothing(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    cache = str(tmp_path / "cache")
    first = deploy(emu, workspace, "old-7f3a", hash_cache=cache)
    assert emu.running_secrets("rotating") == {"TOKEN": "old-7f3a"}
    assert "first deployment reads the values written" in first.log

    # Same code, a new value: a new deployment made after the write serves it.
    rotated = deploy(emu, workspace, "new-91c2", hash_cache=cache)
    assert rotated.outputs["cached"] == "true"
    assert rotated.outputs["deploy-status"] == "ready"
    assert rotated.outputs["deployment-id"] != first.outputs["deployment-id"]
    assert emu.running_deployment("rotating") == rotated.outputs["deployment-id"]
    assert emu.running_secrets("rotating") == {"TOKEN": "new-91c2"}
    assert update_bodies(emu)[-1].get("forceRedeploy") is True
    assert "the values written differ from those deployment" in rotated.log

    # The same values again: the running deployment has them; nothing restarts.
    again = deploy(emu, workspace, "new-91c2", hash_cache=cache)
    assert again.outputs["deploy-status"] == "unchanged"
    assert again.outputs["deployment-id"] == rotated.outputs["deployment-id"]
    assert "forceRedeploy" not in update_bodies(emu)[-1]
    assert "was made with exactly these values (hash-cache): nothing to restart" in again.log

    # The memory holds digests, never a value, and nothing of the API key.
    for entry in Path(cache).iterdir():
        text = entry.read_bytes()
        assert b"new-91c2" not in text and b"old-7f3a" not in text
        assert TEST_KEY.encode() not in text


def test_without_hash_cache_the_same_values_redeploy_and_say_why(
    emu: Emulator, workspace: Path
) -> None:
    first = deploy(emu, workspace, "same-2b8d")
    again = deploy(emu, workspace, "same-2b8d")
    assert again.outputs["deploy-status"] == "ready"
    assert again.outputs["deployment-id"] != first.outputs["deployment-id"]
    assert emu.running_secrets("rotating") == {"TOKEN": "same-2b8d"}
    assert "without hash-cache this run cannot know whether deployment" in again.log


def test_an_entry_for_another_deployment_or_tampered_with_is_not_trusted(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    deploy(emu, workspace, "v1-55aa", hash_cache=str(cache))
    [entry] = cache.glob("*.secrets")
    entry.write_text(entry.read_text().replace("values ", "values 0"))
    again = deploy(emu, workspace, "v1-55aa", hash_cache=str(cache))
    assert again.outputs["deploy-status"] == "ready", "redeployed: it could not know"
    assert "has no record of the values deployment" in again.log

    # Another run (with another cache) deployed the agent meanwhile: the entry, made for the
    # deployment before, says nothing about the new one, so the next run redeploys.
    other = deploy(emu, workspace, "v1-55aa", hash_cache=str(tmp_path / "other"),
                   force_redeploy="true")
    assert "force-redeploy is set" in other.log
    third = deploy(emu, workspace, "v1-55aa", hash_cache=str(cache))
    assert third.outputs["deploy-status"] == "ready"
    assert third.outputs["deployment-id"] != other.outputs["deployment-id"]
    assert f"values deployment {other.outputs['deployment-id']} was made with" in third.log
    assert emu.running_secrets("rotating") == {"TOKEN": "v1-55aa"}
