"""Settings of one emulator run; tests mutate the live object between requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Outcome = str | Callable[[dict[str, Any]], str]
LogSource = Callable[[dict[str, Any]], list[str]]
# Given {"agent", "deploymentId", "buildId", "image"} of a new deployment: should it crash?
CrashHook = Callable[[dict[str, Any]], bool]

FAULT_KINDS = (
    "500",
    "502",
    "503",
    "429",
    "reset",
    "stall",
    "lost",
    "non_json",
    "truncated",
    "redirect",
)
OUTCOMES = ("success", "failed", "timeout")


def _default_regions() -> dict[str, bool]:
    return {"us-west": True, "eu-central": True, "ap-south": False}


@dataclass
class Fault:
    """One scripted failure for the next `count` requests that match `endpoint`.

    `endpoint` is "METHOD /path-template" (e.g. "GET /v1/builds/{id}") or "POST storage";
    None matches any API request (never storage).
    """

    kind: str
    endpoint: str | None = None
    count: int = 1
    retry_after: float = 1.0
    stall_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.count < 1:
            raise ValueError("fault count must be at least 1")


@dataclass
class EmulatorConfig:
    """What the emulated organization looks like and how its builds behave."""

    api_key: str = "pk_emulator_demo"
    organization: str = "org_emulator"
    default_region: str = "us-west"
    regions: dict[str, bool] = field(default_factory=_default_regions)
    pending_seconds: float = 0.2
    building_seconds: float = 1.0
    outcome: Outcome = "success"
    log_lines: LogSource | None = None
    log_mode: str = "last"
    log_answer_cap: int | None = None
    upload_expiry_seconds: float = 900
    max_upload_bytes: int = 600 * 1024 * 1024
    honour_dockerfile_filter: bool = False
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = ("500", "503", "429", "reset", "lost")
    fault_seed: int = 0
    fault_endpoints: tuple[str, ...] | None = None
    fault_retry_after: float = 1.0
    fault_stall_seconds: float = 30.0
    spool_uploads: bool = True
    # Agents: a deployment is reconciled (reconciledDeploymentId switches to it) after
    # `deploy_reconcile_seconds`, then spends `deploy_creating_seconds` in Creating and
    # `deploy_validating_seconds` in Validating before it is Active (or Failed if it
    # crashes). The previous revision drains for `deploy_draining_seconds` once the new
    # one is Active. A crashing container restarts every `crash_restart_seconds`.
    deploy_reconcile_seconds: float = 0.5
    deploy_creating_seconds: float = 0.5
    deploy_validating_seconds: float = 1.0
    deploy_draining_seconds: float = 1.0
    crash_restart_seconds: float = 0.25
    crash_deployments: CrashHook | None = None
    crash_reports_errors: bool = True
    # Secret sets stay `pending` this long after each write; while pending, a second
    # write is refused with 409 CONFLICT when `secret_conflict_while_pending` is set.
    secret_pending_seconds: float = 0.5
    secret_conflict_while_pending: bool = False
    # The time agents and secret sets live by (builds use the wall clock): a test may
    # pass a fake clock and step through phases without waiting.
    clock: Callable[[], float] = time.time
