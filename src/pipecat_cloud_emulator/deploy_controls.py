"""The Emulator's Python API for agents and secret sets: inspect, seed, script failures."""

from __future__ import annotations

from typing import Any

from .config import EmulatorConfig
from .deployments import Crash, default_traceback
from .secret_sets import SecretSetRecord
from .state import DroppedFields, EmulatorState


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
