"""outcome.py: when a target counts as done, and the outputs its outcome gives."""

from __future__ import annotations

from pathlib import Path

from pipecat_build.config import Target
from pipecat_build.models import Build, BuildStatus
from pipecat_build.outcome import DeployResult, DeployStatus, Outcome, RunStatus

TARGET = Target(name="", context_dir=Path("/ws"), dockerfile="Dockerfile", region=None)
BUILD = Build("b1", BuildStatus.SUCCESS, "0123456789abcdef", "us-west",
              image_uri="registry.example/a:1", duration_seconds=75.0, context_size_bytes=2048)


def test_ok_means_built_and_deployed_or_planned_without_error() -> None:
    assert Outcome(TARGET, RunStatus.SUCCESS, build=BUILD).ok
    assert not Outcome(TARGET, RunStatus.FAILED, build=BUILD).ok
    assert not Outcome(TARGET, RunStatus.SUCCESS, build=BUILD, error="deploy broke").ok
    assert Outcome(TARGET, RunStatus.PLANNED).ok and Outcome(TARGET, RunStatus.PLANNED).needs_build
    assert not Outcome(TARGET, RunStatus.PLANNED, error="x").ok
    for status in DeployStatus:
        deployed = Outcome(TARGET, RunStatus.SUCCESS, build=BUILD,
                           deploy=DeployResult("bot", status))
        assert deployed.ok is (status in (DeployStatus.READY, DeployStatus.UNCHANGED,
                                          DeployStatus.NOT_WAITED)), status


def test_outputs_leave_out_what_is_unknown_and_type_nothing() -> None:
    outcome = Outcome(TARGET, RunStatus.SUCCESS, context_hash="0123456789abcdef", build=BUILD,
                      cached=True, deploy=DeployResult("bot", DeployStatus.READY, "d-1"))
    assert outcome.outputs() == {
        "context-hash": "0123456789abcdef",
        "context-size-bytes": "2048",
        "build-id": "b1",
        "status": "success",
        "cached": "true",
        "build-duration-seconds": "75",
        "image-uri": "registry.example/a:1",
        "agent-name": "bot",
        "deployment-id": "d-1",
        "deploy-status": "ready",
    }
    failed = Outcome(TARGET, RunStatus.FAILED, build=BUILD)
    assert "image-uri" not in failed.outputs(), "a failed build has no image"
    assert failed.outputs()["build-id"] == "b1"
