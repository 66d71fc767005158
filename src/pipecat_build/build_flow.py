"""One target from folder to image: pack, look for a reusable build, upload, create, follow.

Everything external arrives as a parameter (API client, storage session, reporter, cancel
event), so tests drive it against the emulator and the CLI reuses it unchanged.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import scratch
from .api_client import LOG_LIMIT, AnswerLost, CreateAnswer, PipecatApi, UploadTicket
from .archive.members import ArchiveResult
from .errors import ActionError, InputError
from .http_transport import HttpClient
from .reporter import Reporter
from .retry_policy import ConsecutiveFailures, RetryPolicy
from .settings import Settings, Target
from .units import human_bytes, human_seconds

if TYPE_CHECKING:
    from .log_tail import LogTailer

TERMINAL = frozenset({"success", "failed", "timeout"})
IN_PROGRESS = frozenset({"pending", "building"})
SENSITIVE_UPLOAD_FIELDS = ("policy", "x-amz-signature", "x-amz-credential", "x-amz-security-token")
MAX_POLL_FAILURES = 5
UPLOAD_ATTEMPTS = 5
CREATE_ATTEMPTS = 6
TICKET_MARGIN = 60.0  # seconds: a ticket about to expire is renewed before uploading
ADOPT_WINDOW = 300.0  # seconds: a build this recent with our hash may be our own lost create
CREATE_SPREAD = 1.0  # seconds: runs that reach "create" together spread over up to this
LAST_LINES_ON_FAILURE = 20


STARTED_BUILDS: list[str] = []  # for the cancellation message: these keep running remotely


class BuildTimedOut(ActionError):
    """build-timeout passed; the build itself may still be running."""


@dataclass
class Outcome:
    """What one target ended with; `outputs()` are the action outputs it sets."""

    target: Target
    region: str = ""
    status: str = "error"
    context_hash: str = ""
    archive_bytes: int = 0
    file_count: int = 0
    build: dict[str, Any] = field(default_factory=dict)
    cached: bool = False
    error: str = ""
    needs_build: bool = False  # plan mode
    context_report: str = ""  # Markdown explaining what went into the context

    @property
    def ok(self) -> bool:
        return self.status == "success" or (self.status == "planned" and not self.error)

    @property
    def image_uri(self) -> str:
        return str(self.build.get("imageUri") or "") if self.status == "success" else ""

    def outputs(self) -> dict[str, str]:
        build = self.build
        values = {
            "context-hash": self.context_hash,
            "context-size-bytes": str(build.get("contextSizeBytes") or self.archive_bytes or ""),
            "build-id": str(build.get("id") or ""),
            "status": self.status,
            "cached": "true" if self.cached else "false",
            "image-size-bytes": str(build.get("imageSizeBytes") or ""),
            "build-duration-seconds": str(build.get("buildDurationSeconds") or ""),
            "logs-url": str(build.get("logsUrl") or ""),
        }
        if self.image_uri:
            values["image-uri"] = self.image_uri
        return {k: v for k, v in values.items() if v}


@dataclass
class Context:
    """The packed context of a target, on disk outside the workspace."""

    path: Path
    archive: ArchiveResult


class RegionResolver:
    """Asks the API for the default region once, whatever the number of targets."""

    def __init__(self, api: PipecatApi) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._default: str | None = None

    def region_for(self, target: Target) -> str:
        if target.region:
            return target.region
        with self._lock:
            if self._default is None:
                self._default = self._api.default_region()
            return self._default


def _created_at(build: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(
            str(build.get("createdAt", "")).replace("Z", "+00:00")
        ).timestamp()
    except ValueError:
        return 0.0


def _same_recipe(build: dict[str, Any], context_hash: str, region: str, dockerfile: str) -> bool:
    """The list filter for dockerfilePath is undocumented, so every field is checked here."""
    return (
        build.get("contextHash") == context_hash
        and build.get("region", region) == region
        and build.get("dockerfilePath", "Dockerfile") == dockerfile
    )


class BuildFlow:
    def __init__(
        self,
        settings: Settings,
        api: PipecatApi,
        storage: HttpClient,
        reporter: Reporter,
        cancel: threading.Event,
        regions: RegionResolver | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.api = api
        self.storage = storage
        self.out = reporter
        self.cancel = cancel
        self.regions = regions or RegionResolver(api)
        self.policy: RetryPolicy = api.policy
        self.rng = rng or random.Random()
        self.last_log_lines: deque[str] = deque(maxlen=LAST_LINES_ON_FAILURE)
        self._log_fetch_failing = False

    # -- steps ------------------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise KeyboardInterrupt

    def pack(self, target: Target, outcome: Outcome) -> Context:
        from .context_packing import pack_context

        path, archive, outcome.context_report = pack_context(
            self.settings, target, self.out, self.cancel
        )
        outcome.context_hash = archive.context_hash
        outcome.archive_bytes = archive.archive_bytes
        outcome.file_count = archive.file_count
        self.out.set_output("context-hash", archive.context_hash)
        self.out.set_output("context-size-bytes", str(archive.archive_bytes))
        return Context(path, archive)

    def find_reusable(
        self, context_hash: str, region: str, dockerfile: str
    ) -> dict[str, Any] | None:
        builds = self.api.find_builds(context_hash, region, status="success")
        hits = [
            b
            for b in builds
            if b.get("status", "success") == "success"
            and _same_recipe(b, context_hash, region, dockerfile)
        ]
        return max(hits, key=_created_at) if hits else None

    def find_running_or_done(
        self, context_hash: str, region: str, dockerfile: str, since: float | None = None
    ) -> dict[str, Any] | None:
        """A successful build to reuse, else a running one to follow (another run's, or our own
        create whose answer was lost)."""
        builds = [
            b
            for b in self.api.find_builds(context_hash, region, limit=50)
            if _same_recipe(b, context_hash, region, dockerfile)
        ]
        done = [b for b in builds if b.get("status") == "success"]
        if done:
            return max(done, key=_created_at)
        running = [b for b in builds if b.get("status") in IN_PROGRESS]
        if since is not None:
            running += [
                b
                for b in builds
                if b.get("status") not in IN_PROGRESS
                and b.get("status") != "success"
                and _created_at(b) >= since
            ]
        return max(running, key=_created_at) if running else None

    def _ticket(self, region: str) -> UploadTicket:
        ticket = self.api.request_upload(region)
        for name, value in ticket.fields:
            if name.lower() in SENSITIVE_UPLOAD_FIELDS:
                self.out.mask(value)
        return ticket

    def upload(self, context: Context, region: str) -> UploadTicket:
        from .upload import ProgressMeter, StorageError, upload_archive

        size = context.archive.archive_bytes
        ticket = self._ticket(region)
        started = time.monotonic()
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            # "About to expire": within a minute, or half the lifetime of a short-lived URL.
            if ticket.seconds_left() < min(TICKET_MARGIN, ticket.lifetime / 2):
                self.out.line("the upload URL is about to expire; asking for a new one")
                ticket = self._ticket(region)
            meter = ProgressMeter(size, self.out.line)
            try:
                upload_archive(self.storage, ticket, context.path, on_progress=meter.update)
                break
            except StorageError as exc:
                if not exc.retryable or attempt == UPLOAD_ATTEMPTS:
                    raise
                delay = self.policy.delay_before_retry(attempt - 1, exc.retry_after, self.rng)
                if delay > self.policy.total_deadline:
                    raise
                self.out.line(f"{exc}; sending it again in {delay:.1f}s")
                if exc.expired:
                    self.out.line("the upload URL expired; asking for a new one")
                    ticket = self._ticket(region)
                self._wait(delay)
        elapsed = time.monotonic() - started
        self.out.line(
            f"uploaded {human_bytes(size)} in {human_seconds(elapsed)}"
            f" ({human_bytes(size / max(elapsed, 1e-6))}/s)"
        )
        return ticket

    def create(
        self, ticket: UploadTicket, context_hash: str, region: str, dockerfile: str
    ) -> CreateAnswer:
        """Creating is not idempotent: when an answer is lost, look before trying again."""
        since = time.time() - ADOPT_WINDOW
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self.api.create_build(ticket.upload_id, region, dockerfile)
            except AnswerLost as exc:
                self.out.line(f"{exc}; checking whether the build was created anyway")
                self._wait(self.policy.delay_before_retry(attempt - 1, None, self.rng))
                found = self._look_for_lost_build(
                    context_hash, region, dockerfile, since, settle=exc.maybe_pending
                )
                if found is not None:
                    self.out.line(f"found build {found.get('id')}: adopting it")
                    cached = found.get("status") == "success" and _created_at(found) < since
                    return CreateAnswer(found, context_hash, cached)
                if attempt == CREATE_ATTEMPTS:
                    raise ActionError(f"could not create the build: {exc}") from None
        raise AssertionError("unreachable")

    def _look_for_lost_build(
        self, context_hash: str, region: str, dockerfile: str, since: float, *, settle: bool
    ) -> dict[str, Any] | None:
        """After a timeout the service may still be creating the build: keep looking for as
        long as a request may take (the read timeout) before concluding it was never made."""
        read_timeout = self.api.timeout[1] if settle else 0.0
        ends = time.monotonic() + read_timeout
        step = max(0.1, read_timeout / 6)
        while True:
            found = self.find_running_or_done(context_hash, region, dockerfile, since)
            left = ends - time.monotonic()
            if found is not None or left <= 0:
                return found
            self._wait(min(step, left))

    def _spread_then_look(
        self, context_hash: str, region: str, dockerfile: str
    ) -> dict[str, Any] | None:
        """Runs of one context started together would each find nothing and each create a
        build; a random pause before one more look lets the later one find the earlier one's
        (no server-side lock exists, so this narrows the race rather than closing it)."""
        self._wait(self.rng.uniform(0.0, min(CREATE_SPREAD, self.settings.poll_interval)))
        return self.find_running_or_done(context_hash, region, dockerfile)

    def _print_logs(self, build_id: str, tailer: LogTailer) -> None:
        try:
            window, has_more = self.api.get_logs(build_id)
        except ActionError as exc:
            if not self._log_fetch_failing:
                self.out.line(f"could not read the build log ({exc}); will try again")
            self._log_fetch_failing = True
            return
        self._log_fetch_failing = False
        step = tailer.feed(window, requested_limit=LOG_LIMIT, has_more=has_more)
        if step.marker:
            self.out.line(step.marker)
        for line in step.lines:
            self.out.line(line)
        self.last_log_lines.extend(step.lines)

    def follow(self, build: dict[str, Any]) -> dict[str, Any]:
        """Polls until a terminal status, printing each log line once, in order."""
        build_id = str(build["id"])
        from .log_tail import LogTailer  # a cache hit never follows a build

        tailer = LogTailer()
        deadline = time.monotonic() + self.settings.build_timeout
        failures = ConsecutiveFailures(MAX_POLL_FAILURES)
        status = str(build.get("status", ""))
        self.out.line(f"following build {build_id} (status: {status})")
        while True:
            if status not in TERMINAL:
                try:
                    build = self.api.get_build(build_id)
                    failures.success()
                except ActionError as exc:
                    if isinstance(exc, InputError):
                        raise
                    stop = failures.failure()
                    self.out.line(
                        f"status poll failed ({failures.count}/{MAX_POLL_FAILURES}): {exc}"
                    )
                    if stop:
                        raise ActionError(
                            f"lost contact with Pipecat Cloud while following build {build_id}: "
                            f"{exc}. The build may still be running on Pipecat Cloud."
                        ) from None
            # Logs first, so a status line never lands amid the lines it concludes.
            self._print_logs(build_id, tailer)
            new_status = str(build.get("status", ""))
            if new_status != status:
                self.out.line(f"build {build_id}: {new_status}")
                status = new_status
            if status in TERMINAL:
                for marker in tailer.closing_markers():
                    self.out.line(marker)
                return build
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BuildTimedOut(
                    f"build {build_id} did not finish within build-timeout "
                    f"({human_seconds(self.settings.build_timeout)}); it may still be running on "
                    "Pipecat Cloud. Raise build-timeout, or look it up by its build id."
                )
            self._wait(min(self.settings.poll_interval, remaining))

    # -- the whole target -------------------------------------------------------------------

    def run(self, target: Target, outcome: Outcome) -> Outcome:
        out = self.out
        dockerfile = target.dockerfile
        context = None
        try:
            with out.group("Pack the build context"):
                context = self.pack(target, outcome)
            outcome.region = region = self.regions.region_for(target)
            context_hash = context.archive.context_hash
            with out.group("Look for a build to reuse"):
                hit = (
                    None
                    if self.settings.force
                    else self.find_reusable(context_hash, region, dockerfile)
                )
                if hit is not None:
                    out.line(
                        f"build {hit.get('id')} already built this context: "
                        f"reusing {hit.get('imageUri')}"
                    )
                    return self._finish(outcome, hit, cached=True)
                if self.settings.force:
                    out.line("force is set: not looking for an earlier build")
                else:
                    out.line(f"no successful build of context {context_hash} in {region} yet")
            if self.settings.plan_only:
                outcome.status, outcome.needs_build = "planned", True
                return outcome
            with out.group("Upload the build context"):
                ticket = self.upload(context, region)
            with out.group("Start the build"):
                answer = None
                if not self.settings.force:
                    found = self.find_running_or_done(
                        context_hash, region, dockerfile
                    ) or self._spread_then_look(context_hash, region, dockerfile)
                    if found is not None:
                        out.line(
                            f"build {found.get('id')} of this context is already "
                            f"{found.get('status')}: following it"
                        )
                        answer = CreateAnswer(found, context_hash, found.get("status") == "success")
                if answer is None:
                    answer = self.create(ticket, context_hash, region, dockerfile)
                build = answer.build
                outcome.build = build
                out.set_output("build-id", str(build["id"]))
                out.line(f"build id: {build['id']}")
                STARTED_BUILDS.append(str(build["id"]))
                scratch.discard(context.path)  # the service has it now; free the disk
                if answer.cached:
                    out.line("Pipecat Cloud answered with its cached build of this context")
                    return self._finish(outcome, build, cached=True)
            with out.group(f"Build {build['id']}"):
                build = self.follow(build)
            return self._finish(outcome, build, cached=False)
        except BuildTimedOut as exc:
            outcome.status, outcome.error = "timed-out-waiting", str(exc)
            return outcome
        except ActionError as exc:
            outcome.status, outcome.error = "error", str(exc)
            if isinstance(exc, InputError) and not self.settings.multi_service:
                raise
            return outcome
        finally:
            if context is not None:
                scratch.discard(context.path)

    def _finish(self, outcome: Outcome, build: dict[str, Any], *, cached: bool) -> Outcome:
        outcome.build = build
        outcome.cached = cached
        outcome.status = str(build.get("status", "unknown"))
        if outcome.status != "success":
            outcome.error = str(
                build.get("errorMessage") or f"the build ended with status {outcome.status}"
            )
        return outcome
