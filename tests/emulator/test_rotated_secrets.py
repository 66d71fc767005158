"""A deployment runs with the secret values its set held when it was made (issue 19 §1).

Pipecat Cloud does not restart agents when a set changes; `forceRedeploy` is how a deployment
picks up modified values (the spec's UpdateServiceRequest.forceRedeploy). The emulator models
that, and shows tests what the serving deployment runs with: `emu.running_secrets(agent)`,
`emu.deployment_secrets(agent, id)`, `emu.running_deployment(agent)`, and over HTTP the
non-spec control `GET /_emulator/agents/{name}/running` (value digests only).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from pipecat_cloud_emulator import Emulator, Fault

from .client import FakeClock, create, get, seeded_build, session, settle, update
from .conftest import PENDING, RECONCILE


def put(api: requests.Session, emu: Emulator, name: str, **values: str) -> None:
    body = {"secrets": [{"secretKey": k, "secretValue": v} for k, v in values.items()]}
    answer = api.put(f"{emu.api_url}/v1/secrets/{name}", json=body)
    assert answer.status_code == 202, answer.text


def deployed(
    api: requests.Session, emu: Emulator, clock: FakeClock, name: str, **values: str
) -> tuple[str, str]:
    """An Active agent `name` bound to the ready set `<name>-secrets` holding `values`;
    returns (build id, deployment id)."""
    put(api, emu, f"{name}-secrets", **values)
    clock.advance(PENDING)
    build_id = seeded_build(emu)
    answer = create(api, emu, serviceName=name, buildId=build_id, secretSet=f"{name}-secrets")
    assert answer.status_code == 200, answer.text
    settle(clock, emu)
    return build_id, str(answer.json()["desiredDeploymentId"])


def test_writing_the_set_changes_nothing_running_and_an_unchanged_update_stays_unchanged(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    build_id, first = deployed(api, emu, clock, "rot", TOKEN="old", MODEL="m1")
    assert emu.running_deployment("rot") == first
    assert emu.running_secrets("rot") == {"TOKEN": "old", "MODEL": "m1"}

    put(api, emu, "rot-secrets", TOKEN="new")
    clock.advance(PENDING)
    assert emu.secret_matches("rot-secrets", "TOKEN", "new")
    agent = get(api, emu, "rot")
    assert agent["desiredDeploymentId"] == first and agent["ready"]
    assert emu.running_secrets("rot") == {"TOKEN": "old", "MODEL": "m1"}

    same = update(api, emu, "rot", buildId=build_id, secretSet="rot-secrets")
    assert same.status_code == 200 and same.json()["warning"]
    assert same.json()["desiredDeploymentId"] == first
    assert emu.running_secrets("rot") == {"TOKEN": "old", "MODEL": "m1"}


def test_force_redeploy_picks_up_the_values_once_the_new_revision_serves(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    build_id, first = deployed(api, emu, clock, "rot", TOKEN="old")
    put(api, emu, "rot-secrets", TOKEN="new", EXTRA="e")
    clock.advance(PENDING)

    forced = update(api, emu, "rot", buildId=build_id, forceRedeploy=True)
    assert forced.status_code == 200, forced.text
    second = forced.json()["desiredDeploymentId"]
    assert second != first and "warning" not in forced.json()
    assert emu.deployment_secrets("rot") == {"TOKEN": "new", "EXTRA": "e"}
    # Rolling update: the old revision serves, with what it captured, until the new is Active.
    assert emu.running_deployment("rot") == first
    assert emu.running_secrets("rot") == {"TOKEN": "old"}
    settle(clock, emu)
    assert emu.running_deployment("rot") == second
    assert emu.running_secrets("rot") == {"TOKEN": "new", "EXTRA": "e"}
    assert emu.deployment_secrets("rot", first) == {"TOKEN": "old"}


def test_any_changing_update_captures_the_values_of_that_moment(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    deployed(api, emu, clock, "rot", TOKEN="old")
    put(api, emu, "rot-secrets", TOKEN="new")
    clock.advance(PENDING)
    changed = update(api, emu, "rot", buildId=seeded_build(emu))
    assert "warning" not in changed.json()
    settle(clock, emu)
    assert emu.running_secrets("rot") == {"TOKEN": "new"}
    # Removing a key, or the whole set, does not reach the running deployment either.
    assert api.delete(f"{emu.api_url}/v1/secrets/rot-secrets/TOKEN").status_code == 200
    assert api.delete(f"{emu.api_url}/v1/secrets/rot-secrets").status_code == 200
    assert emu.running_secrets("rot") == {"TOKEN": "new"}


def test_a_forced_redeploy_refused_or_crashing_leaves_the_old_values_serving(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    build_id, first = deployed(api, emu, clock, "rot", TOKEN="old")
    put(api, emu, "rot-secrets", TOKEN="new")  # pending: a deploy bound to it is refused
    refused = update(api, emu, "rot", buildId=build_id, forceRedeploy=True)
    assert refused.status_code == 409 and refused.json()["code"] == "CONFLICT"
    assert get(api, emu, "rot")["desiredDeploymentId"] == first

    clock.advance(PENDING)
    emu.crash_next_deployment("rot")
    crashing = update(api, emu, "rot", buildId=build_id, forceRedeploy=True).json()
    settle(clock, emu)
    assert get(api, emu, "rot")["currentRevision"]["phase"] == "Failed"
    assert emu.deployment_secrets("rot", crashing["desiredDeploymentId"]) == {"TOKEN": "new"}
    assert emu.running_deployment("rot") == first
    assert emu.running_secrets("rot") == {"TOKEN": "old"}


def test_what_runs_before_anything_serves_and_without_a_set(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    created = create(api, emu, serviceName="bare", image="me/agent:1").json()
    assert emu.running_deployment("bare") is None
    assert emu.running_secrets("bare") is None
    assert emu.deployment_secrets("bare") == {}
    settle(clock, emu)
    assert emu.running_deployment("bare") == created["desiredDeploymentId"]
    assert emu.running_secrets("bare") == {}
    with pytest.raises(KeyError):
        emu.running_secrets("ghost")
    with pytest.raises(KeyError):
        emu.deployment_secrets("bare", "00000000-0000-0000-0000-000000000000")


def sha256(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def running(api: requests.Session, emu: Emulator, name: str) -> requests.Response:
    return api.get(f"{emu.api_url}/_emulator/agents/{name}/running")


def test_the_control_endpoint_shows_the_serving_deployment_and_value_digests(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    build_id, first = deployed(api, emu, clock, "rot", TOKEN="old-token-value")
    shown: dict[str, Any] = running(api, emu, "rot").json()
    assert shown == {
        "name": "rot",
        "desiredDeploymentId": first,
        "deploymentId": first,
        "secretSet": "rot-secrets",
        "secrets": {"TOKEN": sha256("old-token-value")},
    }
    put(api, emu, "rot-secrets", TOKEN="new-token-value")
    clock.advance(PENDING)
    second = update(api, emu, "rot", buildId=build_id, forceRedeploy=True).json()
    clock.advance(RECONCILE)
    rolling = running(api, emu, "rot").json()
    assert rolling["desiredDeploymentId"] == second["desiredDeploymentId"]
    assert rolling["deploymentId"] == first
    assert rolling["secrets"] == {"TOKEN": sha256("old-token-value")}
    settle(clock, emu)
    assert running(api, emu, "rot").json()["secrets"] == {"TOKEN": sha256("new-token-value")}
    assert all("token-value" not in seen.answer.decode() for seen in emu.requests if seen.answer)


def test_the_control_endpoint_needs_the_key_takes_no_faults_and_is_not_an_api_request(
    emu: Emulator, api: requests.Session
) -> None:
    create(api, emu, serviceName="new-agent", image="me/agent:1")
    nothing = running(api, emu, "new-agent").json()
    assert (nothing["deploymentId"], nothing["secretSet"], nothing["secrets"]) == (None, None, None)
    missing = running(api, emu, "ghost")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not found", "code": "NOT_FOUND"}
    assert running(session("pk_wrong"), emu, "new-agent").status_code == 401

    emu.inject(Fault("500"))  # any API endpoint: the control does not take it
    assert running(api, emu, "new-agent").status_code == 200
    assert api.get(f"{emu.api_url}/v1/agents/new-agent").status_code == 500
    controls = [seen for seen in emu.requests if seen.path.startswith("/_emulator/")]
    assert [seen.server for seen in controls] == ["control"] * 4
    assert [seen.status for seen in controls] == [200, 404, 401, 200]
