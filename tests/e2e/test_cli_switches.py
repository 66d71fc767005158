"""Issue 19 §5, the `pipecat-build` command as a subprocess against the emulator: a boolean
option switches both ways, as flag or value, and wins over its variable; errors speak flags;
`--output-env` writes a URL bare, so GitLab's dotenv report (which keeps quotes) and
`set -a; .` read the same text, and numbers as the JSON result has them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator
from tests.e2e.test_cli import plain_env
from tests.e2e.test_front_door import cli, shell_reads


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    config = emulator.config
    config.pending_seconds, config.building_seconds = 0.05, 0.2
    config.deploy_reconcile_seconds = 5.0  # long enough that a wait would be seen
    return emulator


@pytest.mark.parametrize(
    "switch", [["--no-wait-for-ready"], ["--wait-for-ready=false"], ["--wait-for-ready", "false"]]
)
def test_wait_for_ready_switches_off_as_a_flag_or_a_value(
    emu: Emulator, workspace: Path, tmp_path: Path, switch: list[str]
) -> None:
    env = plain_env(tmp_path, PIPECAT_WAIT_FOR_READY="true", PIPECAT_POLL_INTERVAL="0.05")
    code, result, stderr = cli(
        workspace, env, "--api-url", emu.api_url, "--agent-name", "bot", *switch
    )
    assert code == 0, stderr
    assert result["deploy-status"] == "not-waited", "the flag wins over PIPECAT_WAIT_FOR_READY"


def test_a_flag_switches_on_what_its_variable_turned_off(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emu.config.deploy_reconcile_seconds = 0.2
    env = plain_env(tmp_path, PIPECAT_WAIT_FOR_READY="false", PIPECAT_POLL_INTERVAL="0.05")
    code, result, stderr = cli(
        workspace, env, "--api-url", emu.api_url, "--agent-name", "bot", "--wait-for-ready"
    )
    assert code == 0, stderr
    assert result["deploy-status"] == "ready"


def test_an_error_names_the_flag_and_its_variable(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code, result, _stderr = cli(
        workspace, plain_env(tmp_path), "--api-url", emu.api_url, "--agent-name", "bot",
        "--secrets", "A=1\n",
    )
    assert code == 1
    [error] = result["errors"]
    assert "`--secret-set` / PIPECAT_SECRET_SET" in error and "set secret-set" not in error
    assert emu.requests == []


def test_output_env_writes_a_url_bare_and_numbers_as_the_json(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    env_file = tmp_path / "build.env"
    code, result, stderr = cli(
        workspace, plain_env(tmp_path, PIPECAT_POLL_INTERVAL="0.05"), "--api-url", emu.api_url,
        "--output-env", str(env_file),
    )
    assert code == 0, stderr
    assert "?" in result["logs-url"]
    # GitLab's dotenv report takes the text after `=` as it is (quotes kept).
    gitlab = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    shell = shell_reads(env_file)
    assert gitlab["PIPECAT_LOGS_URL"] == result["logs-url"] == shell["PIPECAT_LOGS_URL"]
    for name, value in result.items():
        if name == "exit-code":
            continue
        key = "PIPECAT_" + name.upper().replace("-", "_")
        text = json.dumps(value) if not isinstance(value, str) else value
        assert gitlab[key] == text == shell[key], name
