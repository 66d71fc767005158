"""The contract helper refuses what the spec refuses, and allows only the listed deviations."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from . import deviations
from .validator import ContractViolation, contract

BUILD_ID = "123e4567-e89b-12d3-a456-426614174000"
AUTH = {"Authorization": "Bearer pk_test", "Content-Type": "application/json"}


def build(**changes: Any) -> dict[str, Any]:
    value = {
        "id": BUILD_ID,
        "organizationId": "org_1",
        "status": "success",
        "region": "us-west",
        "contextHash": "a1b2c3d4e5f6a7b8",
        "dockerfilePath": "Dockerfile",
        "imageUri": "123.dkr.ecr.us-west-2.amazonaws.com/pipecat-cloud/org_1:a1b2c3d4e5f6a7b8",
        "contextSizeBytes": 1024,
        "createdAt": "2026-02-20T12:00:00.000Z",
    }
    value.update(changes)
    return value


def answer(method: str, path: str, status: int, payload: Any) -> None:
    contract().check_answer(method, path, status, body=json.dumps(payload).encode())


def sent(method: str, path: str, payload: Any = None, **query: str) -> None:
    body = json.dumps(payload).encode() if payload is not None else b""
    contract().check_request(
        method, path, query={k: [v] for k, v in query.items()}, headers=AUTH, body=body
    )


def test_conforming_requests_and_answers_pass() -> None:
    sent("POST", "/v1/builds", {"uploadId": str(uuid.uuid4()), "region": "us-west"})
    sent("GET", "/v1/builds", contextHash="a1b2c3d4e5f6a7b8", region="us-west", limit="20")
    answer("GET", f"/v1/builds/{BUILD_ID}", 200, {"build": build()})
    answer("POST", "/v1/builds", 201, {"build": build(), "contextHash": "x", "cached": False})
    answer("GET", "/v1/regions", 200, {"regions": [{"code": "us-west", "display_name": "W"}]})
    answer("GET", f"/v1/builds/{BUILD_ID}", 404, {"error": "Not found", "code": "NOT_FOUND"})


@pytest.mark.parametrize(
    ("method", "path", "status", "payload", "says"),
    [
        ("GET", f"/v1/builds/{BUILD_ID}", 200, {"build": build(surprise=1)}, "surprise"),
        ("GET", f"/v1/builds/{BUILD_ID}", 200, {"build": build(status="done")}, "done"),
        ("GET", f"/v1/builds/{BUILD_ID}", 200, {"build": build(contextSizeBytes="1k")}, "1k"),
        ("GET", f"/v1/builds/{BUILD_ID}", 200, {"build": build(id="not-a-uuid")}, "uuid"),
        ("GET", "/v1/regions", 200, {"regions": [{"code": "us-west"}]}, "display_name"),
        ("GET", "/v1/builds", 404, {"error": "x", "code": "NOT_FOUND"}, "not documented"),
        ("GET", f"/v1/builds/{BUILD_ID}", 404, {"error": "x"}, "code"),
        ("GET", f"/v1/builds/{BUILD_ID}", 404, {"error": "x", "code": "GONE"}, "GONE"),
        ("POST", "/v1/builds", 400, {"error": "x", "code": "UPLOAD_NOT_FOUND"}, "UPLOAD"),
        ("GET", "/v1/properties", 200, {"properties": {"defaultRegion": 1}}, "defaultRegion"),
    ],
)
def test_nonconforming_answers_fail(
    method: str, path: str, status: int, payload: Any, says: str
) -> None:
    with pytest.raises(ContractViolation, match=says):
        answer(method, path, status, payload)


@pytest.mark.parametrize(
    ("method", "path", "payload", "query", "says"),
    [
        ("POST", "/v1/builds/upload-url", {"region": "us-west", "regoin": "x"}, {}, "regoin"),
        ("POST", "/v1/builds", {"uploadId": BUILD_ID}, {}, "region"),
        ("POST", "/v1/builds", {"uploadId": "u-1", "region": "us-west"}, {}, "uuid"),
        ("GET", "/v1/builds", None, {"sort": "asc"}, "sort"),
        ("GET", "/v1/builds", None, {"limit": "500"}, "limit"),
        ("GET", "/v1/builds", None, {"status": "done"}, "status"),
        ("POST", "/v1/agents", {"serviceName": "a", "maxSessionDuration": 30}, {}, "60"),
        ("POST", "/v1/agents", {"serviceName": "bot", "agentProfile": "agent-9x"}, {}, "9x"),
        ("POST", "/v1/agents/bot", {"image": "x", "region": "us-west"}, {}, "region"),
        ("GET", "/v1/nothing-here", None, {}, "no such operation"),
    ],
)
def test_nonconforming_requests_fail(
    method: str, path: str, payload: Any, query: dict[str, str], says: str
) -> None:
    with pytest.raises(ContractViolation, match=says):
        sent(method, path, payload, **query)


def test_a_request_without_the_key_fails() -> None:
    with pytest.raises(ContractViolation, match=r"[Ss]ecurity"):
        contract().check_request("GET", "/v1/builds", headers={})


def test_nullable_fields_and_listed_deviations_pass() -> None:
    sent("POST", "/v1/agents/bot", {"krispViva": {"audioFilter": None}, "forceRedeploy": True})
    sent("GET", "/v1/builds", dockerfilePath="Dockerfile")  # the official action's filter
    agent = {
        "name": "bot",
        "ready": False,
        "reconciledDeploymentId": None,
        "currentRevision": None,
        "previousRevision": None,
        "errors": [{"code": "PCC_IMAGE_NOT_FOUND", "message": "no such image"}],
        "conditions": [{"type": "Progressing", "status": "True", "reason": "x", "message": "y"}],
        "warning": "nothing changed",
    }
    answer("GET", "/v1/agents/bot", 200, agent)
    answer("GET", f"/v1/builds/{BUILD_ID}", 401, {"error": "Unauthorized", "code": "UNAUTHORIZED"})
    with pytest.raises(ContractViolation, match="errors"):
        answer("GET", "/v1/agents/bot", 200, {**agent, "errors": [{"code": 1}]})


def test_every_deviation_names_its_source_and_patches_something() -> None:
    spec = contract().spec
    for deviation in deviations.DEVIATIONS:
        assert deviation.what and deviation.source, deviation
        assert "shared/pipecat-cloud/" in deviation.source or "spec/" in deviation.source
    # applied: the patched copy differs from the vendored file exactly where listed
    assert "errors" in spec["components"]["schemas"]["ServiceDetailsResponse"]["properties"]
    assert "errors" not in contract().raw["components"]["schemas"]["ServiceDetailsResponse"][
        "properties"
    ]


def test_the_spec_is_compiled_once() -> None:
    assert contract() is contract()


def test_what_the_emulator_declares_as_beyond_the_spec_is_allowed_here() -> None:
    """The emulator keeps its own list (nonspec.py); each entry must be a deviation here."""
    nonspec = pytest.importorskip("pipecat_cloud_emulator.nonspec")
    fields = {
        (d.schema + "".join(f".{p}" for p in d.path), d.name)
        for d in deviations.DEVIATIONS
        if isinstance(d, deviations.ExtraField)
    }
    nulls = {
        (d.schema, d.path[-1])
        for d in deviations.DEVIATIONS
        if isinstance(d, deviations.NullableField)
    }
    statuses = {
        (f"{method.upper()} {path}", int(d.status))
        for d in deviations.DEVIATIONS
        if isinstance(d, deviations.ExtraStatus)
        for method, path in d.operations
    }
    for entry in getattr(nonspec, "NON_SPEC_FIELDS", ()):
        assert (entry.where, entry.name) in fields, entry
    for entry in getattr(nonspec, "NULL_FIELDS", ()):
        assert (entry.where, entry.name) in nulls, entry
    for entry in getattr(nonspec, "NON_SPEC_ANSWERS", ()):
        assert (entry.operation, entry.status) in statuses, entry
