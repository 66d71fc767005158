"""An in-memory Pipecat Cloud for the unit layer: builds, agents with revisions, secret sets
and storage, behind the protocols the flow uses (`flow.ports.BuildsPort`, `AgentsPort`), a
recording reporter and a run whose waits advance a fake clock. No socket, no thread of its
own, no sleep: a test scripts what the service answers, runs a step, and reads what was
asked and what was printed.

Scripting, in short:
- `cloud.builds.add(build)` seeds a build; `cloud.builds.progress[id] = [statuses...]` is what
  successive `get_build` calls answer (the last one stays); `cloud.builds.logs[id]` its log.
- `cloud.agents.add(agent)` seeds an agent; `cloud.agents.rollout = [step, ...]` is what
  successive `get` calls answer after a deploy (each step is a function of the new deployment
  id and the agent before it: `pending`, `serving`, `crashed`...; the last one stays).
- `cloud.agents.secret_statuses = [...]` what successive reads of a written secret set say.
- `cloud.fail(method, error, after=False)` makes the next call of `method` raise `error`
  (before doing anything, or after doing its work: a lost answer).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pipecat_build.api.connection import ApiConnection, ApiError
from pipecat_build.api.transport import FileField, HttpClient, HttpResponse, Timeouts
from pipecat_build.config import Settings, build_settings
from pipecat_build.flow.tools import Tools
from pipecat_build.models import (
    Agent,
    Build,
    BuildStatus,
    CreateAnswer,
    DeployRequest,
    Revision,
    SecretSet,
    SecretSetStatus,
    UploadTicket,
)
from pipecat_build.retry_policy import RetryPolicy
from pipecat_build.run import Run
from pipecat_build.runtime import Runtime

REGION = "us-west"
KEY = "pk_test_unit_0123456789"


# --- time -------------------------------------------------------------------------------------


class FakeClock:
    """Monotonic seconds that move only when the run waits (or a test advances them)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RunawayWait(AssertionError):
    """A step kept waiting far longer than any test scripts: a bound was lost."""


class FakeRun(Run):
    """A `Run` whose `wait` advances its fake clock instead of sleeping; a cancelled run ends
    the wait as the real one does (KeyboardInterrupt). `on_wait` hooks let a test act at the
    n-th wait (cancel the run, change the service). More than `max_waits` waits fail the test
    (an unbounded loop ends instead of hanging)."""

    def __init__(self, clock: FakeClock | None = None, max_waits: int = 5000) -> None:
        self.fake_clock = clock or FakeClock()
        super().__init__(clock=self.fake_clock)
        self.waits: list[float] = []
        self.on_wait: list[Callable[[int], None]] = []
        self.max_waits = max_waits

    @property
    def waited(self) -> float:
        return sum(self.waits)

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) > self.max_waits:
            raise RunawayWait(f"more than {self.max_waits} waits ({self.waited:.0f}s)")
        for hook in self.on_wait:
            hook(len(self.waits))
        if self.cancel.is_set():
            raise KeyboardInterrupt
        self.fake_clock.advance(max(0.0, seconds))


# --- the reporter -----------------------------------------------------------------------------


