"""One deployment of an agent and its life by wall time: reconcile, Creating, Validating,
then Active or (when its container crashes) Failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .timefmt import iso_ms

_RESOURCES = {
    "agent-1x": ("500m", "1Gi"),
    "agent-2x": ("1000m", "2Gi"),
    "agent-3x": ("1500m", "3Gi"),
}
REDACTED_IMAGE = "[redacted]"


@dataclass(frozen=True)
class AgentSettings:
    """What a deployment runs: the request's fields after defaults."""

    image: str | None = None
    build_id: str | None = None
    build_image: str | None = None
    node_type: str = "arm"
    image_pull_secret_set: str | None = None
    secret_set: str | None = None
    min_agents: int = 0
    max_agents: int = 50
    audio_filter: str | None = None
    agent_profile: str = "agent-1x"
    max_session_duration: int | None = None

    def manifest_spec(self) -> dict[str, Any]:
        cpu, memory = _RESOURCES[self.agent_profile]
        spec: dict[str, Any] = {
            "dailyNodeType": self.node_type,
            "image": self.image if self.image is not None else REDACTED_IMAGE,
            "autoScaling": {"minReplicas": self.min_agents, "maxReplicas": self.max_agents},
        }
        if self.image_pull_secret_set:
            spec["imagePullSecretName"] = self.image_pull_secret_set
        spec["envFromSecretNames"] = [self.secret_set] if self.secret_set else []
        spec["resources"] = {"cpu": cpu, "memory": memory}
        spec["krispModels"] = {"enabled": False}
        spec["krispViva"] = {"audioFilters": self.audio_filter is not None}
        if self.max_session_duration is not None:
            spec["maxSessionDurationSeconds"] = self.max_session_duration
        return spec


@dataclass(frozen=True)
class Crash:
    """How a crashing deployment shows itself."""

    message: str
    exit_code: int = 1
    error_code: str = "PCC_UNKNOWN_ERROR"


def default_traceback(agent: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        '  File "/app/bot.py", line 12, in <module>\n'
        "    from pipecat.services.openai import OpenAILLMService\n"
        '  File "/usr/local/lib/python3.12/site-packages/pipecat/services/openai.py", '
        "line 31, in <module>\n"
        '    raise KeyError("OPENAI_API_KEY")\n'
        f"KeyError: 'OPENAI_API_KEY' (emulated crash of agent {agent})"
    )


@dataclass(frozen=True)
class Timing:
    """The config's durations, frozen when the deployment is made."""

    reconcile: float
    creating: float
    validating: float
    draining: float
    restart: float


@dataclass(frozen=True)
class Deployment:
    id: str
    service_id: str
    created: float
    settings: AgentSettings
    timing: Timing
    crash: Crash | None = None
    report_errors: bool = True
    # The values of `settings.secret_set` when this deployment was made (Pipecat Cloud does
    # not restart agents when a set changes: a deployment keeps what it captured). Pairs in
    # the set's key order; kept out of repr so a failing test never prints a value.
    secret_values: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def reconciled_at(self) -> float:
        return self.created + self.timing.reconcile

    @property
    def validating_at(self) -> float:
        return self.reconciled_at + self.timing.creating

    @property
    def settled_at(self) -> float:
        """When it becomes Active, or Failed if it crashes."""
        return self.validating_at + self.timing.validating

    def phase(self, now: float) -> str:
        if now < self.validating_at:
            return "Creating"
        if now < self.settled_at:
            return "Validating"
        return "Failed" if self.crash else "Active"

    def phase_started(self, now: float) -> float:
        return {"Creating": self.created, "Validating": self.validating_at}.get(
            self.phase(now), self.settled_at
        )

    def health(self, now: float) -> dict[str, Any] | None:
        """RevisionHealth: absent until a replica has started (Validating)."""
        phase = self.phase(now)
        if phase == "Creating":
            return None
        if self.crash is not None:
            restarts = 1 + int((now - self.validating_at) / max(self.timing.restart, 1e-3))
            return {
                "ready": False,
                "state": "waiting",
                "restartCount": restarts,
                "replicasStarted": 1,
                "reason": "CrashLoopBackOff",
                "lastExitCode": self.crash.exit_code,
                "lastTerminationReason": "Error",
                "message": self.crash.message,
            }
        active = phase == "Active"
        replicas = max(self.settings.min_agents, 1)
        return {
            "ready": active,
            "state": "running",
            "restartCount": 0,
            "replicasStarted": replicas if active else 1,
        }

    def revision(self, now: float, draining_since: float | None = None) -> dict[str, Any]:
        """RevisionInfo; a revision replaced by an Active one drains from `draining_since`."""
        shown = "Draining" if draining_since is not None else self.phase(now)
        started = draining_since if draining_since is not None else self.phase_started(now)
        info: dict[str, Any] = {
            "deploymentID": self.id,
            "phase": shown,
            "readyReplicas": self.settings.min_agents if shown in ("Active", "Draining") else 0,
            "phaseStartedAt": iso_ms(started),
        }
        health = self.health(now)
        if health is not None:
            info["health"] = health
        return info

    def details(self, agent: str, namespace: str) -> dict[str, Any]:
        """The `deployment` object of ServiceDetailsResponse."""
        return {
            "id": self.id,
            "manifest": {
                "apiVersion": "pipecatcloud.daily.co/v1",
                "kind": "PCService",
                "metadata": {"name": agent, "namespace": namespace},
                "spec": self.settings.manifest_spec(),
            },
            "serviceId": self.service_id,
            "createdAt": iso_ms(self.created),
            "updatedAt": iso_ms(self.created),
        }
