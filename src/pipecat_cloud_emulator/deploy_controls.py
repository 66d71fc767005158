"""The Emulator's Python API for agents and secret sets: inspect, seed, script failures."""

from __future__ import annotations

import hashlib
from typing import Any

from .agents import AgentRecord
from .config import EmulatorConfig
from .deployments import Crash, Deployment, default_traceback
from .errors import not_found
from .secret_sets import SecretSetRecord
from .state import DroppedFields, EmulatorState


def _agent(state: EmulatorState, name: str) -> AgentRecord:
    with state.lock:
        found = state.agents.get(name)
    if found is None:
        raise KeyError(f"no agent named {name!r}")
    return found


def digest(value: str) -> str:
    """How the control endpoint shows a value: `sha256:` and the hex SHA-256 of its UTF-8."""
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def running_view(state: EmulatorState, now: float, name: str) -> dict[str, Any]:
    """The answer of the non-spec control endpoint `GET /_emulator/agents/{name}/running`:
    which deployment serves the agent and the digests of the secret values it runs with."""
    try:
        agent = _agent(state, name)
    except KeyError:
        raise not_found("Not found") from None
    with state.lock:
        serving = agent.serving(now)
        desired = agent.current.id
    return {
        "name": name,
        "desiredDeploymentId": desired,
        "deploymentId": serving.id if serving else None,
        "secretSet": serving.settings.secret_set if serving else None,
        "secrets": (
            {key: digest(value) for key, value in serving.secret_values}
            if serving is not None
            else None
        ),
    }


class DeployControls:
    """Mixed into Emulator, which provides `state` and `config`."""

    @property
    def state(self) -> EmulatorState:
        raise NotImplementedError

    @property
    def config(self) -> EmulatorConfig:
        raise NotImplementedError

    @property
    def agents(self) -> dict[str, dict[str, Any]]:
        """Agent name -> ServiceDetailsResponse as GET /v1/agents/{name} would answer now."""
        now = self.config.clock()
        with self.state.lock:
            return {name: agent.render(now) for name, agent in self.state.agents.items()}

    @property
    def secret_sets(self) -> dict[str, dict[str, Any]]:
        """Set name -> {name, type, region, status, secrets: [{fieldName}]}; never values."""
        now = self.config.clock()
        with self.state.lock:
            return {
                name: {**record.summary(now), "secrets": record.render(now)["secrets"]}
                for name, record in self.state.secret_sets.items()
            }

    @property
    def dropped_fields(self) -> list[DroppedFields]:
        """Request body fields the API dropped because the spec does not know them."""
        with self.state.lock:
            return list(self.state.dropped_fields)

    def running_deployment(self, agent: str) -> str | None:
        """The id of the deployment that serves `agent` now (the current one once Active,
        else the previous one while it still serves), or None while none does. KeyError for
        an agent that does not exist."""
        found = _agent(self.state, agent)
        with self.state.lock:
            serving = found.serving(self.config.clock())
        return serving.id if serving is not None else None

    def running_secrets(self, agent: str) -> dict[str, str] | None:
        """The secret values the deployment serving `agent` runs with: those its set held
        when that deployment was made, not the set's values now ({} when it binds no set).
        None while no deployment serves; KeyError for an agent that does not exist."""
        found = _agent(self.state, agent)
        with self.state.lock:
            serving = found.serving(self.config.clock())
        return dict(serving.secret_values) if serving is not None else None

    def deployment_secrets(self, agent: str, deployment_id: str | None = None) -> dict[str, str]:
        """The secret values deployment `deployment_id` of `agent` captured when it was made
        (default: the agent's desired deployment, whether or not it serves yet). KeyError for
        an unknown agent or deployment."""
        found = _agent(self.state, agent)
        with self.state.lock:
            chosen: Deployment | None = (
                found.current if deployment_id is None else found.deployment(deployment_id)
            )
        if chosen is None:
            raise KeyError(f"agent {agent!r} has no deployment {deployment_id!r}")
        return dict(chosen.secret_values)

    def secret_matches(self, set_name: str, key: str, value: str) -> bool:
        """Whether the set holds `key` = `value` (so a test never has to print a value)."""
        with self.state.lock:
            record = self.state.secret_sets.get(set_name)
            return record is not None and record.holds(key, value)

    def add_secret_set(
        self,
        name: str,
        keys: dict[str, str],
        region: str = "us-west",
        status: str = "ready",
        error_message: str = "Provisioning failed",
    ) -> None:
        """Seed a set that already exists: `ready`, `pending` (for secret_pending_seconds
        from now) or `failed`."""
        if status not in ("ready", "pending", "failed"):
            raise ValueError(f"status must be ready, pending or failed, got {status!r}")
        now = self.config.clock()
        record = SecretSetRecord(
            name=name,
            kind="secret",
            region=region,
            ready_at=now + self.config.secret_pending_seconds if status == "pending" else now,
            values=dict(keys),
            error_message=error_message if status == "failed" else None,
        )
        with self.state.lock:
            self.state.secret_sets[name] = record

    def crash_next_deployment(
        self,
        agent: str,
        message: str | None = None,
        exit_code: int = 1,
        error_code: str = "PCC_UNKNOWN_ERROR",
        count: int = 1,
    ) -> None:
        """Make the next `count` deployments of `agent` (create or update) crash at start:
        health CrashLoopBackOff with `message` (a traceback by default), then phase Failed."""
        crash = Crash(message or default_traceback(agent), exit_code, error_code)
        with self.state.lock:
            self.state.crash_next.setdefault(agent, []).extend([crash] * count)

    def conflict_next_secret_write(self, set_name: str | None = None, count: int = 1) -> None:
        """Answer the next `count` PUT /v1/secrets/{set} (of `set_name`, or of any set) with
        409 CONFLICT, as a concurrent modification would."""
        with self.state.lock:
            self.state.secret_conflicts[set_name] = (
                self.state.secret_conflicts.get(set_name, 0) + count
            )
