"""The emulated build API over real HTTP: shapes, status codes, lifecycle, caching, logs."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipecat_cloud_emulator import Emulator, EmulatorConfig

from .client import upload

KEY = "pk_emulator_demo"
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(pending_seconds=0.05, building_seconds=0.3)) as emulator:
        yield emulator


@pytest.fixture
def api(emu: Emulator) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    return session


def archive(dockerfile: str = "FROM python:3.11-slim\n", extra: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("Dockerfile", dockerfile.encode()), ("bot.py", b"print(1)\n" + extra)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create(api: requests.Session, emu: Emulator, **payload: Any) -> requests.Response:
    return api.post(f"{emu.api_url}/v1/builds", json=payload)


def wait_terminal(api: requests.Session, emu: Emulator, build_id: str) -> list[dict[str, Any]]:
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        build = api.get(f"{emu.api_url}/v1/builds/{build_id}").json()["build"]
        seen.append(build)
        if build["status"] in ("success", "failed", "timeout"):
            return seen
        time.sleep(0.02)
    raise AssertionError("build never finished")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, ISO).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/properties"),
        ("GET", "/v1/regions"),
        ("GET", "/v1/builds"),
        ("POST", "/v1/builds/upload-url"),
        ("POST", "/v1/builds"),
        ("GET", "/v1/builds/0b9d2c61-5f0e-4c5a-9f43-6a1d2e7b8c90"),
        ("GET", "/v1/builds/0b9d2c61-5f0e-4c5a-9f43-6a1d2e7b8c90/logs"),
    ],
)
@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {KEY}", KEY])
@pytest.mark.contract_bad_requests("no key, a wrong scheme, a body on GET: on purpose")
def test_every_endpoint_refuses_a_missing_or_wrong_key(
    emu: Emulator, method: str, path: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    answer = requests.request(method, emu.api_url + path, headers=headers, json={})
    assert answer.status_code == 401
    assert set(answer.json()) == {"error", "code"}


def test_properties_and_regions(emu: Emulator, api: requests.Session) -> None:
    assert api.get(f"{emu.api_url}/v1/properties").json() == {
        "properties": {"defaultRegion": "us-west"}
    }
    regions = api.get(f"{emu.api_url}/v1/regions").json()["regions"]
    assert [region["code"] for region in regions] == ["us-west", "eu-central", "ap-south"]
    assert all(isinstance(region["display_name"], str) for region in regions)


@pytest.mark.contract_bad_requests("an unknown path and a body that is not JSON, on purpose")
def test_unknown_path_and_bad_json(emu: Emulator, api: requests.Session) -> None:
    missing = api.get(f"{emu.api_url}/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    bad = api.post(
        f"{emu.api_url}/v1/builds/upload-url",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"error", "code"}


def test_upload_url_gives_s3_presigned_post_fields(emu: Emulator, api: requests.Session) -> None:
    before = time.time()
    answer = api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west"})
    after = time.time()
    assert answer.status_code == 200
    body = answer.json()
    upload_id = str(uuid.UUID(body["uploadId"]))
    assert body["uploadUrl"] == emu.storage_url
    assert body["uploadUrl"].split("/")[2] != emu.api_url.split("/")[2]
    fields = body["uploadFields"]
    assert list(fields) == [
        "key",
        "bucket",
        "Content-Type",
        "Policy",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
    ]
    assert fields["key"] == f"org_emulator/{upload_id}.tar.gz"
    assert fields["Content-Type"] == "application/gzip"
    assert fields["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    credential = fields["X-Amz-Credential"].split("/")
    assert credential[0].startswith("ASIA")
    assert credential[1:] == [fields["X-Amz-Date"][:8], "us-west-2", "s3", "aws4_request"]
    assert len(fields["X-Amz-Signature"]) == 64
    policy = json.loads(base64.b64decode(fields["Policy"]))
    conditions = policy["conditions"]
    assert {"bucket": fields["bucket"]} in conditions
    assert {"key": fields["key"]} in conditions
    assert ["content-length-range", 1, emu.config.max_upload_bytes] in conditions
    assert {"x-amz-security-token": fields["X-Amz-Security-Token"]} in conditions
    assert policy["expiration"] == body["expiresAt"]
    # 900 s after the request was served (bounded by the call, millisecond rounding aside)
    expires = parse_time(body["expiresAt"]).timestamp()
    assert before + 900 - 0.001 <= expires <= after + 900 + 0.001


@pytest.mark.parametrize(
    ("region", "fragment"),
    [("ap-south", "not enabled for region 'ap-south'"), ("mars-1", "mars-1"), ("", "region")],
)
def test_upload_url_refuses_disabled_or_unknown_region(
    emu: Emulator, api: requests.Session, region: str, fragment: str
) -> None:
    answer = api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": region})
    assert answer.status_code == 400
    assert fragment in answer.json()["error"]


def test_build_lifecycle_hash_and_cache(emu: Emulator, api: requests.Session) -> None:
    data = archive()
    upload_id = upload(api, emu, data)
    created = create(api, emu, uploadId=upload_id, region="us-west")
    assert created.status_code == 201
    body = created.json()
    assert body["cached"] is False
    assert body["contextHash"] == hashlib.md5(data).hexdigest()[:16]
    build = body["build"]
    assert build["status"] == "pending"
    assert build["dockerfilePath"] == "Dockerfile"
    assert build["contextSizeBytes"] == len(data)
    assert "imageUri" not in build and "completedAt" not in build

    history = wait_terminal(api, emu, build["id"])
    statuses = [seen["status"] for seen in history]
    assert statuses[-1] == "success"
    order = ["pending", "building", "success"]
    assert [order.index(status) for status in statuses] == sorted(order.index(s) for s in statuses)
    done = history[-1]
    assert done["imageUri"].endswith(f"/org_emulator:{body['contextHash']}")
    assert isinstance(done["imageSizeBytes"], int)
    assert isinstance(done["buildDurationSeconds"], int)
    assert "errorMessage" not in done
    stamps = [parse_time(done[name]) for name in ("createdAt", "startedAt", "completedAt")]
    assert stamps == sorted(stamps)
    assert done["updatedAt"] == done["completedAt"]

    again = create(api, emu, uploadId=upload(api, emu, data), region="us-west")
    assert again.status_code == 200
    assert again.json()["cached"] is True
    assert again.json()["build"]["id"] == build["id"]

    other_dockerfile = create(
        api, emu, uploadId=upload_id, region="us-west", dockerfilePath="docker/Dockerfile"
    )
    assert other_dockerfile.status_code == 201
    assert other_dockerfile.json()["build"]["id"] != build["id"]


def test_a_build_in_progress_is_not_a_cache_hit(emu: Emulator, api: requests.Session) -> None:
    emu.config.pending_seconds = 30
    upload_id = upload(api, emu, archive())
    first = create(api, emu, uploadId=upload_id, region="us-west")
    second = create(api, emu, uploadId=upload_id, region="us-west")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["build"]["id"] != second.json()["build"]["id"]


@pytest.mark.parametrize("outcome", ["failed", "timeout"])
def test_unsuccessful_outcomes(emu: Emulator, api: requests.Session, outcome: str) -> None:
    emu.config.outcome = outcome
    created = create(api, emu, uploadId=upload(api, emu, archive()), region="us-west")
    done = wait_terminal(api, emu, created.json()["build"]["id"])[-1]
    assert done["status"] == outcome
    assert done["errorMessage"]
    assert "imageUri" not in done and "imageSizeBytes" not in done
    assert "buildDurationSeconds" in done and "completedAt" in done


def test_outcome_hook_and_dockerfile_directive(emu: Emulator, api: requests.Session) -> None:
    directed = create(
        api, emu, uploadId=upload(api, emu, archive("FROM x\n# emulator: fail\n")), region="us-west"
    )
    assert wait_terminal(api, emu, directed.json()["build"]["id"])[-1]["status"] == "failed"

    emu.config.outcome = lambda build: "timeout" if build["dockerfilePath"] == "slow" else "success"
    upload_id = upload(api, emu, archive(extra=b"other"))
    slow = create(api, emu, uploadId=upload_id, region="us-west", dockerfilePath="slow")
    fast = create(api, emu, uploadId=upload_id, region="us-west")
    assert wait_terminal(api, emu, slow.json()["build"]["id"])[-1]["status"] == "timeout"
    assert wait_terminal(api, emu, fast.json()["build"]["id"])[-1]["status"] == "success"


@pytest.mark.contract_bad_requests("missing fields and unknown uploads, on purpose")
def test_create_build_refusals(emu: Emulator, api: requests.Session) -> None:
    not_uploaded = api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west"})
    waiting_id = not_uploaded.json()["uploadId"]
    uploaded = upload(api, emu, archive())
    cases = [
        {"uploadId": str(uuid.uuid4()), "region": "us-west"},
        {"uploadId": waiting_id, "region": "us-west"},
        {"uploadId": uploaded, "region": "eu-central"},
        {"uploadId": uploaded, "region": "ap-south"},
        {"uploadId": uploaded},
        {"region": "us-west"},
    ]
    for payload in cases:
        answer = create(api, emu, **payload)
        assert answer.status_code == 400, payload
        assert set(answer.json()) == {"error", "code"}
    assert emu.builds == []


@pytest.mark.contract_bad_requests("out-of-range limit/offset/status, on purpose")
def test_list_builds_filters_orders_and_pages(emu: Emulator, api: requests.Session) -> None:
    old = emu.add_build("a" * 16, status="success", created_ago=300)
    failed = emu.add_build("b" * 16, status="failed", created_ago=200)
    europe = emu.add_build("a" * 16, region="eu-central", status="success", created_ago=100)
    other = emu.add_build("a" * 16, dockerfile_path="other/Dockerfile", created_ago=50)

    def ids(**params: Any) -> list[str]:
        answer = api.get(f"{emu.api_url}/v1/builds", params=params)
        assert answer.status_code == 200
        return [build["id"] for build in answer.json()["builds"]]

    assert ids() == [other["id"], europe["id"], failed["id"], old["id"]]
    assert ids(status="failed") == [failed["id"]]
    assert ids(region="eu-central") == [europe["id"]]
    assert ids(contextHash="a" * 16, region="us-west") == [other["id"], old["id"]]
    assert ids(dockerfilePath="Dockerfile", contextHash="a" * 16) == [
        other["id"],
        europe["id"],
        old["id"],
    ]
    emu.config.honour_dockerfile_filter = True
    assert ids(dockerfilePath="Dockerfile", contextHash="a" * 16) == [europe["id"], old["id"]]
    page = api.get(f"{emu.api_url}/v1/builds", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 4 and page["limit"] == 2 and page["offset"] == 1
    assert [build["id"] for build in page["builds"]] == [europe["id"], failed["id"]]
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"offset": -1}, {"status": "done"}):
        assert api.get(f"{emu.api_url}/v1/builds", params=bad).status_code == 400


def test_seeded_success_is_a_cache_hit(emu: Emulator, api: requests.Session) -> None:
    data = archive(extra=b"seeded")
    seeded = emu.add_build(hashlib.md5(data).hexdigest()[:16], status="success")
    answer = create(api, emu, uploadId=upload(api, emu, data), region="us-west")
    assert answer.status_code == 200
    assert answer.json()["build"]["id"] == seeded["id"]


@pytest.mark.contract_bad_requests("a build id that is not a uuid, on purpose")
def test_get_build_bad_and_unknown_ids(emu: Emulator, api: requests.Session) -> None:
    assert api.get(f"{emu.api_url}/v1/builds/not-a-uuid").status_code == 400
    assert api.get(f"{emu.api_url}/v1/builds/not-a-uuid/logs").status_code == 400
    unknown = api.get(f"{emu.api_url}/v1/builds/{uuid.uuid4()}")
    assert unknown.status_code == 404
    assert set(unknown.json()) == {"error", "code"}
    assert api.get(f"{emu.api_url}/v1/builds/{uuid.uuid4()}/logs").status_code == 404


def test_logs_grow_while_building_and_are_complete_at_the_end(
    emu: Emulator, api: requests.Session
) -> None:
    emu.config.pending_seconds = 3600  # pending for the whole test, however slow the host
    waiting = emu.add_build("f" * 16, status="pending")
    assert api.get(f"{emu.api_url}/v1/builds/{waiting['id']}/logs").json() == {"logs": []}
    emu.config.pending_seconds = 0.05
    build = create(api, emu, uploadId=upload(api, emu, archive()), region="us-west").json()["build"]
    url = f"{emu.api_url}/v1/builds/{build['id']}/logs"
    counts = []
    deadline = time.monotonic() + 20
    while True:
        status = api.get(f"{emu.api_url}/v1/builds/{build['id']}").json()["build"]["status"]
        final = api.get(url, params={"limit": 10000}).json()
        counts.append(len(final["logs"]))
        if status == "success":
            break
        assert time.monotonic() < deadline, "the build never finished"
        time.sleep(0.02)
    assert counts == sorted(counts)
    lines = final["logs"]
    assert any(line.endswith("Step 1/1 : FROM python:3.11-slim") for line in lines)
    assert len(set(lines)) == len(lines)
    assert all(line.startswith("[Container] 20") for line in lines)
    assert "nextToken" not in final


@pytest.mark.parametrize("bad", [0, 10001, "many"])
@pytest.mark.contract_bad_requests("a logs limit out of range, on purpose")
def test_logs_limit_bounds(emu: Emulator, api: requests.Session, bad: object) -> None:
    seeded = emu.add_build("c" * 16)
    answer = api.get(f"{emu.api_url}/v1/builds/{seeded['id']}/logs", params={"limit": bad})
    assert answer.status_code == 400


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(min_value=0, max_value=120),
    limit=st.one_of(st.none(), st.integers(min_value=1, max_value=150)),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=150)),
    mode=st.sampled_from(["first", "last"]),
)
def test_log_window_keeps_the_right_end(
    emu: Emulator, api: requests.Session, count: int, limit: int | None, cap: int | None, mode: str
) -> None:
    emu.config.log_lines = lambda build: [f"{build['id']} line {i}" for i in range(count)]
    emu.config.log_mode = mode
    emu.config.log_answer_cap = cap
    seeded = emu.add_build(uuid.uuid4().hex[:16], status="success")
    params = {} if limit is None else {"limit": limit}
    answer = api.get(f"{emu.api_url}/v1/builds/{seeded['id']}/logs", params=params).json()
    full = [f"{seeded['id']} line {i}" for i in range(count)]
    size = min(count, 500 if limit is None else limit, cap if cap is not None else count)
    expected = full[:size] if mode == "first" else full[count - size :]
    assert answer["logs"] == expected
    assert ("nextToken" in answer) == (size < count)
    if "nextToken" in answer:
        assert isinstance(answer["nextToken"], str) and answer["nextToken"]


def test_requests_are_recorded_with_original_header_case(
    emu: Emulator, api: requests.Session
) -> None:
    emu.clear_requests()
    api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": "us-west"})
    api.get(f"{emu.api_url}/v1/builds", params={"status": "success"})
    recorded = emu.requests
    assert [(r.server, r.method, r.path, r.status) for r in recorded] == [
        ("api", "POST", "/v1/builds/upload-url", 200),
        ("api", "GET", "/v1/builds", 200),
    ]
    assert json.loads(recorded[0].body) == {"region": "us-west"}
    assert recorded[0].headers["Authorization"] == f"Bearer {KEY}"
    assert recorded[1].query == {"status": ["success"]}
