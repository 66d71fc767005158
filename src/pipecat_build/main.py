"""The action's job, given its settings and its HTTP sessions (tests pass their own)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import requests

from .api_client import PipecatApi
from .build_flow import BuildFlow, Outcome, RegionResolver
from .reporter import PrefixedReporter, Reporter
from .settings import Settings, Target
from .summary import plan_summary, services_summary, single_summary


def action(
    settings: Settings,
    api_session: requests.Session,
    storage_session: requests.Session,
    out: Reporter,
    cancel: threading.Event | None = None,
) -> int:
    """Runs every target and returns the exit code (0 when all succeeded)."""
    cancel = cancel or threading.Event()
    api = PipecatApi(api_session, settings.api_url, settings.api_key, on_retry=out.line)
    regions = RegionResolver(api)
    if not settings.multi_service and not settings.plan_only:
        return _single(settings, api, storage_session, out, cancel, regions)
    return _many(settings, api, storage_session, out, cancel, regions)


def _failure_message(outcome: Outcome, last_lines: list[str]) -> str:
    label = f"{outcome.target.name}: " if outcome.target.name else ""
    build_id = outcome.build.get("id")
    where = f" (build {build_id})" if build_id else ""
    message = f"{label}{outcome.error}{where}"
    if last_lines:
        message += "\nLast log lines:\n" + "\n".join(last_lines)
    return message


def _single(
    settings: Settings,
    api: PipecatApi,
    storage: requests.Session,
    out: Reporter,
    cancel: threading.Event,
    regions: RegionResolver,
) -> int:
    target = settings.targets[0]
    flow = BuildFlow(settings, api, storage, out, cancel, regions)
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


def _run_one(
    settings: Settings,
    api: PipecatApi,
    storage: requests.Session,
    out: Reporter,
    cancel: threading.Event,
    regions: RegionResolver,
    target: Target,
) -> tuple[Outcome, list[str]]:
    flow = BuildFlow(
        settings,
        api,
        storage,
        PrefixedReporter(out, target.label(settings.workspace)),
        cancel,
        regions,
    )
    outcome = flow.run(target, Outcome(target))
    return outcome, list(flow.last_log_lines)


def _many(
    settings: Settings,
    api: PipecatApi,
    storage: requests.Session,
    out: Reporter,
    cancel: threading.Event,
    regions: RegionResolver,
) -> int:
    """Several services at once, bounded by max-parallel; a failure waits for the others."""
    results: dict[str, tuple[Outcome, list[str]]] = {}
    pool = ThreadPoolExecutor(max_workers=settings.max_parallel, thread_name_prefix="service")
    try:
        futures: dict[Future[tuple[Outcome, list[str]]], Target] = {
            pool.submit(_run_one, settings, api, storage, out, cancel, regions, t): t
            for t in settings.targets
        }
        pending = set(futures)
        while pending:
            # A short timeout keeps the main thread responsive to SIGTERM.
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future].name] = future.result()
    finally:
        pool.shutdown(wait=not cancel.is_set(), cancel_futures=True)
    outcomes = [results[t.name][0] for t in settings.targets]
    workspace = settings.workspace

    if settings.plan_only:
        include = [
            {
                "service": o.target.label(workspace),
                "context": o.target.context_dir.relative_to(workspace).as_posix() or ".",
                "dockerfile": o.target.dockerfile,
                "region": o.region,
                "context-hash": o.context_hash,
            }
            for o in outcomes
            if o.needs_build
        ]
        out.set_output("matrix", json.dumps({"include": include}, separators=(",", ":")))
        out.line(f"plan: {len(include)} of {len(outcomes)} services need a build")
        out.add_summary(plan_summary(outcomes))
    else:
        out.add_summary(services_summary(outcomes))
    images = {o.target.label(workspace): o.image_uri for o in outcomes if o.image_uri}
    out.set_output("images", json.dumps(images, separators=(",", ":"), sort_keys=True))

    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        out.error(
            _failure_message(outcome, results[outcome.target.name][1]), title="Pipecat Cloud build"
        )
    if not settings.plan_only:
        built = len(outcomes) - len(failed)
        out.line(
            f"{built} of {len(outcomes)} services built"
            + (f", {len(failed)} failed" if failed else "")
        )
    return 1 if failed else 0
