"""Typed answers of the Pipecat Cloud API, parsed once in the API client; nothing else reads
raw API dicts."""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import ActionError, shown


def parse_time(value: object) -> float | None:
    """ISO-8601 (with `Z`) to epoch seconds; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _within(raw: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """A nested object of an answer, or {} where any level is missing or not an object."""
    for key in keys:
        value = raw.get(key)
        raw = value if isinstance(value, Mapping) else {}
    return raw


# A container image reference (distribution/reference's grammar): what the `image-uri` output
# and a deploy may carry (the `image` input is held to it too, with a tag or digest). Anything
# else from the server (a quote, a `;`, a space, a newline) would reach a workflow's
# `run: echo "${{ steps.x.outputs.image-uri }}"` as shell code.
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"(?:(?:{_HOST}(?:\.{_HOST})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?/)?"
    rf"{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?P<tag>:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?P<digest>@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,128})?"
)
IMAGE_REFERENCE_MAX = 512
# A logs URL from the server becomes the `logs-url` output: an http(s) URL with nothing a shell
# or a workflow command would act on (no space or line break, quote, backtick, `$`, backslash,
# angle bracket); anything else is dropped, the output left unset.
_LOGS_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f\"'`$\\<>]+")


def _logs_url(value: object) -> str:
    url = _str(value)
    return url if len(url) <= 2048 and _LOGS_URL.fullmatch(url) else ""


# Ids the server gives builds and deployments (UUIDs); they become outputs and path segments.
SERVER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class ServerAnswerError(ActionError):
    """A value in the server's answer that must not be passed on (an output, a deploy)."""


def is_image_reference(value: str) -> bool:
    return len(value) <= IMAGE_REFERENCE_MAX and IMAGE_REFERENCE.fullmatch(value) is not None


class BuildStatus(enum.Enum):
    PENDING = "pending"
    BUILDING = "building"
    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, value: object) -> BuildStatus:
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN

    @property
    def running(self) -> bool:
        return self in (BuildStatus.PENDING, BuildStatus.BUILDING)

    @property
    def terminal(self) -> bool:
        return self in (BuildStatus.SUCCESS, BuildStatus.FAILED, BuildStatus.TIMEOUT)


@dataclass(frozen=True)
class Build:
    id: str
    status: BuildStatus
    context_hash: str = ""
    region: str = ""
    dockerfile: str = "Dockerfile"
    image_uri: str = ""
    context_size_bytes: int | None = None
    image_size_bytes: int | None = None
    duration_seconds: float | None = None
    logs_url: str = ""
    error_message: str = ""
    created_at: float = 0.0

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Build:
        """Raises ServerAnswerError, naming the build, for an id or imageUri that is not one."""
        build_id = str(raw.get("id") or "")
        if build_id and not SERVER_ID.fullmatch(build_id):
            raise ServerAnswerError(
                f"Pipecat Cloud answered a build id that is not one ('{shown(build_id, 80)}'); "
                "refusing to use it"
            )
        image_uri = _str(raw.get("imageUri"))
        if image_uri and not is_image_reference(image_uri):
            raise ServerAnswerError(
                f"build {build_id}: Pipecat Cloud's imageUri '{shown(image_uri, 80)}' is not a "
                "container image reference; refusing to pass it on as image-uri"
            )
        return cls(
            id=build_id,
            status=BuildStatus.of(raw.get("status")),
            context_hash=_str(raw.get("contextHash")),
            region=_str(raw.get("region")),
            dockerfile=_str(raw.get("dockerfilePath")) or "Dockerfile",
            image_uri=image_uri,
            context_size_bytes=_int(raw.get("contextSizeBytes")),
            image_size_bytes=_int(raw.get("imageSizeBytes")),
            duration_seconds=_float(raw.get("buildDurationSeconds")),
            logs_url=_logs_url(raw.get("logsUrl")),
            error_message=_str(raw.get("errorMessage")),
            created_at=parse_time(raw.get("createdAt")) or 0.0,
        )

    def same_recipe(self, context_hash: str, region: str, dockerfile: str) -> bool:
        """The list filter for dockerfilePath is undocumented, so every field is checked."""
        return (
            self.context_hash == context_hash
            and (self.region or region) == region
            and self.dockerfile == dockerfile
        )


