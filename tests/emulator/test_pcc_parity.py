"""What `pcc deploy` 1.4.0 sends for pcc-deploy.toml keys, against the spec's agents API
(issue 19 §2; findings in docs/contract.md "pcc-deploy.toml keys and the agents API").

The body is the one pipecatcloud 1.4.0 builds itself (`_API._deploy`, captured before it is
sent). The spec's CreateServiceRequest / UpdateServiceRequest define no websocket auth,
architecture or explicit resources, so the emulator drops those fields as the real service
drops unknown fields, records them in `emu.dropped_fields`, and shows nothing of them back.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import requests
from pipecatcloud._utils.deploy_utils import (
    DeployConfigParams,
    KrispVivaConfig,
    ResourcesConfig,
    ScalingParams,
)
from pipecatcloud.api import _API

from pipecat_cloud_emulator import Emulator

from .client import FakeClock, create, get, seeded_build, update
from .conftest import PENDING

NOT_IN_SPEC = {"websocketAuth", "architecture", "resources"}


def pcc_body(params: DeployConfigParams, update: bool = False) -> tuple[str, dict[str, Any]]:
    """The method and JSON body `pcc deploy` 1.4.0 sends for `params` (not sent anywhere)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    client = _API()

    async def capture(method: str, _url: str, **kwargs: Any) -> dict[str, Any]:
        seen.append((method, kwargs["json"]))
        return {}

    client._base_request = capture  # type: ignore[method-assign]
    asyncio.run(client._deploy(params, org="org_emulator", update=update))
    return seen[0]


def toml_params(build_id: str, **extra: Any) -> DeployConfigParams:
    """A pcc-deploy.toml with websocket_auth, architecture and [resources] set."""
    return DeployConfigParams(
        agent_name="pcc-agent",
        build_id=build_id,
        secret_set="pcc-secrets",
        region="us-west",
        scaling=ScalingParams(min_agents=1, max_agents=3),
        resources=ResourcesConfig(cpu="2", memory="4Gi"),
        krisp_viva=KrispVivaConfig(audio_filter="tel"),
        websocket_auth="token",
        max_session_duration=600,
        architecture="amd64",
        **extra,
    )


@pytest.mark.contract_bad_requests("pcc deploy 1.4.0's body: fields the spec does not define")
def test_pcc_deploy_fields_outside_the_spec_are_dropped_and_the_rest_is_applied(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    body = {"secrets": [{"secretKey": "K", "secretValue": "v"}]}
    assert api.put(f"{emu.api_url}/v1/secrets/pcc-secrets", json=body).status_code == 202
    clock.advance(PENDING)
    build_id = seeded_build(emu)
    method, payload = pcc_body(toml_params(build_id))
    assert method == "POST" and set(payload) >= NOT_IN_SPEC

    answer = create(api, emu, **payload)
    assert answer.status_code == 200, answer.text
    assert [(d.method, d.path, set(d.fields)) for d in emu.dropped_fields] == [
        ("POST", "/v1/agents", NOT_IN_SPEC)
    ]
    shown = get(api, emu, "pcc-agent")
    text = json.dumps(shown)
    assert "websocket" not in text.lower() and "architecture" not in text
    spec = shown["deployment"]["manifest"]["spec"]
    assert spec["resources"] == {"cpu": "500m", "memory": "1Gi"}  # agent-1x, not cpu 2 / 4Gi
    assert shown["agentProfile"] == "agent-1x"
    # What the spec defines is applied and shown as it says.
    assert shown["autoScaling"] == {"maxReplicas": 3, "minReplicas": 1}
    assert shown["krispViva"] == {"audioFilter": "tel"}
    assert spec["maxSessionDurationSeconds"] == 600
    assert spec["envFromSecretNames"] == ["pcc-secrets"]


@pytest.mark.contract_bad_requests("pcc deploy 1.4.0's update body sent to the spec's update")
def test_pcc_deploy_update_body_on_the_spec_update_drops_name_region_and_the_same_three(
    emu: Emulator, api: requests.Session
) -> None:
    emu.add_secret_set("pcc-secrets", {"K": "v"})
    build_id = seeded_build(emu)
    assert create(api, emu, serviceName="pcc-agent", buildId=build_id).status_code == 200
    method, payload = pcc_body(toml_params(build_id, force_redeploy=True), update=True)
    # pcc 1.4.0 updates with PUT on its own path; the spec's update is POST /v1/agents/{name}.
    assert method == "PUT" and payload["forceRedeploy"] is True
    answer = update(api, emu, "pcc-agent", **payload)
    assert answer.status_code == 200, answer.text
    assert "warning" not in answer.json()
    assert [set(d.fields) for d in emu.dropped_fields] == [{"serviceName", "region"} | NOT_IN_SPEC]


@pytest.mark.contract_bad_requests("values the spec refuses, on purpose")
def test_values_the_spec_refuses_are_refused(emu: Emulator, api: requests.Session) -> None:
    build_id = seeded_build(emu)
    for bad in (
        {"nodeType": "amd64"},  # the spec's only node type is arm; pcc sends none
        {"agentProfile": "agent-4x"},
        {"maxSessionDuration": 14401},
        {"krispViva": {"audioFilter": "studio"}},
    ):
        answer = create(api, emu, serviceName="strict", buildId=build_id, **bad)
        assert answer.status_code == 400, bad
        assert answer.json()["code"] == "GENERIC_BAD_REQUEST"
    assert emu.agents == {}
