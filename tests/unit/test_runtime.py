"""runtime.py: what the process environment tells a run is read once, by `from_environ`, and
git is handed an environment that carries no input, no secret and no configuration file."""

from __future__ import annotations

from pipecat_build.api.connection import API_TIMEOUT
from pipecat_build.api.storage import UPLOAD_TIMEOUT
from pipecat_build.retry_policy import BASE_DELAY
from pipecat_build.runtime import Runtime, git_environment

ACTION_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/github/home",
    "INPUT_API-KEY": "pk_live_secret",
    "INPUT_SECRETS": "TOKEN=value",
    "GITHUB_TOKEN": "ghs_token",
    "GIT_DIR": "/elsewhere/.git",
    "GIT_CONFIG_PARAMETERS": "'core.fsmonitor=touch /tmp/pwned'",
}


def test_the_knobs_are_read_from_the_environment_given() -> None:
    runtime = Runtime.from_environ({
        "PIPECAT_BUILD_HTTP_TIMEOUT": "7",
        "PIPECAT_BUILD_UPLOAD_IDLE": "9",
        "PIPECAT_BUILD_RETRY_BASE_DELAY": "0.01",
        "SSL_CERT_FILE": "/etc/ca.pem",
    })
    assert runtime.api_timeout == (API_TIMEOUT[0], 7.0)
    assert runtime.upload_timeout.idle == 9
    assert runtime.retry_base_delay == 0.01
    assert runtime.ca_bundle == "/etc/ca.pem"


def test_an_empty_environment_gives_production_values() -> None:
    runtime = Runtime.from_environ({})
    assert runtime == Runtime(git_environ=runtime.git_environ)
    assert runtime.api_timeout == API_TIMEOUT and runtime.upload_timeout == UPLOAD_TIMEOUT
    assert runtime.retry_base_delay == BASE_DELAY and runtime.ca_bundle is None


def test_git_gets_no_input_no_secret_and_no_configuration_of_its_own() -> None:
    env = git_environment(ACTION_ENVIRONMENT)
    assert env["PATH"] == "/usr/bin:/bin"
    values = " ".join(env.values())
    for leaked in ("pk_live_secret", "TOKEN=value", "ghs_token", "/elsewhere/.git", "fsmonitor"):
        assert leaked not in values, leaked
    assert not any(name.startswith("INPUT_") for name in env)
    assert "GIT_DIR" not in env and "GIT_CONFIG_PARAMETERS" not in env
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_TERMINAL_PROMPT"] == "0"
