"""An agent's whole life from CI (issue 21), in process against the emulator: deploy an
existing build by id (a rollback), deploy a registry image with its pull-secret set, delete the
agent (twice: the second run finds it gone), and a preview agent's shortened name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipecat_build.config.cleaners import AGENT_NAME, AGENT_NAME_MAX
from pipecat_build.config.targets import agent_with_suffix
from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, InProcessRun, run_in_process

HASH = "0123456789abcdef"


@pytest.fixture
def emu(deploy_emulator: Emulator) -> Emulator:
    return deploy_emulator


def run(emu: Emulator, workspace: Path, **inputs: str) -> InProcessRun:
    return run_in_process(
        workspace, api_key=TEST_KEY, api_url=emu.api_url, poll_interval="0.05", **inputs
    )


def writes(emu: Emulator) -> list[str]:
    """Every request that changes something (the read-only checks are allowed)."""
    return [
        f"{r.method} {r.path}"
        for r in emu.requests
        if r.method != "GET" and r.server in ("api", "storage")
    ]


def test_build_id_deploys_that_build_with_the_outputs_of_a_built_run(
    emu: Emulator, workspace: Path
) -> None:
    build = emu.add_build(HASH, region="us-west")
    result = run(emu, workspace, build_id=build["id"].upper(), agent_name="voice-bot")
    assert result.returncode == 0, result.log
    outputs = result.outputs
    assert outputs["build-id"] == build["id"]
    assert outputs["image-uri"] == build["imageUri"]
    assert outputs["context-hash"] == HASH
    assert outputs["cached"] == "true" and outputs["status"] == "success"
    assert outputs["agent-name"] == "voice-bot" and outputs["deploy-status"] == "ready"
    assert outputs["deployment-id"] == emu.agents["voice-bot"]["desiredDeploymentId"]
    # Nothing packed, uploaded or built: one deploy is the only write.
    assert writes(emu) == ["POST /v1/agents"]
    body = json.loads(next(r.body for r in emu.requests if r.method == "POST"))
    assert body["buildId"] == build["id"] and body["region"] == "us-west"
    assert "image" not in body
    # The summary names the build deployed, and how to deploy it again.
    assert f"`build-id: {build['id']}`" in result.summary


def test_build_id_rolls_an_agent_back_to_an_earlier_build(
    emu: Emulator, workspace: Path
) -> None:
    old = emu.add_build(HASH, created_ago=600)
    new = emu.add_build("fedcba9876543210", created_ago=60)
    assert run(emu, workspace, build_id=new["id"], agent_name="bot").returncode == 0
    back = run(emu, workspace, build_id=old["id"], agent_name="bot")
    assert back.returncode == 0, back.log
    assert back.outputs["deploy-status"] == "ready"
    updates = [r for r in emu.requests if r.method == "POST" and r.path == "/v1/agents/bot"]
    assert [json.loads(r.body)["buildId"] for r in updates] == [old["id"]]


@pytest.mark.parametrize(
    ("status", "says"),
    [("failed", "is failed, not success"), ("building", "is building, not success")],
)
def test_build_id_of_a_build_that_did_not_succeed_is_refused_before_the_deploy(
    emu: Emulator, workspace: Path, status: str, says: str
) -> None:
    build = emu.add_build(HASH, status=status, created_ago=0 if status == "building" else 60)
    result = run(emu, workspace, build_id=build["id"], agent_name="bot")
    assert result.returncode == 1
    assert f"build {build['id']} {says}" in result.log
    assert writes(emu) == []
    assert "bot" not in emu.agents


def test_unknown_build_id_is_refused_before_anything_is_written(
    emu: Emulator, workspace: Path
) -> None:
    missing = "5d1a4b1e-0000-4000-8000-000000000000"
    result = run(emu, workspace, build_id=missing, agent_name="bot")
    assert result.returncode == 1
    assert f"build {missing} does not exist (build-id)" in result.log
    assert writes(emu) == []


def test_build_of_another_region_than_the_agent_is_refused(
    emu: Emulator, workspace: Path
) -> None:
    here = emu.add_build(HASH, region="us-west")
    assert run(emu, workspace, build_id=here["id"], agent_name="bot").returncode == 0
    before = len(writes(emu))
    there = emu.add_build(HASH, region="eu-central")
    result = run(emu, workspace, build_id=there["id"], agent_name="bot")
    assert result.returncode == 1
    assert (
        f"build {there['id']} is in region eu-central but agent bot is in region us-west"
        in result.log
    )
    assert len(writes(emu)) == before


def put_pull_secret(emu: Emulator, name: str, region: str = "us-west") -> None:
    import requests

    body = {"isImagePullSecret": True, "host": "https://ghcr.io", "secretValue": "dXNlcjpw",
            "region": region}
    answer = requests.put(
        f"{emu.api_url}/v1/secrets/{name}",
        json=body,
        headers={"Authorization": f"Bearer {TEST_KEY}"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text


def test_image_with_its_pull_secret_set_is_deployed_without_a_build(
    emu: Emulator, workspace: Path
) -> None:
    put_pull_secret(emu, "ghcr-pull")
    image = "ghcr.io/acme/bot:1.2.0"
    result = run(emu, workspace, image=image, image_credentials="ghcr-pull", agent_name="bot")
    assert result.returncode == 0, result.log
    assert result.outputs["image-uri"] == image
    assert result.outputs["deploy-status"] == "ready" and result.outputs["agent-name"] == "bot"
    assert "build-id" not in result.outputs and "status" not in result.outputs
    body = json.loads(next(r.body for r in emu.requests if r.method == "POST"))
    assert body["image"] == image and body["imagePullSecretSet"] == "ghcr-pull"
    assert "buildId" not in body
    assert not [r for r in emu.requests if r.path.startswith("/v1/builds")]
    spec = emu.agents["bot"]["deployment"]["manifest"]["spec"]
    assert spec["image"] == image and spec["imagePullSecretName"] == "ghcr-pull"


def test_image_with_a_pull_secret_set_that_does_not_exist_is_refused(
    emu: Emulator, workspace: Path
) -> None:
    result = run(emu, workspace, image="ghcr.io/acme/bot:1", image_credentials="nope-pull",
                 agent_name="bot")
    assert result.returncode == 1
    assert "image pull secret set nope-pull does not exist (image-credentials)" in result.log
    assert writes(emu) == []


def test_delete_agent_deletes_then_finds_it_gone_and_keeps_its_secret_set(
    emu: Emulator, workspace: Path
) -> None:
    emu.add_secret_set("bot-secrets", {"TOKEN": "t"})
    build = emu.add_build(HASH)
    assert run(emu, workspace, build_id=build["id"], agent_name="bot",
               secret_set="bot-secrets").returncode == 0
    first = run(emu, workspace, delete_agent="true", agent_name="bot")
    assert first.returncode == 0, first.log
    assert first.outputs == {"agent-name": "bot", "delete-status": "deleted"}
    assert "bot" not in emu.agents
    assert "secret set bot-secrets is kept" in first.log
    assert "bot-secrets" in emu.secret_sets
    again = run(emu, workspace, delete_agent="true", agent_name="bot")
    assert again.returncode == 0, again.log
    assert again.outputs == {"agent-name": "bot", "delete-status": "already-gone"}
    assert "agent bot does not exist (already deleted?)" in again.log
    assert not [r for r in emu.requests if r.path.startswith(("/v1/builds", "/v1/secrets/"))
                and r.method != "GET"]


def test_delete_secret_set_deletes_only_the_set_named(emu: Emulator, workspace: Path) -> None:
    emu.add_secret_set("bot-pr-7-secrets", {"TOKEN": "t"})
    emu.add_secret_set("bot-secrets", {"TOKEN": "t"})
    result = run(emu, workspace, delete_agent="true", agent_name="bot",
                 agent_name_suffix="pr-7", delete_secret_set="true",
                 secret_set="bot-pr-7-secrets")
    assert result.returncode == 0, result.log
    assert result.outputs["delete-status"] == "already-gone"
    assert "bot-pr-7-secrets" not in emu.secret_sets and "bot-secrets" in emu.secret_sets
    assert "secret set bot-pr-7-secrets deleted" in result.log


def test_a_preview_agent_of_a_long_name_is_valid_and_the_same_for_deploy_and_delete(
    emu: Emulator, workspace: Path
) -> None:
    long_name = "a-very-long-agent-name-for-the-voice-bot-of-acme-corp"  # 52 characters
    build = emu.add_build(HASH)
    made = run(emu, workspace, build_id=build["id"], agent_name=long_name,
               agent_name_suffix="pr-1234")
    assert made.returncode == 0, made.log
    name = made.outputs["agent-name"]
    assert name == agent_with_suffix(long_name, "pr-1234")
    assert len(name) <= AGENT_NAME_MAX and AGENT_NAME.fullmatch(name)
    assert name.endswith("-pr-1234") and name in emu.agents
    gone = run(emu, workspace, delete_agent="true", agent_name=long_name,
               agent_name_suffix="pr-1234")
    assert gone.outputs == {"agent-name": name, "delete-status": "deleted"}
    assert name not in emu.agents


def test_a_rollback_outside_the_default_region_keeps_its_secret_set_of_that_region(
    emu: Emulator, workspace: Path
) -> None:
    """The agent's region is the build's, not the organization's default: the preflight's
    secret-set check must not compare the set with the default region."""
    emu.add_secret_set("eu-secrets", {"TOKEN": "t"}, region="eu-central")
    build = emu.add_build(HASH, region="eu-central")
    result = run(emu, workspace, build_id=build["id"], agent_name="eu-bot",
                 secret_set="eu-secrets")
    assert result.returncode == 0, result.log
    assert emu.agents["eu-bot"]["region"] == "eu-central"
