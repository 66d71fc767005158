"""The one front door: `run_job(inputs, workspace, reporter, ...)` cleans the inputs, runs every
target, and is the only place that writes outputs, the summary and the exit code. The GitHub
entry and the CLI differ only in where inputs come from and how results are shown.

`action(settings, api_session, storage_session, out, run)` is the job with its collaborators
passed in, so tests hand in their own.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from .api.builds import BuildsApi
from .api.connection import ApiConnection
from .api.transport import HttpClient
from .errors import ActionError, InputError
from .flow.reuse import RegionResolver
from .flow.target import TargetFlow
from .flow.tools import Tools
from .inputs import ACTION, Vocabulary
from .outcome import Outcome
from .redact import printable
from .report.reporter import PrefixedReporter, Reporter, SpokenReporter
from .retry_policy import budget_policy
from .run import Run
from .settings import Settings, Target

Sessions = Callable[[], contextlib.AbstractContextManager[tuple[HttpClient, HttpClient]]]


@contextlib.contextmanager
def default_sessions() -> Iterator[tuple[HttpClient, HttpClient]]:
    """One client for the API (whose requests carry the key), one for storage (whose requests
    never do). Both verify TLS, honour the proxy variables and never read `.netrc`."""
    with HttpClient() as api, HttpClient() as storage:
        yield api, storage


class Outputs:
    """Writes each output once (a value set early, like build-id, is not written again)."""

    def __init__(self, out: Reporter) -> None:
        self._out = out
        self._written: dict[str, str] = {}
        self._lock = threading.Lock()

    def set(self, name: str, value: str) -> None:
        with self._lock:
            if self._written.get(name) == value:
                return
            self._written[name] = value
        self._out.set_output(name, value)

    def set_all(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            self.set(name, value)


def run_job(
    inputs: Mapping[str, str],
    workspace: Path,
    out: Reporter,
    *,
    run: Run,
    vocabulary: Vocabulary = ACTION,
    sessions: Sessions = default_sessions,
    debug_traceback: bool = False,
) -> int:
    """Inputs to exit code: 0 when every target succeeded, 1 otherwise (one error line)."""
    try:
        # Before anything else is printed: the runner masks only what comes after this line.
        out.mask(inputs.get("api-key", "").strip())
        from .settings import build_settings

        settings = build_settings(inputs, workspace)
        for warning in settings.warnings:
            out.warning(vocabulary.speak(warning))
        for target in settings.targets:
            out.debug(resolved_settings(settings, target))
        with sessions() as (api_session, storage_session):
            return action(settings, api_session, storage_session, out, run, vocabulary)
    except InputError as exc:
        out.error(vocabulary.speak(exc.render(vocabulary.name)))
        return exc.exit_code
    except ActionError as exc:
        out.error(vocabulary.speak(str(exc)))
        return exc.exit_code
    except Exception as exc:  # a bug: still one line, no traceback unless debugging
        if debug_traceback:
            import traceback

            out.debug(traceback.format_exc())
        out.error(f"unexpected error ({type(exc).__name__}): {exc}")
        return 1


def resolved_settings(settings: Settings, target: Target) -> str:
    """What `-v` (RUNNER_DEBUG on GitHub) shows for each target: every resolved setting and
    where it came from. Secrets appear by key name only, never by value."""
    sources = target.sources
    label = f"[{target.label(settings.workspace)}] " if settings.multi_service else ""
    folder = target.context_dir.relative_to(settings.workspace).as_posix() or "."
    region = target.region or "(the organization's default, asked at run time)"
    parts = [
        f"context {folder} (from {sources.get('context', 'context')})",
        f"Dockerfile {target.dockerfile} (from {sources.get('dockerfile', 'dockerfile')})",
        f"region {region} (from {sources.get('region', 'region')})",
        f"project file {target.project_file or 'none'}",
        f"extra exclude patterns {list(target.extra_patterns) or 'none'}",
        f"compression {settings.compression}",
        f"files {settings.files}",
        f"ignore-rules {settings.ignore_rules}",
        f"include-git {str(settings.include_git).lower()}",
        f"secret-files {settings.secret_files}",
    ]
    deploy = target.deploy
    if deploy is None:
        parts.append("deploy: no")
    else:
        keys = ", ".join(key for key, _ in deploy.secrets) or "none"
        parts.append(
            f"deploy to agent {deploy.agent} (from {deploy.origin}), secret set "
            f"{deploy.secret_set or 'none'}, secrets written: {keys}"
        )
    return printable(f"{label}resolved: " + "; ".join(parts))


def action(
    settings: Settings,
    api_session: HttpClient,
    storage_session: HttpClient,
    out: Reporter,
    run: Run | None = None,
    vocabulary: Vocabulary = ACTION,
) -> int:
    """Runs every target and returns the exit code (0 when all succeeded)."""
    for target in settings.targets:  # secret-set values: masked before any step can print
        for _, value in target.deploy.secrets if target.deploy else ():
            out.mask(value)
    run = run or Run()
    if vocabulary.cli:
        out = SpokenReporter(out, vocabulary.speak)
    outputs = Outputs(out)
    single = not settings.multi_service
    if single and not settings.plan_only:
        run.on_build_started = lambda build_id: outputs.set("build-id", build_id)

        def deployment_started(agent: str, deployment_id: str) -> None:
            outputs.set("agent-name", agent)
            outputs.set("deployment-id", deployment_id)

        run.on_deployment_started = deployment_started
    connection = ApiConnection(
        api_session,
        settings.api_url,
        settings.api_key,
        policy=budget_policy(settings.retry_budget),
        sleep=run.wait,
        on_retry=out.line,
    )
    builds = BuildsApi(connection)
    tools = Tools(settings, builds, storage_session, out, run, random.Random())
    regions = RegionResolver(builds)
    if single and not settings.plan_only:
        outcome = TargetFlow(tools, regions).run(settings.targets[0])
        return _finish_single(outcome, outputs, out, vocabulary)
    return _many(settings, tools, regions, outputs, vocabulary)


def _failure_message(outcome: Outcome) -> str:
    label = f"{outcome.target.name}: " if outcome.target.name else ""
    where = f" (build {outcome.build_id})" if outcome.build_id else ""
    error = outcome.error or (outcome.deploy.error if outcome.deploy else "") or "failed"
    first, newline, rest = error.partition("\n")  # a traceback stays after the first line
    message = f"{label}{first}{where}{newline}{rest}"
    if outcome.last_log_lines and not outcome.built:
        message += "\nLast log lines:\n" + "\n".join(outcome.last_log_lines)
    return message


def _finish_single(
    outcome: Outcome, outputs: Outputs, out: Reporter, vocabulary: Vocabulary
) -> int:
    from .report.summary import single_summary

    outputs.set_all(outcome.outputs())
    out.add_summary(single_summary(outcome))
    if outcome.ok:
        verb = "reused" if outcome.cached else "built"
        line = f"✅ {verb} {outcome.image_uri} (context {outcome.context_hash})"
        if outcome.deploy is not None:
            line += f"; agent {outcome.deploy.agent}: {outcome.deploy.status}"
        out.line(line)
        return 0
    title = "Pipecat Cloud deploy" if outcome.built else "Pipecat Cloud build"
    out.error(vocabulary.speak(_failure_message(outcome)), title=title)
    return 1


def _run_one(tools: Tools, regions: RegionResolver, target: Target) -> Outcome:
    """One service of many: its lines carry its name; a bug in one does not stop the others."""
    settings = tools.settings
    if settings.multi_service:
        tools = tools.with_reporter(PrefixedReporter(tools.out, target.label(settings.workspace)))
    try:
        return TargetFlow(tools, regions).run(target)
    except ActionError:
        raise
    except Exception as exc:
        outcome = Outcome(target)
        outcome.error = f"unexpected error ({type(exc).__name__}): {exc}"
        return outcome


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
        reused = sum(1 for o in outcomes if o.ok and not o.needs_build)
        line = f"plan: {needed} of {len(outcomes)} need a build, {reused} already built"
    else:
        built = sum(1 for o in outcomes if o.ok and not o.cached)
        reused = sum(1 for o in outcomes if o.ok and o.cached)
        line = f"{len(outcomes)} services: {built} built, {reused} reused"
        deployed = sum(1 for o in outcomes if o.deploy is not None and o.ok)
        if deployed:
            line += f", {deployed} deployed"
    if failed:
        return f"❌ {line}, {failed} failed"
    return f"✅ {line}"


def _many(
    settings: Settings,
    tools: Tools,
    regions: RegionResolver,
    outputs: Outputs,
    vocabulary: Vocabulary,
) -> int:
    """Several services at once, bounded by max-parallel; a failure waits for the others.
    Also plan-only runs, of one target or many."""
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    from .report.summary import plan_summary, services_summary

    out = tools.out
    results: dict[str, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=settings.max_parallel, thread_name_prefix="service")
    try:
        futures: dict[Future[Outcome], Target] = {
            pool.submit(_run_one, tools, regions, t): t for t in settings.targets
        }
        pending = set(futures)
        while pending:
            # A short timeout keeps the main thread responsive to SIGTERM.
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future].name] = future.result()
    finally:
        pool.shutdown(wait=not tools.run.cancel.is_set(), cancel_futures=True)
    outcomes = [results[t.name] for t in settings.targets]
    workspace = settings.workspace

    if not settings.multi_service:  # plan-only for one context: its own outputs too
        outputs.set_all(outcomes[0].outputs())
    if settings.plan_only:
        outputs.set("matrix", _plan_matrix(outcomes, workspace))
        out.add_summary(plan_summary(outcomes))
    else:
        out.add_summary(services_summary(outcomes))
    if settings.multi_service:
        images = {o.target.label(workspace): o.image_uri for o in outcomes if o.image_uri}
        outputs.set("images", json.dumps(images, separators=(",", ":"), sort_keys=True))
        agents = {
            o.target.label(workspace): o.deploy.status for o in outcomes if o.deploy is not None
        }
        if agents:
            outputs.set("deployments", json.dumps(agents, separators=(",", ":"), sort_keys=True))

    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        title = "Pipecat Cloud deploy" if outcome.built else "Pipecat Cloud build"
        out.error(vocabulary.speak(_failure_message(outcome)), title=title)
    out.line(_closing_line(outcomes, settings.plan_only))
    return 1 if failed else 0
