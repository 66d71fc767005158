"""An agent (service) and how the API renders it at a given moment.

The rolling update is modelled on purpose: after an update, `desiredDeploymentId` is the
new deployment at once, but `reconciledDeploymentId`, `ready`, `available` and
`activeDeploymentReady` keep describing the OLD revision until the new one is reconciled,
and `available` stays true on the old revision while the new one validates or fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .deployments import Deployment
from .timefmt import iso_ms


@dataclass
class AgentRecord:
    name: str
    region: str
    id: str
    organization: str
    namespace: str
    created: float
    updated: float
    deployments: list[Deployment] = field(default_factory=list)

    @property
    def current(self) -> Deployment:
        return self.deployments[-1]

    @property
    def previous(self) -> Deployment | None:
        return self.deployments[-2] if len(self.deployments) > 1 else None

    def serving(self, now: float) -> Deployment | None:
        """The deployment that serves sessions at `now`: the current one once Active, else
        the previous one while it is still Active (a rolling update or a crashing update),
        else none (`available` is false then)."""
        current, previous = self.current, self.previous
        if current.phase(now) == "Active":
            return current
        if previous is not None and previous.phase(now) == "Active":
            return previous
        return None

    def deployment(self, deployment_id: str) -> Deployment | None:
        return next((d for d in self.deployments if d.id == deployment_id), None)

    def reconciled(self, now: float) -> Deployment | None:
        for deployment in reversed(self.deployments):
            if now >= deployment.reconciled_at:
                return deployment
        return None

    def render(self, now: float) -> dict[str, Any]:
        """ServiceDetailsResponse at `now` (plus the non-spec errors/conditions)."""
        current = self.current
        reconciled = self.reconciled(now)
        ready = reconciled is not None and reconciled.phase(now) == "Active"
        available = self.serving(now) is not None
        settings = current.settings
        body: dict[str, Any] = {
            "name": self.name,
            "region": self.region,
            "ready": ready,
            "available": available,
            "createdAt": iso_ms(self.created),
            "updatedAt": iso_ms(self.updated),
            "desiredDeploymentId": current.id,
            "activeDeploymentId": current.id,
            "reconciledDeploymentId": reconciled.id if reconciled else None,
            "activeDeploymentReady": ready,
            "autoScaling": {"maxReplicas": settings.max_agents, "minReplicas": settings.min_agents},
            "activeSessionCount": 0,
            "deployment": current.details(self.name, self.namespace),
            "agentProfile": settings.agent_profile,
            "krispViva": {"audioFilter": settings.audio_filter},
            "currentRevision": current.revision(now),
            "previousRevision": self._previous_revision(now),
            "errors": self._errors(now),
            "conditions": self._conditions(now),
        }
        return body

    def _previous_revision(self, now: float) -> dict[str, Any] | None:
        current, previous = self.current, self.previous
        if previous is None:
            return None
        if current.phase(now) != "Active":
            return previous.revision(now)
        drained = current.settled_at + current.timing.draining
        if now >= drained or previous.phase(now) != "Active":
            return None
        return previous.revision(now, draining_since=current.settled_at)

    def _errors(self, now: float) -> list[dict[str, str]]:
        current = self.current
        if current.crash is None or current.phase(now) != "Failed" or not current.report_errors:
            return []
        return [
            {
                "code": current.crash.error_code,
                "message": (
                    f"Deployment {current.id} failed: the agent's container exited with code "
                    f"{current.crash.exit_code} and keeps restarting (CrashLoopBackOff)"
                ),
            }
        ]

    def _conditions(self, now: float) -> list[dict[str, str]]:
        current = self.current
        phase = current.phase(now)
        if current.crash is not None and phase != "Creating":
            return [
                {
                    "type": "Degraded",
                    "status": "True",
                    "reason": "CrashLoopBackOff",
                    "message": f"Revision {current.id} is crash looping",
                }
            ]
        if phase in ("Creating", "Validating"):
            return [
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": f"Revision{phase}",
                    "message": f"Revision {current.id} is {phase.lower()}",
                }
            ]
        return []

    def list_item(self, now: float, with_deployment: bool) -> dict[str, Any]:
        """ServiceListItem."""
        reconciled = self.reconciled(now)
        item: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "desiredDeploymentId": self.current.id,
            "activeDeploymentId": self.current.id,
            "organizationId": self.organization,
            "createdAt": iso_ms(self.created),
            "updatedAt": iso_ms(self.updated),
            "deletedAt": None,
        }
        if reconciled is not None:  # left out, not null: the schema does not allow null
            item["reconciledDeploymentId"] = reconciled.id
        if with_deployment:
            item["deployment"] = self.current.details(self.name, self.namespace)
        return item
