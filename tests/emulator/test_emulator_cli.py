"""`python -m pipecat_cloud_emulator`: prints where to connect, serves, stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests


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
