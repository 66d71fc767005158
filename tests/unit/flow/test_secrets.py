"""flow/secrets.py: write the set, wait until it is ready, fail on `failed`, bounded by
deploy-timeout; only key names are shown."""

from __future__ import annotations

import pytest

from pipecat_build.config import DeploySpec
from pipecat_build.errors import ActionError
from pipecat_build.flow.secrets import sync_secrets
from pipecat_build.flow.tools import Tools
from tests.unit.fakes import FakeCloud, FakeRun, RecordingReporter

SPEC = DeploySpec(agent="bot", secret_set="bot-set", secrets=(("A", "va"), ("B", "vb")),
                  timeout=30.0)


def test_written_then_ready(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.agents.secret_statuses = ["pending", "pending", "ready"]
    assert sync_secrets(tools, SPEC, "us-west") == ("A", "B")
    assert cloud.agents.calls[0] == ("put_secrets", ("bot-set", ("A", "B"), "us-west"))
    assert out.lines == ["secret set bot-set (us-west): wrote A, B", "secret set bot-set is ready"]
    assert run.waits == [2.0, 2.0]  # the poll interval (5 s), but at most 2 s


def test_ready_at_once_waits_not(tools: Tools, cloud: FakeCloud, run: FakeRun) -> None:
    cloud.agents.secret_statuses = ["ready"]
    sync_secrets(tools, SPEC, "us-west")
    assert run.waits == []


def test_failed_fails_with_the_services_reason(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.secret_statuses = ["pending", "failed"]
    with pytest.raises(ActionError) as caught:
        sync_secrets(tools, SPEC, "us-west")
    assert str(caught.value) == (
        "secret set bot-set could not be provisioned: provisioning failed: quota"
    )


def test_failed_without_a_reason(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.secret_statuses = ["failed"]
    real = cloud.agents.get_secret_set

    def no_reason(name: str) -> object:
        import dataclasses

        return dataclasses.replace(real(name), error_message="")  # type: ignore[type-var]

    cloud.agents.get_secret_set = no_reason  # type: ignore[method-assign,assignment]
    with pytest.raises(ActionError, match=r"^secret set bot-set could not be provisioned$"):
        sync_secrets(tools, SPEC, "us-west")


def test_never_ready_ends_at_deploy_timeout(
    tools: Tools, cloud: FakeCloud, run: FakeRun
) -> None:
    cloud.agents.secret_statuses = ["pending"]
    with pytest.raises(ActionError) as caught:
        sync_secrets(tools, SPEC, "us-west")
    assert str(caught.value) == "secret set bot-set was still pending after deploy-timeout"
    assert run.waited == 30.0


def test_a_set_that_vanishes_is_missing(tools: Tools, cloud: FakeCloud, run: FakeRun) -> None:
    cloud.agents.get_secret_set = lambda name: None  # type: ignore[method-assign,assignment]
    with pytest.raises(ActionError, match="was still missing after deploy-timeout"):
        sync_secrets(tools, SPEC, "us-west")


def test_values_are_never_printed(tools: Tools, out: RecordingReporter) -> None:
    sync_secrets(tools, SPEC, "us-west")
    assert not any("va" in line.split(":")[-1] or "vb" in line for line in out.lines)
