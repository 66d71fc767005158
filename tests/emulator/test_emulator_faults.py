"""Scripted and random faults, each as a client over real HTTP sees it."""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests_toolbelt import MultipartEncoder

from pipecat_cloud_emulator import Emulator, EmulatorConfig, Fault

KEY = "pk_emulator_demo"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(pending_seconds=0.05, building_seconds=0.1)) as emulator:
        yield emulator


def properties(emu: Emulator, **kwargs: Any) -> requests.Response:
    return requests.get(f"{emu.api_url}/v1/properties", headers=AUTH, **kwargs)


def issue(emu: Emulator) -> dict[str, Any]:
    answer = requests.post(
        f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west"}, headers=AUTH
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def store(issued: dict[str, Any], data: bytes = b"context bytes") -> requests.Response:
    encoder = MultipartEncoder(
        fields=[*issued["uploadFields"].items(), ("file", ("c.tar.gz", data, "application/gzip"))]
    )
    return requests.post(
        issued["uploadUrl"], data=encoder, headers={"Content-Type": encoder.content_type}
    )


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("500", 500, "INTERNAL_SERVER_ERROR"),
        ("503", 503, "SERVICE_UNAVAILABLE"),
        ("429", 429, None),
    ],
)
def test_json_error_faults(emu: Emulator, kind: str, status: int, code: str | None) -> None:
    emu.inject(Fault(kind, endpoint="GET /v1/properties", retry_after=2.0))
    faulted = properties(emu)
    assert faulted.status_code == status
    assert set(faulted.json()) == {"error", "code"}
    if code:
        assert faulted.json()["code"] == code
    if kind == "429":
        assert faulted.headers["Retry-After"] == "2"
    assert properties(emu).status_code == 200


def test_bad_gateway_is_an_html_page(emu: Emulator) -> None:
    emu.inject(Fault("502"))
    answer = properties(emu)
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        answer.json()


def test_count_and_endpoint_matching(emu: Emulator) -> None:
    emu.inject(Fault("503", endpoint="GET /v1/builds/{id}", count=2))
    seeded = emu.add_build("d" * 16)
    assert properties(emu).status_code == 200
    assert requests.get(f"{emu.api_url}/v1/builds", headers=AUTH).status_code == 200
    url = f"{emu.api_url}/v1/builds/{seeded['id']}"
    statuses = [requests.get(url, headers=AUTH).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_reset_is_a_connection_error(emu: Emulator) -> None:
    emu.inject(Fault("reset", endpoint="POST /v1/builds/upload-url"))
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west"}, headers=AUTH
        )
    assert emu.requests[-1].status == "reset"
    assert emu.uploads == {}
    assert issue(emu)["uploadId"] in emu.uploads


def test_lost_create_really_creates_the_build(emu: Emulator) -> None:
    issued = issue(emu)
    assert store(issued).status_code == 204
    emu.inject(Fault("lost", endpoint="POST /v1/builds"))
    payload = {"uploadId": issued["uploadId"], "region": "us-west"}
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{emu.api_url}/v1/builds", json=payload, headers=AUTH)
    (build,) = emu.builds
    listed = requests.get(f"{emu.api_url}/v1/builds", headers=AUTH).json()["builds"]
    assert [b["id"] for b in listed] == [build["id"]]
    recorded = emu.requests[-2]
    assert (recorded.path, recorded.status) == ("/v1/builds", "reset")


def test_stall_delays_then_answers(emu: Emulator) -> None:
    emu.inject(Fault("stall", stall_seconds=0.3))
    assert properties(emu).status_code == 200
    emu.inject(Fault("stall", stall_seconds=2.0))
    with pytest.raises(requests.Timeout):
        properties(emu, timeout=0.2)


def test_stopping_the_emulator_releases_a_stalled_request() -> None:
    emu = Emulator().start()
    emu.inject(Fault("stall", stall_seconds=60))
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(properties(emu, timeout=30).status_code)
        except requests.RequestException as error:
            outcome.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 20
    while emu.faults.pending():  # once the server has taken the fault, the call is stalled
        assert time.monotonic() < deadline, "the stalled request never reached the server"
        time.sleep(0.01)
    emu.stop()
    caller.join(timeout=30)
    assert not caller.is_alive()
    assert isinstance(outcome[0], requests.ConnectionError)


