"""What one target ended with, and the outputs that follow from it (the job writes them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Build
from .settings import Target


@dataclass
class DeployResult:
    agent: str
    status: str = ""  # ready, unchanged, not-waited, failed, timed-out-waiting
    deployment_id: str = ""
    error: str = ""
    secret_keys: tuple[str, ...] = ()
    phases: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    target: Target
    region: str = ""
    status: str = "error"
    context_hash: str = ""
    archive_bytes: int = 0
    file_count: int = 0
    build: Build | None = None
    cached: bool = False
    error: str = ""
    needs_build: bool = False  # plan mode
    context_report: str = ""  # Markdown explaining what went into the context
    last_log_lines: list[str] = field(default_factory=list)
    deploy: DeployResult | None = None

    @property
    def built(self) -> bool:
        return self.status == "success"

    @property
    def ok(self) -> bool:
        if self.status == "planned":
            return not self.error
        if not self.built:
            return False
        return self.deploy is None or self.deploy.status in ("ready", "unchanged", "not-waited")

    @property
    def image_uri(self) -> str:
        return self.build.image_uri if self.build is not None and self.built else ""

    @property
    def build_id(self) -> str:
        return self.build.id if self.build is not None else ""

    def outputs(self) -> dict[str, str]:
        build = self.build
        size = (build.context_size_bytes if build else None) or self.archive_bytes
        values = {
            "context-hash": self.context_hash,
            "context-size-bytes": str(size or ""),
            "build-id": self.build_id,
            "status": self.status,
            "cached": "true" if self.cached else "false",
            "image-size-bytes": str(build.image_size_bytes or "") if build else "",
            "build-duration-seconds": _seconds(build.duration_seconds) if build else "",
            "logs-url": build.logs_url if build else "",
            "image-uri": self.image_uri,
        }
        if self.deploy is not None:
            values["agent-name"] = self.deploy.agent
            values["deployment-id"] = self.deploy.deployment_id
            values["deploy-status"] = self.deploy.status
        return {k: v for k, v in values.items() if v}


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