@dataclass
class RecordingReporter:
    """Every call, in order (`events`), and by kind: lines, groups, outputs, summaries,
    errors (with their titles), warnings, notices, debug messages and masked values."""

    events: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    output_calls: list[tuple[str, str]] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_titles: list[str | None] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    debugs: list[str] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)

    def mask(self, secret: str, *, in_outputs: bool = True) -> None:
        self.masks.append(secret)
        self.events.append(("mask", secret))

    def line(self, text: str) -> None:
        self.lines.append(text)
        self.events.append(("line", text))

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.groups.append(title)
        self.events.append(("group", title))
        try:
            yield
        finally:
            self.events.append(("endgroup", title))

    def notice(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self.notices.append(message)
        self.events.append(("notice", message))

    def warning(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self.warnings.append(message)
        self.events.append(("warning", message))

    def error(self, message: str, *, title: str | None = None) -> None:
        self.errors.append(message)
        self.error_titles.append(title)
        self.events.append(("error", message))

    def debug(self, message: str) -> None:
        self.debugs.append(message)
        self.events.append(("debug", message))

    def set_output(self, name: str, value: str) -> None:
        self.outputs[name] = value
        self.output_calls.append((name, value))
        self.events.append(("output", f"{name}={value}"))

    def add_summary(self, markdown: str) -> None:
        self.summaries.append(markdown)
        self.events.append(("summary", markdown))

    @property
    def text(self) -> str:
        """Every line, as the log would show them."""
        return "\n".join(self.lines)

    def said(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)


# --- the service ------------------------------------------------------------------------------


class Faults:
    """Errors a test queues per method: raised before the call does anything, or after it
    did its work (the answer is lost)."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[tuple[Exception, bool]]] = {}

    def add(self, method: str, error: Exception, *, after: bool = False) -> None:
        self._queued.setdefault(method, deque()).append((error, after))

    def take(self, method: str) -> tuple[Exception, bool] | None:
        queue = self._queued.get(method)
        return queue.popleft() if queue else None

    @contextlib.contextmanager
    def around(self, method: str) -> Iterator[None]:
        fault = self.take(method)
        if fault is not None and not fault[1]:
            raise fault[0]
        yield
        if fault is not None:
            raise fault[0]


def _next(script: list[Any], index: int) -> Any:
    return script[min(index, len(script) - 1)]


class FakeBuilds:
    """`BuildsPort` over the service's builds."""

    def __init__(self, cloud: FakeCloud) -> None:
        self._cloud = cloud
        self.builds: dict[str, Build] = {}
        self.progress: dict[str, list[BuildStatus]] = {}
        self._polls: dict[str, int] = {}
        self.logs: dict[str, list[str]] = {}
        self.default: str = REGION
        self.known_regions: list[str] = [REGION, "eu-central"]
        self.cache_creates = False  # answer create with a cached successful build
        self.new_build_progress: list[BuildStatus] = [BuildStatus.BUILDING, BuildStatus.SUCCESS]
        self.ticket_lifetime = 900.0
        self.tickets_left: deque[float] = deque()  # seconds left of the next tickets given
        self.calls: list[tuple[str, Any]] = []
        self._count = 0
        self._uploads = 0

    def add(self, build: Build, progress: list[BuildStatus] | None = None) -> Build:
        self.builds[build.id] = build
        if progress is not None:
            self.progress[build.id] = progress
        return build

    def _finish(self, build: Build, status: BuildStatus) -> Build:
        if status is BuildStatus.SUCCESS:
            return dataclasses.replace(
                build,
                status=status,
                image_uri=build.image_uri or f"registry.example/{build.id}:latest",
                image_size_bytes=build.image_size_bytes or 1234,
                duration_seconds=12.0,
            )
        if status in (BuildStatus.FAILED, BuildStatus.TIMEOUT):
            return dataclasses.replace(
                build, status=status, error_message=build.error_message or f"build {status.value}"
            )
        return dataclasses.replace(build, status=status)

    def default_region(self) -> str:
        self.calls.append(("default_region", None))
        with self._cloud.faults.around("default_region"):
            return self.default

    def regions(self) -> list[str]:
        self.calls.append(("regions", None))
        with self._cloud.faults.around("regions"):
            return list(self.known_regions)

    def find_builds(
        self, context_hash: str, region: str, status: str | None = None, limit: int = 20
    ) -> list[Build]:
        self.calls.append(("find_builds", (context_hash, region, status)))
        with self._cloud.faults.around("find_builds"):
            found = [
                b
                for b in self.builds.values()
                if b.context_hash == context_hash
                and b.region == region
                and (status is None or b.status.value == status)
            ]
            return sorted(found, key=lambda b: -b.created_at)[:limit]

    def request_upload(self, region: str) -> UploadTicket:
        self.calls.append(("request_upload", region))
        with self._cloud.faults.around("request_upload"):
            self._uploads += 1
            n, now = self._uploads, time.time()
            left = self.tickets_left.popleft() if self.tickets_left else self.ticket_lifetime
            return UploadTicket(
                upload_id=f"upload-{n}",
                url="https://storage.example/bucket",
                fields=[("key", f"uploads/{n}"), ("x-amz-signature", f"sig{n}")],
                expires_at=now + left,
                received_at=now - (self.ticket_lifetime - left),
            )

    def create_build(self, upload_id: str, region: str, dockerfile: str) -> CreateAnswer:
        self.calls.append(("create_build", (upload_id, region, dockerfile)))
        with self._cloud.faults.around("create_build"):
            context_hash = self._cloud.storage.uploaded.get(upload_id, "")
            if self.cache_creates:
                self._count += 1
                build = self._finish(
                    Build(
                        f"build-{self._count}",
                        BuildStatus.PENDING,
                        context_hash,
                        region,
                        dockerfile,
                        created_at=time.time() - 3600,
                    ),
                    BuildStatus.SUCCESS,
                )
                self.builds[build.id] = build
                return CreateAnswer(build, True)
            self._count += 1
            build = Build(
                f"build-{self._count}",
                BuildStatus.PENDING,
                context_hash,
                region,
                dockerfile,
                logs_url=f"https://console.example/builds/build-{self._count}",
                context_size_bytes=self._cloud.storage.sizes.get(upload_id),
                created_at=time.time(),
            )
            self.builds[build.id] = build
            self.progress.setdefault(build.id, list(self.new_build_progress))
            return CreateAnswer(build, False)

    def get_build(self, build_id: str) -> Build:
        self.calls.append(("get_build", build_id))
        with self._cloud.faults.around("get_build"):
            build = self.builds[build_id]
            script = self.progress.get(build_id)
            if script:
                index = self._polls.get(build_id, 0)
                self._polls[build_id] = index + 1
                build = self._finish(build, _next(script, index))
                self.builds[build_id] = build
            return build

    def get_logs(self, build_id: str, limit: int = 10_000) -> tuple[list[str], bool]:
        self.calls.append(("get_logs", build_id))
        with self._cloud.faults.around("get_logs"):
            return list(self.logs.get(build_id, []))[-limit:], False

    def created(self) -> list[str]:
        return [c[1][0] for c in self.calls if c[0] == "create_build"]


Step = Callable[[str, Agent], Agent]  # (new deployment id, the agent before) -> the agent


def revision(deployment: str, phase: str = "Running", **health: Any) -> Revision:
    return Revision(deployment_id=deployment, phase=phase, **health)


def pending(deployment: str, before: Agent) -> Agent:
    """Rolling out: the old deployment still serves (ready and available)."""
    return dataclasses.replace(
        before,
        desired_deployment=deployment,
        current=revision(deployment, "Pending"),
        previous=before.current,
    )


def serving(deployment: str, before: Agent) -> Agent:
    return dataclasses.replace(
        before,
        ready=True,
        available=True,
        desired_deployment=deployment,
        reconciled_deployment=deployment,
        current=revision(deployment, "Running"),
        previous=before.previous if before.current and before.current.deployment_id == deployment
        else before.current,
    )


def agent_state(**changes: Any) -> Step:
    """A step that sets fields of the agent (after the deployment is the desired one)."""

    def step(deployment: str, before: Agent) -> Agent:
        return dataclasses.replace(before, desired_deployment=deployment, **changes)

    return step


def crashed(**health: Any) -> Step:
    """The new revision with the given health (`phase=`, `health_reason=`, `last_exit_code=`,
    `termination_reason=`, `message=`), and `errors=` on the agent."""
    errors = tuple(health.pop("errors", ()))
    phase = health.pop("phase", "Running")

    def step(deployment: str, before: Agent) -> Agent:
        return dataclasses.replace(
            before,
            desired_deployment=deployment,
            current=revision(deployment, phase, **health),
            previous=before.current if before.current
            and before.current.deployment_id != deployment else before.previous,
            errors=errors,
        )

    return step


def replaced_by(other: str) -> Step:
    """Someone else deployed while we waited."""

    def step(deployment: str, before: Agent) -> Agent:
        return dataclasses.replace(
            before, desired_deployment=other, current=revision(other, "Pending")
        )

    return step


def serving_agent(name: str, deployment: str, region: str = REGION) -> Agent:
    return Agent(
        name,
        region,
        ready=True,
        available=True,
        desired_deployment=deployment,
        reconciled_deployment=deployment,
        current=revision(deployment),
    )


class FakeAgents:
    """`AgentsPort` over the service's agents and secret sets."""

    def __init__(self, cloud: FakeCloud) -> None:
        self._cloud = cloud
        self.agents: dict[str, Agent] = {}
        self.rollout: list[Step] = [pending, serving]
        self._rollout_at: dict[str, int] = {}
        self._deploying: dict[str, str] = {}
        self.requests: list[tuple[str, DeployRequest]] = []
        self._last_request: dict[str, DeployRequest] = {}
        self.sets: dict[str, SecretSet] = {}
        self.values: dict[str, dict[str, str]] = {}
        self.secret_statuses: list[str] = ["pending", "ready"]
        self._set_reads: dict[str, int] = {}
        self.unchanged_warning = ""
        self.summaries: dict[str, Any] = {}  # what `secret_sets` lists (SecretSetSummary)
        self.calls: list[tuple[str, Any]] = []
        self._count = 0

    def add(
        self, agent: Agent, *, request: DeployRequest | None = None, rolling: bool = False
    ) -> Agent:
        """Seeds an agent; `request` is what deployed it (an equal update changes nothing);
        `rolling`: its desired deployment is still rolling out (reads follow `rollout`)."""
        self.agents[agent.name] = agent
        if request is not None:
            self._last_request[agent.name] = dataclasses.replace(request, force_redeploy=False)
        if rolling:
            self._deploying[agent.name] = agent.desired_deployment
            self._rollout_at[agent.name] = 0
        return agent

    def get(self, name: str) -> Agent | None:
        self.calls.append(("get", name))
        with self._cloud.faults.around("get"):
            agent = self.agents.get(name)
            deployment = self._deploying.get(name)
            if agent is None or deployment is None:
                return agent
            index = self._rollout_at.get(name, 0)
            self._rollout_at[name] = index + 1
            agent = _next(self.rollout, index)(deployment, agent)
            self.agents[name] = agent
            return agent

    def _deploy(self, request: DeployRequest, agent: Agent) -> Agent:
        self._count += 1
        deployment = f"dep-{self._count}"
        self._deploying[request.agent] = deployment
        self._rollout_at[request.agent] = 0
        self._last_request[request.agent] = request
        accepted = dataclasses.replace(agent, desired_deployment=deployment, warning="")
        self.agents[request.agent] = accepted
        return accepted

    def create(self, request: DeployRequest) -> Agent:
        self.calls.append(("create", request))
        self.requests.append(("create", request))
        with self._cloud.faults.around("create"):
            if request.agent in self.agents:
                raise ApiError(f"agent {request.agent} exists", status=409)
            return self._deploy(request, Agent(request.agent, request.region))

    def update(self, request: DeployRequest) -> Agent:
        self.calls.append(("update", request))
        self.requests.append(("update", request))
        with self._cloud.faults.around("update"):
            agent = self.agents[request.agent]
            same = dataclasses.replace(request, force_redeploy=False)
            if self._last_request.get(request.agent) == same and not request.force_redeploy:
                unchanged = dataclasses.replace(agent, warning=self.unchanged_warning)
                return unchanged
            return self._deploy(same, agent)

    def put_secrets(self, name: str, pairs: tuple[tuple[str, str], ...], region: str) -> None:
        self.calls.append(("put_secrets", (name, tuple(k for k, _ in pairs), region)))
        with self._cloud.faults.around("put_secrets"):
            self.values.setdefault(name, {}).update(dict(pairs))
            keys = tuple(self.values[name])
            self.sets[name] = SecretSet(
                name, SecretSetStatus.of(self.secret_statuses[0]), region, keys
            )
            self._set_reads[name] = 0

    def get_secret_set(self, name: str) -> SecretSet | None:
        self.calls.append(("get_secret_set", name))
        with self._cloud.faults.around("get_secret_set"):
            current = self.sets.get(name)
            if current is None:
                return None
            index = self._set_reads.get(name, 0)
            self._set_reads[name] = index + 1
            status = SecretSetStatus.of(_next(self.secret_statuses, index))
            failed = status is SecretSetStatus.FAILED
            error = "provisioning failed: quota" if failed else ""
            current = dataclasses.replace(current, status=status, error_message=error)
            self.sets[name] = current
            return current

    def delete(self, name: str) -> bool:
        self.calls.append(("delete", name))
        with self._cloud.faults.around("delete"):
            return self.agents.pop(name, None) is not None

    def delete_secret_set(self, name: str) -> bool:
        self.calls.append(("delete_secret_set", name))
        with self._cloud.faults.around("delete_secret_set"):
            self.values.pop(name, None)
            return self.sets.pop(name, None) is not None

    def secret_sets(self) -> dict[str, Any]:
        self.calls.append(("secret_sets", None))
        with self._cloud.faults.around("secret_sets"):
            return dict(self.summaries)

    def deployed(self) -> list[str]:
        return [kind for kind, _ in self.requests]


class FakeStorage:
    """The storage host: records each upload and the context hash of its bytes (the first 16
    hex digits of their md5, as Pipecat Cloud computes it), which a later create reads."""

    def __init__(self, cloud: FakeCloud) -> None:
        self._cloud = cloud
        self.uploaded: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.answers: deque[HttpResponse] = deque()  # scripted answers before a 204
        self.posts = 0

    def post_form(
        self,
        url: str,
        fields: list[tuple[str, str]],
        file: FileField,
        *,
        timeout: Timeouts,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> HttpResponse:
        self.posts += 1
        with self._cloud.faults.around("post_form"):
            if self.answers:
                return self.answers.popleft()
            data = Path(file.path).read_bytes()
            if on_progress is not None:
                on_progress(len(data) // 2, len(data))
                on_progress(len(data), len(data))
            upload_id = f"upload-{fields[0][1].rsplit('/', 1)[-1]}"
            self.uploaded[upload_id] = hashlib.md5(data).hexdigest()[:16]
            self.sizes[upload_id] = len(data)
            return HttpResponse(204, "No Content", {}, b"")


class FakeCloud:
    def __init__(self) -> None:
        self.faults = Faults()
        self.builds = FakeBuilds(self)
        self.agents = FakeAgents(self)
        self.storage = FakeStorage(self)

    def fail(self, method: str, error: Exception, *, after: bool = False) -> None:
        self.faults.add(method, error, after=after)


# --- tools ------------------------------------------------------------------------------------

TEST_POLICY = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=5.0, total_deadline=600.0)


def write_context(folder: Path, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    default = {"Dockerfile": "FROM scratch\n", "app.py": "print('hi')\n"}
    for name, text in (files or default).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def settings_for(workspace: Path, **inputs: str) -> Settings:
    """Settings from inputs spelled with underscores (`agent_name="bot"`)."""
    raw = {"api-key": KEY, **{k.replace("_", "-"): v for k, v in inputs.items()}}
    return build_settings(raw, workspace)


def make_tools(
    settings: Settings,
    cloud: FakeCloud,
    out: RecordingReporter | None = None,
    run: FakeRun | None = None,
    *,
    read_timeout: float = 6.0,
    policy: RetryPolicy = TEST_POLICY,
) -> Tools:
    run = run or FakeRun()
    connection = ApiConnection(
        cast(HttpClient, None),  # never used: the fakes answer instead
        settings.api_url,
        settings.api_key,
        policy=policy,
        timeout=(1.0, read_timeout),
        sleep=run.wait,
    )
    return Tools(
        settings,
        connection,
        cloud.builds,
        cloud.agents,
        cast(HttpClient, cloud.storage),
        out if out is not None else RecordingReporter(),
        run,
        Runtime(),
        random.Random(7),
    )
