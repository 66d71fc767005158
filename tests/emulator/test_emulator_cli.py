"""`python -m pipecat_cloud_emulator`: prints where to connect, serves, stops cleanly."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys

import pytest
import requests

from .client import wait_for


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_command_serves_until_signalled(stop_with: signal.Signals) -> None:
    command = [
        sys.executable,
        "-m",
        "pipecat_cloud_emulator",
        "--port",
        "0",
        "--api-key",
        "pk_cli_test",
        "--building-seconds",
        "0.1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        api_url = process.stdout.readline().strip()
        key = process.stdout.readline().strip()
        assert api_url.startswith("http://127.0.0.1:")
        assert key == "pk_cli_test"
        answer = requests.get(
            f"{api_url}/v1/properties", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert answer.json() == {"properties": {"defaultRegion": "us-west"}}
        issued = requests.post(
            f"{api_url}/v1/builds/upload-url",
            json={"region": "us-west"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        ).json()
        assert issued["uploadUrl"].startswith("http://127.0.0.1:")
        process.send_signal(stop_with)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipecat_cloud_emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    for option in (
        "--host",
        "--port",
        "--storage-port",
        "--api-key",
        "--log-mode",
        "--building-seconds",
        "--fault-rate",
    ):
        assert option in result.stdout


def test_a_subprocess_emulator_shows_what_an_agent_runs_with_over_http() -> None:
    """The control a container test uses: which deployment serves, with which values
    (digests), read over HTTP from `python -m pipecat_cloud_emulator` (default timings)."""
    command = [sys.executable, "-m", "pipecat_cloud_emulator", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        api_url = process.stdout.readline().strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {process.stdout.readline().strip()}"
        body = {"secrets": [{"secretKey": "TOKEN", "secretValue": "one"}]}
        assert api.put(f"{api_url}/v1/secrets/cli-secrets", json=body).status_code == 202
        wait_for(
            lambda: api.get(f"{api_url}/v1/secrets/cli-secrets").json()["status"],
            lambda status: status == "ready",
            what="the set to be ready",
        )
        created = api.post(
            f"{api_url}/v1/agents",
            json={"serviceName": "cli-agent", "image": "me/agent:1", "secretSet": "cli-secrets"},
        ).json()
        shown = wait_for(
            lambda: api.get(f"{api_url}/_emulator/agents/cli-agent/running").json(),
            lambda seen: seen["deploymentId"] is not None,
            what="the deployment to serve",
        )
        assert shown["deploymentId"] == created["desiredDeploymentId"]
        assert shown["secrets"] == {"TOKEN": "sha256:" + hashlib.sha256(b"one").hexdigest()}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
