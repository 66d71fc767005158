"""What one target ended with, as frozen values: built once at the end of its flow, then
turned into outputs (`report/outputs.py`) and a summary (`report/summary.py`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .config import Target
from .models import Build


class RunStatus(enum.Enum):
    """A target's status output: a build's end, or what kept it from one."""

    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"  # Pipecat Cloud timed the build out
    TIMED_OUT_WAITING = "timed-out-waiting"  # build-timeout passed; it may still run
    PLANNED = "planned"  # plan mode: it needs a build
    ERROR = "error"  # no build came to an end (a bad input, an API failure)


class DeployStatus(enum.Enum):
    READY = "ready"  # the agent serves the new deployment
    UNCHANGED = "unchanged"  # nothing changed, and the agent serves that deployment
    NOT_WAITED = "not-waited"  # accepted; wait-for-ready is false
    FAILED = "failed"
    TIMED_OUT_WAITING = "timed-out-waiting"

    @property
    def ok(self) -> bool:
        return self in (DeployStatus.READY, DeployStatus.UNCHANGED, DeployStatus.NOT_WAITED)


class DeleteStatus(enum.Enum):
    """How a deletion ended; both are a success (a deletion is idempotent)."""

    DELETED = "deleted"
    ALREADY_GONE = "already-gone"  # there was none of that name (deleted before, or never made)


@dataclass(frozen=True)
class Deletion:
    """`delete-agent`: the agent, and what became of the secret sets it read."""

    agent: str
    status: DeleteStatus
    secret_sets: tuple[str, ...] = ()  # the sets the agent read, as it said before deletion
    pull_secret_set: str = ""  # its image pull secret set
    deleted_set: str = ""  # the set `delete-secret-set` was asked to delete
    set_status: DeleteStatus | None = None  # what became of it

    def kept(self) -> tuple[str, ...]:
        """The sets that stay (every set the agent read, but the one deleted)."""
        named = (*self.secret_sets, self.pull_secret_set)
        return tuple(dict.fromkeys(s for s in named if s and s != self.deleted_set))


@dataclass(frozen=True)
class BuildKey:
    """What identifies a build of a context: reusable only with all three equal."""

    context_hash: str
    region: str
    dockerfile: str


@dataclass(frozen=True)
class DeployResult:
    agent: str
    status: DeployStatus
    deployment_id: str = ""
    error: str = ""
    secret_keys: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    build_id: str = ""  # what was deployed: a build, by id (the id to roll back to later)
    image: str = ""  # or a registry image


@dataclass(frozen=True)
class Outcome:
    target: Target
    status: RunStatus = RunStatus.ERROR
    region: str = ""
    context_hash: str = ""
    archive_bytes: int = 0
    file_count: int = 0
    build: Build | None = None
    cached: bool = False
    error: str = ""
    context_report: str = ""  # Markdown explaining what went into the context
    last_log_lines: tuple[str, ...] = ()
    deploy: DeployResult | None = None
    image: str = ""  # a registry image deployed instead of a build (`image`)
    deletion: Deletion | None = None  # `delete-agent`

    @property
    def built(self) -> bool:
        return self.status is RunStatus.SUCCESS

    @property
    def needs_build(self) -> bool:
        """Plan mode: no successful build of this context exists yet."""
        return self.status is RunStatus.PLANNED

    @property
    def ok(self) -> bool:
        if self.status is RunStatus.PLANNED:
            return not self.error
        if not self.built or self.error:
            return False
        return self.deploy is None or self.deploy.status.ok

    @property
    def image_uri(self) -> str:
        if self.build is not None:
            return self.build.image_uri if self.built else ""
        return self.image

    @property
    def build_id(self) -> str:
        return self.build.id if self.build is not None else ""

    def outputs(self) -> dict[str, str]:
        """This target's outputs, by name (the outputs table says which a mode writes)."""
        build = self.build
        size = (build.context_size_bytes if build else None) or self.archive_bytes
        values = {
            "context-hash": self.context_hash,
            "context-size-bytes": str(size or ""),
            "build-id": self.build_id,
            "status": self.status.value,
            "cached": "true" if self.cached else "false",
            "image-size-bytes": str(build.image_size_bytes or "") if build else "",
            "build-duration-seconds": _seconds(build.duration_seconds) if build else "",
            "logs-url": build.logs_url if build else "",
            "image-uri": self.image_uri,
        }
        if self.deletion is not None:
            values["agent-name"] = self.deletion.agent
            values["delete-status"] = self.deletion.status.value
        if self.deploy is not None:
            values["agent-name"] = self.deploy.agent
            values["deployment-id"] = self.deploy.deployment_id
            values["deploy-status"] = self.deploy.status.value
        return {k: v for k, v in values.items() if v}


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
