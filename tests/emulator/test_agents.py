"""Agents as openapi.json describes them, and a deployment's life: reconcile, Creating,
Validating, Active, with the old revision still answering `ready` during a rolling update."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from pipecat_cloud_emulator import Emulator, EmulatorConfig

from .client import FakeClock, build, create, get, seeded_build, session, settle, update, wait_for
from .conftest import CREATING, DRAINING, RECONCILE, VALIDATING


def test_create_then_reconcile_creating_validating_active(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    answer = create(api, emu, serviceName="my-agent", buildId=seeded_build(emu))
    assert answer.status_code == 200, answer.text
    created = answer.json()
    deployment = created["desiredDeploymentId"]
    assert str(uuid.UUID(deployment)) == deployment
    assert created["activeDeploymentId"] == deployment
    assert created["reconciledDeploymentId"] is None
    assert (created["ready"], created["available"], created["activeDeploymentReady"]) == (
        False,
        False,
        False,
    )
    assert created["currentRevision"]["phase"] == "Creating"
    assert created["previousRevision"] is None
    assert created["region"] == "us-west" and created["agentProfile"] == "agent-1x"

    clock.advance(RECONCILE)
    reconciled = get(api, emu, "my-agent")
    assert reconciled["reconciledDeploymentId"] == deployment
    assert reconciled["currentRevision"]["phase"] == "Creating"
    assert reconciled["ready"] is False

    clock.advance(CREATING)
    validating = get(api, emu, "my-agent")
    assert validating["currentRevision"]["phase"] == "Validating"
    assert validating["currentRevision"]["health"]["state"] == "running"
    assert validating["ready"] is False and validating["available"] is False

    clock.advance(VALIDATING)
    active = get(api, emu, "my-agent")
    assert active["currentRevision"]["phase"] == "Active"
    assert active["reconciledDeploymentId"] == active["desiredDeploymentId"] == deployment
    assert active["ready"] and active["available"] and active["activeDeploymentReady"]
    assert active["errors"] == [] and active["conditions"] == []


def test_rolling_update_keeps_the_old_revision_ready_until_reconciled(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    old = create(api, emu, serviceName="roll", buildId=seeded_build(emu)).json()
    settle(clock, emu)
    answer = update(api, emu, "roll", buildId=seeded_build(emu))
    assert answer.status_code == 200, answer.text
    updated = answer.json()
    new = updated["desiredDeploymentId"]
    assert new != old["desiredDeploymentId"] and updated["activeDeploymentId"] == new
    # The trap: everything but the ids says "ready", and it is the old revision talking.
    assert updated["reconciledDeploymentId"] == old["desiredDeploymentId"]
    assert updated["ready"] and updated["available"] and updated["activeDeploymentReady"]
    assert updated["currentRevision"]["deploymentID"] == new
    assert updated["currentRevision"]["phase"] == "Creating"
    assert updated["previousRevision"]["deploymentID"] == old["desiredDeploymentId"]
    assert updated["previousRevision"]["phase"] == "Active"

    clock.advance(RECONCILE)
    rolling = get(api, emu, "roll")
    assert rolling["reconciledDeploymentId"] == new
    assert rolling["ready"] is False and rolling["activeDeploymentReady"] is False
    assert rolling["available"] is True  # the old revision still serves

    clock.advance(CREATING + VALIDATING)
    done = get(api, emu, "roll")
    assert done["ready"] and done["available"] and done["reconciledDeploymentId"] == new
    assert done["previousRevision"]["phase"] == "Draining"
    clock.advance(DRAINING)
    assert get(api, emu, "roll")["previousRevision"] is None


def test_update_without_changes_warns_and_keeps_the_deployment(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    build_id = seeded_build(emu)
    emu.add_secret_set("s1", {"API_KEY": "v"})
    first = create(api, emu, serviceName="same", buildId=build_id, secretSet="s1")
    deployment = first.json()["desiredDeploymentId"]
    settle(clock, emu)
    again = update(api, emu, "same", buildId=build_id, secretSet="s1")
    assert again.status_code == 200
    assert again.json()["desiredDeploymentId"] == deployment
    assert again.json()["warning"]
    assert get(api, emu, "same")["reconciledDeploymentId"] == deployment
    forced = update(api, emu, "same", buildId=build_id, forceRedeploy=True).json()
    assert forced["desiredDeploymentId"] != deployment
    assert "warning" not in forced


def test_a_changed_setting_is_a_new_deployment_and_shows_in_the_manifest(
    emu: Emulator, api: requests.Session
) -> None:
    create(api, emu, serviceName="tune", image="me/agent:1")
    changed = update(
        api,
        emu,
        "tune",
        autoScaling={"minAgents": 1, "maxAgents": 3},
        agentProfile="agent-2x",
        maxSessionDuration=600,
        krispViva={"audioFilter": "tel"},
    ).json()
    assert "warning" not in changed
    spec = changed["deployment"]["manifest"]["spec"]
    assert spec["image"] == "me/agent:1"
    assert spec["autoScaling"] == {"minReplicas": 1, "maxReplicas": 3}
    assert spec["maxSessionDurationSeconds"] == 600
    assert changed["autoScaling"] == {"maxReplicas": 3, "minReplicas": 1}
    assert changed["agentProfile"] == "agent-2x"
    assert changed["krispViva"] == {"audioFilter": "tel"}


@pytest.mark.contract_bad_requests("invalid bodies, on purpose")
def test_create_refusals(emu: Emulator, api: requests.Session) -> None:
    def refused(status: int, message: str, **body: Any) -> None:
        answer = create(api, emu, **body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"] == message
        assert set(answer.json()) == {"error", "code"}

    good = seeded_build(emu)
    both = "Cannot specify both image and buildId. Use one or the other."
    refused(400, both, serviceName="a1", image="x:1", buildId=good)
    refused(400, "Either image or buildId is required for service creation", serviceName="a1")
    refused(400, "Build not found", serviceName="a1", buildId=str(uuid.uuid4()))
    refused(
        400,
        "Build is in region 'eu-central' but service is in region 'us-west'. "
        "Builds must be in the same region as the service.",
        serviceName="a1",
        buildId=seeded_build(emu, region="eu-central"),
    )
    refused(
        400,
        "Build is not ready (status: building). Only successful builds can be deployed.",
        serviceName="a1",
        buildId=seeded_build(emu, status="building"),
    )
    refused(404, "Secret set not found", serviceName="a1", buildId=good, secretSet="nope")
    for bad in (
        {"serviceName": "Bad_Name", "buildId": good},
        {"serviceName": "a" * 55, "buildId": good},
        {"serviceName": "a1", "buildId": "not-a-uuid"},
        {"serviceName": "a1", "buildId": good, "maxSessionDuration": 59},
        {"serviceName": "a1", "buildId": good, "agentProfile": "agent-9x"},
        {"serviceName": "a1", "buildId": good, "nodeType": "x86"},
        {"serviceName": "a1", "buildId": good, "autoScaling": {"minAgents": "1"}},
        {"buildId": good},
    ):
        answer = create(api, emu, **bad)
        assert answer.status_code == 400, bad
        assert answer.json()["code"] == "GENERIC_BAD_REQUEST"
    assert create(api, emu, serviceName="a1", buildId=good).status_code == 200
    refused(400, "Service already exists", serviceName="a1", buildId=good)
    assert list(emu.agents) == ["a1"]


def test_secret_sets_bound_to_a_deploy_must_be_ready_and_in_region(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    good = seeded_build(emu)
    emu.add_secret_set("later", {"K": "v"}, status="pending")
    pending = create(api, emu, serviceName="a2", buildId=good, secretSet="later")
    assert pending.status_code == 409
    assert pending.json()["code"] == "CONFLICT"
    emu.add_secret_set("far", {"K": "v"}, region="eu-central")
    far = create(api, emu, serviceName="a2", buildId=good, secretSet="far")
    assert far.status_code == 400 and "region 'eu-central'" in far.json()["error"]
    clock.advance(emu.config.secret_pending_seconds)
    assert create(api, emu, serviceName="a2", buildId=good, secretSet="later").status_code == 200


def test_unknown_agents_are_not_found(emu: Emulator, api: requests.Session) -> None:
    missing = api.get(f"{emu.api_url}/v1/agents/ghost")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not found", "code": "NOT_FOUND"}
    assert update(api, emu, "ghost", image="x:1").status_code == 404
    assert api.delete(f"{emu.api_url}/v1/agents/ghost").status_code == 404


@pytest.mark.contract_bad_requests("fields the spec does not know, on purpose")
def test_unknown_fields_are_dropped_and_recorded(emu: Emulator, api: requests.Session) -> None:
    created = create(
        api, emu, serviceName="lax", image="x:1", autoScaling={"maxAgents": 2, "burst": 9}
    )
    assert created.status_code == 200
    update(api, emu, "lax", serviceName="lax", region="us-west", colour="blue")
    assert [(d.method, d.path, d.fields) for d in emu.dropped_fields] == [
        ("POST", "/v1/agents", ("autoScaling.burst",)),
        ("POST", "/v1/agents/lax", ("serviceName", "region", "colour")),
    ]
    assert emu.agents["lax"]["autoScaling"]["maxReplicas"] == 2


def test_list_and_delete(emu: Emulator, api: requests.Session) -> None:
    create(api, emu, serviceName="west", image="x:1")
    create(api, emu, serviceName="europe", image="x:1", region="eu-central")
    listed = api.get(f"{emu.api_url}/v1/agents").json()["services"]
    assert [item["name"] for item in listed] == ["west", "europe"]
    assert "deployment" not in listed[0]
    europe = api.get(f"{emu.api_url}/v1/agents", params={"region": "eu-central"}).json()
    assert [item["name"] for item in europe["services"]] == ["europe"]
    full = api.get(f"{emu.api_url}/v1/agents", params={"includeActiveDeployment": "true"})
    assert full.json()["services"][0]["deployment"]["id"] == listed[0]["desiredDeploymentId"]
    deleted = api.delete(f"{emu.api_url}/v1/agents/west")
    assert deleted.status_code == 200 and deleted.json() == {"status": "OK"}
    assert api.get(f"{emu.api_url}/v1/agents/west").status_code == 404
    assert list(emu.agents) == ["europe"]


def test_a_real_time_deploy_becomes_ready() -> None:
    config = EmulatorConfig(
        pending_seconds=0.0,
        building_seconds=0.05,
        deploy_reconcile_seconds=0.05,
        deploy_creating_seconds=0.05,
        deploy_validating_seconds=0.05,
    )
    with Emulator(config) as emu:
        api = session()
        built = build(api, emu)
        created = create(api, emu, serviceName="live", buildId=built["id"]).json()
        ready = wait_for(
            lambda: get(api, emu, "live"),
            lambda agent: (
                agent["ready"] and agent["reconciledDeploymentId"] == agent["desiredDeploymentId"]
            ),
            what="the agent to be ready",
        )
        assert ready["desiredDeploymentId"] == created["desiredDeploymentId"]
        assert ready["available"] and ready["currentRevision"]["phase"] == "Active"