@dataclass(frozen=True)
class UploadTicket:
    upload_id: str
    url: str
    fields: list[tuple[str, str]]  # in the order the API gave them
    expires_at: float  # epoch seconds
    received_at: float = field(default_factory=time.time)  # with expires_at: its lifetime

    def seconds_left(self) -> float:
        return self.expires_at - time.time()

    @property
    def lifetime(self) -> float:
        return max(0.0, self.expires_at - self.received_at)


@dataclass(frozen=True)
class CreateAnswer:
    build: Build
    cached: bool


CRASH_REASONS = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "OOMKilled", "Error"}
)


@dataclass(frozen=True)
class Revision:
    """One revision of an agent (`RevisionInfo`): its phase and its code's health."""

    deployment_id: str = ""
    phase: str = ""
    health_reason: str = ""
    last_exit_code: int | None = None
    termination_reason: str = ""
    message: str = ""  # the container's last output, often a traceback

    @classmethod
    def parse(cls, raw: object) -> Revision | None:
        if not isinstance(raw, Mapping):
            return None
        health = raw.get("health")
        health = health if isinstance(health, Mapping) else {}
        return cls(
            deployment_id=_str(raw.get("deploymentID")),
            phase=_str(raw.get("phase")),
            health_reason=_str(health.get("reason")),
            last_exit_code=_int(health.get("lastExitCode")),
            termination_reason=_str(health.get("lastTerminationReason")),
            message=_str(health.get("message")),
        )

    def crash(self) -> str:
        """Why this revision cannot serve, or "" while it may still come up."""
        if self.phase == "Failed":
            return self.health_reason or self.termination_reason or "the revision failed"
        if self.health_reason in CRASH_REASONS:
            return self.health_reason
        if self.last_exit_code not in (None, 0):
            reason = self.termination_reason or self.health_reason or "the agent exited"
            return f"{reason} (exit code {self.last_exit_code})"
        return ""


@dataclass(frozen=True)
class Agent:
    """`ServiceDetailsResponse`, plus the fields both official clients read beyond the spec
    (`errors[]`, `warning`)."""

    name: str
    region: str = ""
    ready: bool = False
    available: bool = False
    desired_deployment: str = ""
    reconciled_deployment: str = ""
    current: Revision | None = None
    previous: Revision | None = None
    errors: tuple[str, ...] = ()
    warning: str = ""
    secret_sets: tuple[str, ...] = ()  # deployment.manifest.spec.envFromSecretNames
    pull_secret_set: str = ""  # deployment.manifest.spec.imagePullSecretName

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Agent:
        errors = raw.get("errors")
        spec = _within(raw, "deployment", "manifest", "spec")
        names = spec.get("envFromSecretNames")
        messages = tuple(
            ": ".join(str(e.get(k)) for k in ("code", "message") if e.get(k))
            if isinstance(e, Mapping) else str(e)
            for e in (errors if isinstance(errors, list) else [])
        )
        return cls(
            name=_str(raw.get("name")),
            region=_str(raw.get("region")),
            ready=raw.get("ready") is True,
            available=raw.get("available") is True,
            desired_deployment=_str(raw.get("desiredDeploymentId"))
            or _str(raw.get("activeDeploymentId")),
            reconciled_deployment=_str(raw.get("reconciledDeploymentId")),
            current=Revision.parse(raw.get("currentRevision")),
            previous=Revision.parse(raw.get("previousRevision")),
            errors=messages,
            warning=_str(raw.get("warning")),
            secret_sets=tuple(n for n in names if isinstance(n, str))
            if isinstance(names, list)
            else (),
            pull_secret_set=_str(spec.get("imagePullSecretName")),
        )

    def serves(self, deployment_id: str) -> bool:
        """Ready means the new deployment is the one serving, not merely that some revision
        is: during a rolling update the old one reports ready and available."""
        return (
            bool(deployment_id)
            and self.desired_deployment == deployment_id
            and self.reconciled_deployment == deployment_id
            and self.ready
            and self.available
        )

    def revision_of(self, deployment_id: str) -> Revision | None:
        for revision in (self.current, self.previous):
            if revision is not None and revision.deployment_id == deployment_id:
                return revision
        return None


