"""A deployment whose container crashes: CrashLoopBackOff while validating, then Failed
with errors[]; during an update the old revision keeps serving."""

from __future__ import annotations

from typing import Any

import requests

from pipecat_cloud_emulator import Emulator

from .client import FakeClock, build, create, get, seeded_build, settle, update
from .conftest import CREATING, RECONCILE, VALIDATING


def _crash_health(agent: dict[str, Any]) -> dict[str, Any]:
    health: dict[str, Any] = agent["currentRevision"]["health"]
    assert health["state"] == "waiting" and health["reason"] == "CrashLoopBackOff"
    assert health["ready"] is False and health["lastExitCode"] == 1
    return health


def test_a_dockerfile_asking_to_crash_makes_its_deployments_crash(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    crashing = build(api, emu, "FROM python:3.12-slim\n# emulator: crash\n")
    assert crashing["status"] == "success"  # it builds fine; it is the agent that crashes
    created = create(api, emu, serviceName="boom", buildId=crashing["id"]).json()
    assert "health" not in created["currentRevision"]  # no replica has started yet

    clock.advance(RECONCILE + CREATING)
    first = _crash_health(get(api, emu, "boom"))
    assert "Traceback (most recent call last)" in first["message"]
    clock.advance(1.0)
    assert _crash_health(get(api, emu, "boom"))["restartCount"] > first["restartCount"]
    degraded = get(api, emu, "boom")["conditions"]
    assert [(c["type"], c["reason"]) for c in degraded] == [("Degraded", "CrashLoopBackOff")]

    clock.advance(VALIDATING)
    failed = get(api, emu, "boom")
    assert failed["currentRevision"]["phase"] == "Failed"
    assert failed["ready"] is False and failed["available"] is False
    assert failed["reconciledDeploymentId"] == created["desiredDeploymentId"]
    (error,) = failed["errors"]
    assert set(error) == {"code", "message"} and "CrashLoopBackOff" in error["message"]


def test_a_crashing_update_leaves_the_old_revision_serving(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    old = create(api, emu, serviceName="steady", buildId=seeded_build(emu)).json()
    settle(clock, emu)
    emu.crash_next_deployment("steady", message="ValueError: bad config")
    new = update(api, emu, "steady", buildId=seeded_build(emu)).json()
    settle(clock, emu)
    agent = get(api, emu, "steady")
    assert agent["currentRevision"]["deploymentID"] == new["desiredDeploymentId"]
    assert agent["currentRevision"]["phase"] == "Failed"
    assert _crash_health(agent)["message"] == "ValueError: bad config"
    assert agent["reconciledDeploymentId"] == new["desiredDeploymentId"]
    assert agent["ready"] is False and agent["activeDeploymentReady"] is False
    assert agent["available"] is True  # the old revision still takes sessions
    assert agent["previousRevision"]["deploymentID"] == old["desiredDeploymentId"]
    assert agent["previousRevision"]["phase"] == "Active"
    assert agent["errors"]
    # Only the next deployment was asked to crash.
    fixed = update(api, emu, "steady", forceRedeploy=True).json()
    settle(clock, emu)
    assert get(api, emu, "steady")["currentRevision"]["phase"] == "Active"
    assert get(api, emu, "steady")["desiredDeploymentId"] == fixed["desiredDeploymentId"]


def test_a_config_hook_decides_which_deployments_crash(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    seen: list[dict[str, Any]] = []

    def hook(deployment: dict[str, Any]) -> bool:
        seen.append(deployment)
        return deployment["agent"] == "fragile"

    emu.config.crash_deployments = hook
    emu.config.crash_reports_errors = False
    create(api, emu, serviceName="fragile", image="me/fragile:1")
    create(api, emu, serviceName="sturdy", image="me/sturdy:1")
    settle(clock, emu)
    fragile, sturdy = get(api, emu, "fragile"), get(api, emu, "sturdy")
    assert fragile["currentRevision"]["phase"] == "Failed" and fragile["errors"] == []
    assert sturdy["currentRevision"]["phase"] == "Active"
    assert [d["image"] for d in seen] == ["me/fragile:1", "me/sturdy:1"]
