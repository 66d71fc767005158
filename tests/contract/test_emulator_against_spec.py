"""The emulator driven like a client would, each answer held against the official schema.

Independent of the client in src/pipecat_build: plain `requests`, and the validator of
tests/contract (openapi-core over spec/pipecat-cloud-openapi.json), not the emulator's own view
of itself. Agents and secret sets are skipped only while the emulator has no route for them.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pipecat_cloud_emulator import Emulator, EmulatorConfig, Fault, builds

from .coverage import emulator_operations
from .validator import ContractViolation, contract

KEY = "pk_contract_test"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(api_key=KEY, pending_seconds=0, building_seconds=0.05)) as e:
        yield e


@pytest.fixture
def api() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    return session


def held(answer: requests.Response, status: int) -> Any:
    """The answer has the expected status and conforms to the spec; its JSON."""
    assert answer.status_code == status, answer.text
    request = answer.request
    path = requests.utils.urlparse(request.url).path
    contract().check_answer(
        str(request.method),
        path,
        answer.status_code,
        body=answer.content,
        content_type=answer.headers.get("Content-Type"),
    )
    return answer.json()


def context() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"FROM python:3.11-slim\nCOPY bot.py .\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def successful_build(emu: Emulator, api: requests.Session) -> dict[str, Any]:
    ticket = held(api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west"}), 200)
    stored = requests.post(
        ticket["uploadUrl"],
        data=ticket["uploadFields"],
        files={"file": ("context.tar.gz", context(), "application/gzip")},
    )
    assert stored.status_code in (200, 201, 204), stored.text
    payload = {"uploadId": ticket["uploadId"], "region": "us-west", "dockerfilePath": "Dockerfile"}
    created = held(api.post(f"{emu.api_url}/v1/builds", json=payload), 201)
    assert created["cached"] is False
    build_id = created["build"]["id"]
    deadline = time.monotonic() + 10
    while True:
        build = held(api.get(f"{emu.api_url}/v1/builds/{build_id}"), 200)["build"]
        if build["status"] == "success" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert build["status"] == "success"
    again = held(api.post(f"{emu.api_url}/v1/builds", json=payload), 200)
    assert again["cached"] is True and again["build"]["id"] == build_id
    return dict(build)


def test_a_build_its_listing_and_logs(emu: Emulator, api: requests.Session) -> None:
    build = successful_build(emu, api)
    query = {"contextHash": build["contextHash"], "region": "us-west", "limit": 5}
    listed = held(api.get(f"{emu.api_url}/v1/builds", params=query), 200)
    assert [b["id"] for b in listed["builds"]] == [build["id"]]
    logs = held(api.get(f"{emu.api_url}/v1/builds/{build['id']}/logs", params={"limit": 3}), 200)
    assert len(logs["logs"]) <= 3
    held(api.get(f"{emu.api_url}/v1/properties"), 200)
    assert held(api.get(f"{emu.api_url}/v1/regions"), 200)["regions"]


def test_a_failed_look_up_and_a_refused_region(emu: Emulator, api: requests.Session) -> None:
    missing = held(api.get(f"{emu.api_url}/v1/builds/{uuid.uuid4()}"), 404)
    assert missing["code"] == "NOT_FOUND"
    refused = api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": "ap-south"})
    assert held(refused, 400)["code"] == "GENERIC_BAD_REQUEST"
    wrong_key = requests.get(f"{emu.api_url}/v1/regions", headers={"Authorization": "Bearer x"})
    assert held(wrong_key, 401)["code"] == "UNAUTHORIZED"


def needs(*operations: str) -> None:
    missing = [op for op in operations if op not in emulator_operations()]
    if missing:
        pytest.skip(f"the emulator has no route for {missing} yet (tests/contract/coverage.py)")


def test_a_secret_set(emu: Emulator, api: requests.Session) -> None:
    needs("PUT /v1/secrets/{}", "GET /v1/secrets/{}")
    secrets = {"secrets": [{"secretKey": "OPENAI_API_KEY", "secretValue": "sk-1"}]}
    accepted = held(api.put(f"{emu.api_url}/v1/secrets/bot-secrets", json=secrets), 202)
    assert accepted["status"] == "OK"
    seen = held(api.get(f"{emu.api_url}/v1/secrets/bot-secrets"), 200)
    assert json.dumps(seen).count("sk-1") == 0  # names only, never values


def test_an_agent_created_read_duplicated_and_updated(
    emu: Emulator, api: requests.Session
) -> None:
    needs("POST /v1/agents", "GET /v1/agents/{}", "POST /v1/agents/{}")
    build = successful_build(emu, api)
    create = {"serviceName": "voice-bot", "buildId": build["id"], "region": "us-west"}
    created = held(api.post(f"{emu.api_url}/v1/agents", json=create), 200)
    assert created["name"] == "voice-bot"
    read = held(api.get(f"{emu.api_url}/v1/agents/voice-bot"), 200)
    assert read["name"] == "voice-bot"
    duplicate = held(api.post(f"{emu.api_url}/v1/agents", json=create), 400)
    assert duplicate["code"] == "GENERIC_BAD_REQUEST"
    update = {"buildId": build["id"], "maxSessionDuration": 3600, "forceRedeploy": True}
    held(api.post(f"{emu.api_url}/v1/agents/voice-bot", json=update), 200)
    missing = held(api.get(f"{emu.api_url}/v1/agents/no-such-bot"), 404)
    assert missing["code"] == "NOT_FOUND"


# -- the conftest checks catch what they should ------------------------------------------------


def test_an_undocumented_field_in_an_emulator_answer_is_caught(
    emu: Emulator, api: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = emu.add_build("a" * 16)
    render = builds.BuildRecord.render
    monkeypatch.setattr(
        builds.BuildRecord, "render", lambda self, now=None: {**render(self, now), "extra": 1}
    )
    api.get(f"{emu.api_url}/v1/builds/{build['id']}")
    with pytest.raises(ContractViolation, match="extra"):
        contract().check_recorded(emu.requests[-1])
    emu.clear_requests()  # what the conftest would otherwise (rightly) fail this test for


def test_an_undocumented_field_in_a_client_request_is_caught(
    emu: Emulator, api: requests.Session
) -> None:
    api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west", "cache": "no"})
    with pytest.raises(ContractViolation, match="cache"):
        contract().check_recorded(emu.requests[-1])
    contract().check_recorded(emu.requests[-1], request=False)  # the answer itself is fine
    emu.clear_requests()


def test_injected_faults_are_not_held_against_the_spec(
    emu: Emulator, api: requests.Session
) -> None:
    for kind in ("non_json", "503", "truncated"):
        emu.inject(Fault(kind, "GET /v1/regions"))
        api.get(f"{emu.api_url}/v1/regions")
    recorded = [r for r in emu.requests if r.path == "/v1/regions"]
    assert [r.fault for r in recorded] == ["non_json", "503", "truncated"]
    for seen in recorded:
        contract().check_recorded(seen)


def test_every_emulator_a_test_starts_is_checked(_emulators_started: list[Emulator]) -> None:
    with Emulator(EmulatorConfig(api_key=KEY)) as own:
        assert any(e is own for e in _emulators_started)
