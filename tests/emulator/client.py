"""A minimal client of the emulator for its own tests: real HTTP over loopback."""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from requests_toolbelt import MultipartEncoder

from pipecat_cloud_emulator import Emulator

KEY = "pk_emulator_demo"
T = TypeVar("T")


def session(key: str = KEY) -> requests.Session:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    return api


def archive(dockerfile: str = "FROM python:3.11-slim\n", name: str = "Dockerfile") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member, data in ((name, dockerfile.encode()), ("bot.py", b"print(1)\n")):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def upload(api: requests.Session, emu: Emulator, data: bytes, region: str = "us-west") -> str:
    answer = api.post(f"{emu.api_url}/v1/builds/upload-url", json={"region": region})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    encoder = MultipartEncoder(
        fields=[
            *body["uploadFields"].items(),
            ("file", ("context.tar.gz", data, "application/gzip")),
        ]
    )
    stored = requests.post(
        body["uploadUrl"], data=encoder, headers={"Content-Type": encoder.content_type}
    )
    assert stored.status_code == 204, stored.text
    return str(body["uploadId"])


def wait_for(
    probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 20.0, what: str = ""
) -> T:
    """Poll `probe` until `done` holds for its result; fail (not hang) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {timeout} s for {what or 'a condition'}")
        time.sleep(0.01)


def build(
    api: requests.Session,
    emu: Emulator,
    dockerfile: str = "FROM python:3.11-slim\n",
    region: str = "us-west",
    wait: bool = True,
) -> dict[str, Any]:
    """A build of a one-file context with this Dockerfile; by default waited until terminal."""
    upload_id = upload(api, emu, archive(dockerfile), region)
    answer = api.post(f"{emu.api_url}/v1/builds", json={"uploadId": upload_id, "region": region})
    assert answer.status_code in (200, 201), answer.text
    created: dict[str, Any] = answer.json()["build"]
    if not wait:
        return created
    url = f"{emu.api_url}/v1/builds/{created['id']}"
    finished: dict[str, Any] = wait_for(
        lambda: api.get(url).json()["build"],
        lambda seen: seen["status"] in ("success", "failed", "timeout"),
        what="the build to finish",
    )
    return finished


class FakeClock:
    """A clock for EmulatorConfig.clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def create(api: requests.Session, emu: Emulator, **body: Any) -> requests.Response:
    return api.post(f"{emu.api_url}/v1/agents", json=body)


def update(api: requests.Session, emu: Emulator, name: str, **body: Any) -> requests.Response:
    return api.post(f"{emu.api_url}/v1/agents/{name}", json=body)


def get(api: requests.Session, emu: Emulator, name: str) -> dict[str, Any]:
    answer = api.get(f"{emu.api_url}/v1/agents/{name}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def seeded_build(emu: Emulator, region: str = "us-west", status: str = "success") -> str:
    return str(emu.add_build(uuid.uuid4().hex[:16], region=region, status=status)["id"])


def settle(clock: FakeClock, emu: Emulator) -> None:
    """Advance past a new deployment's whole rollout."""
    config = emu.config
    clock.advance(
        config.deploy_reconcile_seconds
        + config.deploy_creating_seconds
        + config.deploy_validating_seconds
    )
