"""Scripted faults reach the agent and secret endpoints, under the route's template or the
spec's placeholder names."""

from __future__ import annotations

import pytest
import requests

from pipecat_cloud_emulator import Emulator, Fault

from .client import create, seeded_build, update


def test_a_lost_update_answer_still_deploys(emu: Emulator, api: requests.Session) -> None:
    first = create(api, emu, serviceName="lossy", buildId=seeded_build(emu)).json()
    emu.inject(Fault("lost", endpoint="POST /v1/agents/{name}"))
    with pytest.raises(requests.ConnectionError):
        update(api, emu, "lossy", buildId=seeded_build(emu))
    assert emu.requests[-1].status == "reset"
    desired = emu.agents["lossy"]["desiredDeploymentId"]
    assert desired != first["desiredDeploymentId"]  # the deployment happened
    listed = api.get(f"{emu.api_url}/v1/agents/lossy").json()
    assert listed["desiredDeploymentId"] == desired


def test_the_spec_placeholder_names_match_too(emu: Emulator, api: requests.Session) -> None:
    emu.inject(Fault("503", endpoint="GET /v1/agents/{agentName}"))
    emu.inject(Fault("500", endpoint="PUT /v1/secrets/{setName}"))
    assert api.get(f"{emu.api_url}/v1/agents/anything").status_code == 503
    body = {"secrets": [{"secretKey": "A", "secretValue": "1"}]}
    assert api.put(f"{emu.api_url}/v1/secrets/my-set", json=body).status_code == 500
    assert emu.secret_sets == {}  # a pre-processing fault: nothing was written
    assert api.put(f"{emu.api_url}/v1/secrets/my-set", json=body).status_code == 202
    assert emu.faults.pending() == []


def test_a_lost_create_answer_leaves_the_agent_created(
    emu: Emulator, api: requests.Session
) -> None:
    emu.inject(Fault("lost", endpoint="POST /v1/agents"))
    with pytest.raises(requests.ConnectionError):
        create(api, emu, serviceName="ghosted", image="me/agent:1")
    retried = create(api, emu, serviceName="ghosted", image="me/agent:1")
    assert retried.status_code == 400
    assert retried.json()["error"] == "Service already exists"
