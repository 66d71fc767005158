"""A build's life by wall time (pending -> building -> terminal) and its API rendering."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from .timefmt import iso_ms, log_stamp

TERMINAL = ("success", "failed", "timeout")
STATUSES = ("pending", "building", *TERMINAL)
ECR_REPOSITORY = "123456789012.dkr.ecr.us-west-2.amazonaws.com/pipecat-cloud"
ERROR_MESSAGES = {
    "failed": "Docker build failed: a build step returned a non-zero code: 1",
    "timeout": "Build timed out: the build exceeded the maximum build time of 3600 seconds",
}


@dataclass
class BuildRecord:
    """Server-side build; its status is a function of the time it is looked at."""

    id: str
    organization: str
    region: str
    context_hash: str
    dockerfile_path: str
    context_size: int
    created: float
    started: float
    completed: float
    final_status: str
    error_message: str | None = None
    log_lines: list[str] = field(default_factory=list)
    # The uploaded Dockerfile's instructions; None when the context could not be read.
    steps: list[str] | None = None
    # The Dockerfile carries `# emulator: crash`: deployments of this image crash.
    crashes: bool = False

    def status(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if now < self.started:
            return "pending"
        if now < self.completed:
            return "building"
        return self.final_status

    def image_uri(self) -> str:
        return f"{ECR_REPOSITORY}/{self.organization}:{self.context_hash}"

    def render(self, now: float | None = None) -> dict[str, Any]:
        """The Build object as the API returns it at `now`."""
        now = time.time() if now is None else now
        status = self.status(now)
        build: dict[str, Any] = {
            "id": self.id,
            "organizationId": self.organization,
            "status": status,
            "region": self.region,
            "contextHash": self.context_hash,
            "dockerfilePath": self.dockerfile_path,
        }
        if status == "success":
            build["imageUri"] = self.image_uri()
        build["logsUrl"] = (
            "https://console.aws.amazon.com/codesuite/codebuild/projects/pipecat-cloud-build/"
            f"build/pipecat-cloud-build:{self.id}/?region=us-west-2"
        )
        if status in ("failed", "timeout"):
            build["errorMessage"] = self.error_message or ERROR_MESSAGES[status]
        build["contextSizeBytes"] = self.context_size
        if status == "success":
            build["imageSizeBytes"] = 180_000_000 + int(self.context_hash[:6] or "0", 16) * 8
        if status in TERMINAL:
            build["buildDurationSeconds"] = max(1, round(self.completed - self.started))
        if status != "pending":
            build["startedAt"] = iso_ms(self.started)
        if status in TERMINAL:
            build["completedAt"] = iso_ms(self.completed)
        build["createdAt"] = iso_ms(self.created)
        updated = {"pending": self.created, "building": self.started}.get(status, self.completed)
        build["updatedAt"] = iso_ms(updated)
        return build

    def visible_logs(self, now: float | None = None) -> list[str]:
        """Lines appear progressively while building; all of them once terminal."""
        now = time.time() if now is None else now
        status = self.status(now)
        if status == "pending":
            return []
        if status in TERMINAL:
            return list(self.log_lines)
        fraction = (now - self.started) / max(self.completed - self.started, 1e-9)
        return self.log_lines[: int(len(self.log_lines) * fraction)]


def _hex(seed: str, index: int) -> str:
    return hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()[:12]


def _step_lines(record: BuildRecord) -> list[str]:
    """`docker build` output for the Dockerfile that was uploaded; a failed build stops at
    its last RUN (or last) instruction."""
    steps = record.steps
    if not steps:
        return [
            f"(emulator) no readable {record.dockerfile_path} in the uploaded context: "
            "build steps are not shown"
        ]
    fail_at = None
    if record.final_status == "failed":
        runs = [number for number, step in enumerate(steps, 1) if step.upper().startswith("RUN")]
        fail_at = runs[-1] if runs else len(steps)
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        lines.append(f"Step {number}/{len(steps)} : {step}")
        is_run = step.upper().startswith("RUN")
        if is_run:
            lines.append(f" ---> Running in {_hex(record.id, number)}")
        if number == fail_at:
            if is_run:
                command = step[3:].strip()
                lines.append(f"The command '/bin/sh -c {command}' returned a non-zero code: 1")
            else:
                lines.append(f"{step.split()[0].upper()} failed (emulated failure)")
            break
        if is_run:
            lines.append(f"Removing intermediate container {_hex(record.id, number)}")
        lines.append(f" ---> {_hex(record.id, 100 + number)}")
    return lines


def synthetic_logs(record: BuildRecord) -> list[str]:
    """CodeBuild-style lines echoing the uploaded Dockerfile's instructions, timestamped
    across the build's duration."""
    bodies = [
        "Waiting for agent ping",
        "Waiting for DOWNLOAD_SOURCE",
        "Phase is DOWNLOAD_SOURCE",
        f"CODEBUILD_SRC_DIR=/codebuild/output/src{_hex(record.id, 0)[:9]}/src",
        "Entering phase INSTALL",
        "Phase complete: INSTALL State: SUCCEEDED",
        "Entering phase BUILD",
        f"Running command docker build -f {record.dockerfile_path} -t {record.image_uri()} .",
    ]
    bodies += _step_lines(record)
    if record.final_status == "failed":
        bodies.append("Phase complete: BUILD State: FAILED")
        bodies.append(
            "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while "
            "executing command: docker build. Reason: exit status 1"
        )
    if record.final_status == "timeout":
        bodies.append("Build timed out: the build exceeded the maximum build time of 3600 seconds")
        bodies.append("Phase complete: BUILD State: TIMED_OUT")
    elif record.final_status == "success":
        bodies += [
            f"Successfully built {_hex(record.id, 999)}",
            f"Successfully tagged {record.image_uri()}",
            "Phase complete: BUILD State: SUCCEEDED",
            "Entering phase POST_BUILD",
            f"Running command docker push {record.image_uri()}",
            f"{record.context_hash}: digest: sha256:{_hex(record.id, 1000)}{_hex(record.id, 1001)}"
            " size: 2842",
            "Phase complete: POST_BUILD State: SUCCEEDED",
        ]
    span = max(record.completed - record.started, 0.0)
    count = len(bodies)
    return [
        f"[Container] {log_stamp(record.started + span * index / count)} {body}"
        for index, body in enumerate(bodies)
    ]
