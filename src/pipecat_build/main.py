"""The action's job, given its settings and its HTTP sessions (tests pass their own)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from .api_client import PipecatApi
from .build_flow import BuildFlow, Outcome, RegionResolver
from .errors import ActionError
from .http_transport import HttpClient
from .reporter import PrefixedReporter, Reporter
from .settings import Settings, Target
from .summary import plan_summary, services_summary, single_summary


def action(
    settings: Settings,
    api_session: HttpClient,
    storage_session: HttpClient,
    out: Reporter,
    cancel: threading.Event | None = None,
) -> int:
    """Runs every target and returns the exit code (0 when all succeeded)."""
    api = PipecatApi(api_session, settings.api_url, settings.api_key, on_retry=out.line)
    job = _Job(
        settings, api, storage_session, out, cancel or threading.Event(), RegionResolver(api)
    )
    if not settings.multi_service and not settings.plan_only:
        return _single(job)
    return _many(job)


@dataclass(frozen=True)
class _Job:
    """What every target of one run shares."""

    settings: Settings
    api: PipecatApi
    storage: HttpClient
    out: Reporter
    cancel: threading.Event
    regions: RegionResolver

    def flow(self, reporter: Reporter) -> BuildFlow:
        return BuildFlow(self.settings, self.api, self.storage, reporter, self.cancel, self.regions)


def _failure_message(outcome: Outcome, last_lines: list[str]) -> str:
    label = f"{outcome.target.name}: " if outcome.target.name else ""
    build_id = outcome.build.get("id")
    where = f" (build {build_id})" if build_id else ""
    message = f"{label}{outcome.error}{where}"
    if last_lines:
        message += "\nLast log lines:\n" + "\n".join(last_lines)
    return message


def _single(job: _Job) -> int:
    out = job.out
    target = job.settings.targets[0]
    flow = job.flow(out)
    outcome = flow.run(target, Outcome(target))
    for name, value in outcome.outputs().items():
        out.set_output(name, value)
    out.add_summary(single_summary(outcome))
    if outcome.ok:
        verb = "reused" if outcome.cached else "built"
        out.line(f"✅ {verb} {outcome.image_uri} (context {outcome.context_hash})")
        return 0
    out.error(_failure_message(outcome, list(flow.last_log_lines)), title="Pipecat Cloud build")
    return 1


def _run_one(job: _Job, target: Target) -> tuple[Outcome, list[str]]:
    """One service of many: its lines carry its name; a bug in one does not stop the others."""
    reporter: Reporter = job.out
    if job.settings.multi_service:
        reporter = PrefixedReporter(job.out, target.label(job.settings.workspace))
    flow = job.flow(reporter)
    outcome = Outcome(target)
    try:
        outcome = flow.run(target, outcome)
    except ActionError:
        raise
    except Exception as exc:
        outcome.status = "error"
        outcome.error = f"unexpected error ({type(exc).__name__}): {exc}"
    return outcome, list(flow.last_log_lines)


def _plan_matrix(outcomes: list[Outcome], workspace: Path) -> str:
    """`strategy.matrix` for the services that need a build. `context` is the folder the input
    named (before `pcc-deploy.toml` moved it), so a later run given it packs the same bytes."""
    include = [
        {
            "service": o.target.label(workspace),
            "context": o.target.input_folder(workspace),
            "dockerfile": o.target.dockerfile,
            "region": o.region,
            "context-hash": o.context_hash,
        }
        for o in outcomes
        if o.needs_build and not o.error
    ]
    return json.dumps({"include": include}, separators=(",", ":"))


def _closing_line(outcomes: list[Outcome], plan_only: bool) -> str:
    failed = sum(1 for o in outcomes if not o.ok)
    if plan_only:
        needed = sum(1 for o in outcomes if o.needs_build and not o.error)
        line = f"plan: {needed} of {len(outcomes)} need a build"
        reused = sum(1 for o in outcomes if o.ok and not o.needs_build)
        line += f", {reused} already built"
    else:
        built = sum(1 for o in outcomes if o.ok and not o.cached)
        reused = sum(1 for o in outcomes if o.ok and o.cached)
        line = f"{len(outcomes)} services: {built} built, {reused} reused"
    if failed:
        return f"❌ {line}, {failed} failed"
    return f"✅ {line}"


def _many(job: _Job) -> int:
    """Several services at once, bounded by max-parallel; a failure waits for the others.
    Also plan-only runs, of one target or many."""
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    settings, out = job.settings, job.out
    results: dict[str, tuple[Outcome, list[str]]] = {}
    pool = ThreadPoolExecutor(max_workers=settings.max_parallel, thread_name_prefix="service")
    try:
        futures: dict[Future[tuple[Outcome, list[str]]], Target] = {
            pool.submit(_run_one, job, t): t for t in settings.targets
        }
        pending = set(futures)
        while pending:
            # A short timeout keeps the main thread responsive to SIGTERM.
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future].name] = future.result()
    finally:
        pool.shutdown(wait=not job.cancel.is_set(), cancel_futures=True)
    outcomes = [results[t.name][0] for t in settings.targets]
    workspace = settings.workspace

    if not settings.multi_service:  # plan-only for one context: its own outputs too
        for name, value in outcomes[0].outputs().items():
            out.set_output(name, value)
    if settings.plan_only:
        out.set_output("matrix", _plan_matrix(outcomes, workspace))
        out.add_summary(plan_summary(outcomes))
    else:
        out.add_summary(services_summary(outcomes))
    if settings.multi_service:
        images = {o.target.label(workspace): o.image_uri for o in outcomes if o.image_uri}
        out.set_output("images", json.dumps(images, separators=(",", ":"), sort_keys=True))

    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        out.error(
            _failure_message(outcome, results[outcome.target.name][1]), title="Pipecat Cloud build"
        )
    out.line(_closing_line(outcomes, settings.plan_only))
    return 1 if failed else 0