class SecretSetStatus(enum.Enum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    UNKNOWN = "unknown"  # anything else the server says

    @classmethod
    def of(cls, value: object) -> SecretSetStatus:
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


class SecretSetType(enum.Enum):
    SECRET = "secret"  # values an agent reads
    IMAGE_PULL_SECRET = "imagePullSecret"  # a registry login an image is pulled with
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, value: object) -> SecretSetType:
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True)
class SecretSet:
    name: str
    status: SecretSetStatus = SecretSetStatus.UNKNOWN
    region: str = ""
    keys: tuple[str, ...] = ()
    error_message: str = ""

    @classmethod
    def parse(cls, name: str, raw: Mapping[str, Any]) -> SecretSet:
        secrets = raw.get("secrets")
        keys = tuple(
            str(s.get("fieldName"))
            for s in (secrets if isinstance(secrets, list) else [])
            if isinstance(s, Mapping) and s.get("fieldName")
        )
        return cls(
            name=name,
            status=SecretSetStatus.of(raw.get("status")),
            region=_str(raw.get("region")),
            keys=keys,
            error_message=_str(raw.get("errorMessage")),
        )


@dataclass(frozen=True)
class SecretSetSummary:
    """One entry of the secret-set list (`SecretSetSummary`): `type` is `secret` or
    `imagePullSecret`."""

    name: str
    type: SecretSetType = SecretSetType.UNKNOWN
    region: str = ""
    status: SecretSetStatus = SecretSetStatus.UNKNOWN

    @classmethod
    def parse(cls, raw: object) -> SecretSetSummary:
        item = raw if isinstance(raw, Mapping) else {}
        return cls(
            name=_str(item.get("name")),
            type=SecretSetType.of(item.get("type")),
            region=_str(item.get("region")),
            status=SecretSetStatus.of(item.get("status")),
        )


@dataclass(frozen=True)
class RegistryImage:
    """A registry image deployed instead of a build (`image`), with the pull-secret set the
    service pulls it with (`image-credentials`), if any."""

    uri: str
    credentials: str | None = None


@dataclass(frozen=True)
class DeployRequest:
    """One deploy of a build to an agent: `CreateServiceRequest` when the agent is new,
    `UpdateServiceRequest` otherwise. Unset settings (None) are not sent: the service keeps
    or chooses its default."""

    agent: str
    build_id: str
    region: str
    secret_set: str | None = None
    min_agents: int | None = None
    max_agents: int | None = None
    agent_profile: str | None = None
    max_session_duration: int | None = None
    audio_filter: str | None = None
    force_redeploy: bool = False
    image: str = ""  # a registry image instead of the build (build_id then unused)
    image_pull_secret_set: str | None = None  # the image's pull secret (`image-credentials`)

    def body(self, *, create: bool) -> dict[str, Any]:
        """Only fields the spec defines: the service drops unknown ones silently."""
        body: dict[str, Any] = {"image": self.image} if self.image else {"buildId": self.build_id}
        if self.image and self.image_pull_secret_set:
            body["imagePullSecretSet"] = self.image_pull_secret_set
        if create:
            body = {"serviceName": self.agent, **body, "region": self.region}
        if self.secret_set:
            body["secretSet"] = self.secret_set
        scaling = {
            key: value
            for key, value in (("minAgents", self.min_agents), ("maxAgents", self.max_agents))
            if value is not None
        }
        if scaling:
            body["autoScaling"] = scaling
        if self.agent_profile:
            body["agentProfile"] = self.agent_profile
        if self.max_session_duration is not None:
            body["maxSessionDuration"] = self.max_session_duration
        if self.audio_filter:
            body["krispViva"] = {"audioFilter": self.audio_filter}
        if self.force_redeploy and not create:
            body["forceRedeploy"] = True
        return body