def test_non_json_answer(emu: Emulator) -> None:
    emu.inject(Fault("non_json", endpoint="POST /v1/builds/upload-url"))
    answer = requests.post(
        f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west"}, headers=AUTH
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        answer.json()
    assert emu.uploads == {}


def test_truncated_answer_is_half_a_json_document(emu: Emulator) -> None:
    emu.inject(Fault("truncated", endpoint="GET /v1/regions"))
    answer = requests.get(f"{emu.api_url}/v1/regions", headers=AUTH)
    assert answer.status_code == 200
    whole = requests.get(f"{emu.api_url}/v1/regions", headers=AUTH).content
    assert answer.content == whole[: len(whole) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)


def test_redirect_points_at_the_storage_host_and_auth_is_not_forwarded(emu: Emulator) -> None:
    emu.inject(Fault("redirect", endpoint="POST /v1/builds/upload-url", count=2))
    url = f"{emu.api_url}/v1/builds/upload-url"
    raw = requests.post(url, json={"region": "us-west"}, headers=AUTH, allow_redirects=False)
    assert raw.status_code == 307
    assert raw.headers["Location"].startswith(emu.storage_url.rsplit("/", 1)[0] + "/")
    emu.clear_requests()
    followed = requests.post(url, json={"region": "us-west"}, headers=AUTH)
    assert followed.status_code == 403
    api_request, storage_request = emu.requests
    assert api_request.server == "api" and api_request.status == 307
    assert storage_request.server == "storage"
    assert "Authorization" not in storage_request.headers


def test_storage_faults(emu: Emulator) -> None:
    issued = issue(emu)
    emu.inject(Fault("503", endpoint="POST storage"))
    busy = store(issued)
    assert busy.status_code == 503
    assert ET.fromstring(busy.content).findtext("Code") == "SlowDown"
    assert emu.uploads[issued["uploadId"]]["md5"] is None
    emu.inject(Fault("reset", endpoint="POST storage"))
    with pytest.raises(requests.ConnectionError):
        store(issued)
    assert emu.uploads[issued["uploadId"]]["md5"] is None
    emu.inject(Fault("lost", endpoint="POST storage"))
    with pytest.raises(requests.ConnectionError):
        store(issued, b"kept although the answer was lost")
    assert emu.uploads[issued["uploadId"]]["size"] == len(b"kept although the answer was lost")


def test_api_wide_faults_leave_storage_alone(emu: Emulator) -> None:
    issued = issue(emu)
    emu.inject(Fault("500"))
    assert store(issued).status_code == 204
    assert properties(emu).status_code == 500


def _run_mix(seed: int, **overrides: Any) -> tuple[list[object], list[object]]:
    config = EmulatorConfig(fault_rate=0.5, fault_seed=seed, fault_retry_after=0, **overrides)
    seen: list[object] = []
    with Emulator(config) as emu:
        for _ in range(30):
            try:
                seen.append(properties(emu).status_code)
            except requests.ConnectionError:
                seen.append("reset")
        recorded: list[object] = [request.status for request in emu.requests]
    return seen, recorded


def test_random_mix_is_deterministic_for_a_seed() -> None:
    first, recorded = _run_mix(11)
    second, _ = _run_mix(11)
    assert first == second == recorded
    assert 200 in first and len(set(first)) > 1
    assert set(first) <= {200, 500, 503, 429, "reset"}
    other, _ = _run_mix(12)
    assert other != first


def test_random_mix_targets_listed_endpoints_only() -> None:
    config = EmulatorConfig(fault_rate=1.0, fault_kinds=("500",), fault_endpoints=("POST storage",))
    with Emulator(config) as emu:
        issued = issue(emu)
        assert properties(emu).status_code == 200
        assert store(issued).status_code == 500
