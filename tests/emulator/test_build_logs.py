"""The emulated build log tells the story of the Dockerfile that was actually uploaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from pipecat_cloud_emulator import Emulator, EmulatorConfig

from .client import archive, build, session, upload, wait_for

DOCKERFILE = """\
# syntax=docker/dockerfile:1
FROM dailyco/pipecat-base:latest

# the agent
COPY ./bot.py bot.py
RUN pip install \\
    --no-cache-dir aiohttp
"""


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(pending_seconds=0.0, building_seconds=0.05)) as emulator:
        yield emulator


def _logs(api: requests.Session, emu: Emulator, build_id: str) -> list[str]:
    answer = api.get(f"{emu.api_url}/v1/builds/{build_id}/logs", params={"limit": 10000})
    lines: list[str] = answer.json()["logs"]
    return lines


def _steps(lines: list[str]) -> list[str]:
    return [line.split(" ", 3)[3] for line in lines if " Step " in line]


def test_log_echoes_the_uploaded_dockerfile_steps(emu: Emulator) -> None:
    api = session()
    done = build(api, emu, DOCKERFILE)
    assert done["status"] == "success"
    assert _steps(_logs(api, emu, done["id"])) == [
        "Step 1/3 : FROM dailyco/pipecat-base:latest",
        "Step 2/3 : COPY ./bot.py bot.py",
        "Step 3/3 : RUN pip install --no-cache-dir aiohttp",
    ]


def test_a_failed_build_stops_at_its_last_run_step(emu: Emulator) -> None:
    api = session()
    done = build(api, emu, DOCKERFILE + "# emulator: fail\n")
    assert done["status"] == "failed"
    lines = _logs(api, emu, done["id"])
    assert _steps(lines)[-1] == "Step 3/3 : RUN pip install --no-cache-dir aiohttp"
    assert any("returned a non-zero code: 1" in line for line in lines)
    assert not any("Successfully built" in line for line in lines)


def test_an_unreadable_context_gets_no_invented_steps(emu: Emulator) -> None:
    api = session()
    upload_id = upload(api, emu, b"not a tar.gz at all")
    created = api.post(
        f"{emu.api_url}/v1/builds", json={"uploadId": upload_id, "region": "us-west"}
    )
    url = f"{emu.api_url}/v1/builds/{created.json()['build']['id']}"
    done = wait_for(lambda: api.get(url).json()["build"], lambda b: b["status"] == "success")
    seeded = emu.add_build("e" * 16)  # no archive at all
    for build_id in (done["id"], seeded["id"]):
        lines = _logs(api, emu, build_id)
        assert _steps(lines) == []
        assert any("no readable Dockerfile in the uploaded context" in line for line in lines)


def test_a_dockerfile_elsewhere_in_the_archive_is_the_one_echoed(emu: Emulator) -> None:
    api = session()
    data = archive('FROM alpine:3.20\nCMD ["true"]\n', name="docker/Dockerfile.prod")
    payload = {"uploadId": upload(api, emu, data), "region": "us-west"}
    payload["dockerfilePath"] = "docker/Dockerfile.prod"
    created = api.post(f"{emu.api_url}/v1/builds", json=payload).json()["build"]
    url = f"{emu.api_url}/v1/builds/{created['id']}"
    wait_for(lambda: api.get(url).json()["build"], lambda b: b["status"] == "success")
    assert _steps(_logs(api, emu, created["id"])) == [
        "Step 1/2 : FROM alpine:3.20",
        'Step 2/2 : CMD ["true"]',
    ]
