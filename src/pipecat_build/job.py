"""The one front door: `run_job(inputs, workspace, reporter, ...)` reads the settings once,
runs what their mode says (`RUNNERS`, the one dispatch on it), and hands the outcomes to
`report/` for outputs, summary and exit code. The GitHub entry and the CLI differ only in
where inputs come from and how results are shown.

`action(settings, api_session, storage_session, out, run)` is the job with its collaborators
passed in, so tests hand in their own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from .api.connection import ApiConnection
from .api.transport import HttpClient
from .config import RunMode, Settings, build_settings
from .errors import ActionError, InputError
from .flow.delete_agent import delete_agent
from .flow.deploy_existing import deploy_build, deploy_image
from .flow.many import run_all
from .flow.preflight import preflight
from .flow.reuse import RegionResolver
from .flow.target import TargetFlow
from .flow.tools import Tools
from .inputs import ACTION, Vocabulary
from .outcome import Outcome
from .report.outputs import OutputWriter
from .report.reporter import Reporter, SpokenReporter
from .report.resolved import resolved_settings
from .report.results import report_results
from .retry_policy import budget_policy
from .run import Run
from .runtime import Runtime

Sessions = Callable[[Runtime], contextlib.AbstractContextManager[tuple[HttpClient, HttpClient]]]
Runner = Callable[[Tools, RegionResolver], list[Outcome]]
# What the steps are handed, made from the run's connection: `Tools.over` makes the API
# clients; tests hand in a factory that makes their in-memory service instead.
ToolsFactory = Callable[[Settings, ApiConnection, HttpClient, Reporter, Run, Runtime], Tools]


@contextlib.contextmanager
def default_sessions(runtime: Runtime) -> Iterator[tuple[HttpClient, HttpClient]]:
    """One client for the API (whose requests carry the key), one for storage (whose requests
    never do). Both verify TLS, honour the proxy variables and never read `.netrc`."""
    bundle = runtime.ca_bundle
    with HttpClient(ca_bundle=bundle) as api, HttpClient(ca_bundle=bundle) as storage:
        yield api, storage


def _one(*, plan: bool) -> Runner:
    def run(tools: Tools, regions: RegionResolver) -> list[Outcome]:
        (target,) = tools.settings.targets
        return [TargetFlow(tools, regions, plan=plan).run(target)]

    return run


RUNNERS: Mapping[RunMode, Runner] = {
    RunMode.BUILD: _one(plan=False),
    RunMode.PLAN: _one(plan=True),
    RunMode.SERVICES: lambda tools, regions: run_all(tools, regions, plan=False),
    RunMode.PLAN_SERVICES: lambda tools, regions: run_all(tools, regions, plan=True),
    RunMode.DEPLOY_BUILD: deploy_build,
    RunMode.DEPLOY_IMAGE: deploy_image,
    RunMode.DELETE_AGENT: delete_agent,
}


def run_job(
    inputs: Mapping[str, str],
    workspace: Path,
    out: Reporter,
    *,
    run: Run,
    vocabulary: Vocabulary = ACTION,
    sessions: Sessions = default_sessions,
    runtime: Runtime | None = None,
    tools: ToolsFactory = Tools.over,
    debug_traceback: bool = False,
) -> int:
    """Inputs to exit code: 0 when every target succeeded, 1 otherwise (one error line)."""
    try:
        # Before anything else is printed: the runner masks only what comes after this line.
        out.mask(inputs.get("api-key", "").strip())
        settings = build_settings(inputs, workspace)
        for warning in settings.warnings:
            out.warning(vocabulary.speak(warning))
        for target in settings.targets:
            out.debug(resolved_settings(settings, target))
        runtime = runtime or Runtime()
        with sessions(runtime) as (api_session, storage_session):
            return action(
                settings, api_session, storage_session, out, run, vocabulary, runtime, tools
            )
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


def action(
    settings: Settings,
    api_session: HttpClient,
    storage_session: HttpClient,
    out: Reporter,
    run: Run | None = None,
    vocabulary: Vocabulary = ACTION,
    runtime: Runtime | None = None,
    make_tools: ToolsFactory = Tools.over,
) -> int:
    """Runs what the settings' mode says and returns the exit code (0 when all succeeded)."""
    for target in settings.targets:  # secret-set values: masked before any step can print
        for _, value in target.deploy.secrets if target.deploy else ():
            out.mask(value, in_outputs=False)  # an output that equals one stays true
    run = run or Run()
    runtime = runtime or Runtime()
    if vocabulary.cli:
        out = SpokenReporter(out, vocabulary.speak)
    outputs = OutputWriter(out, settings.mode)
    if settings.mode.deploys_one:  # ids as soon as they exist, for `if: always()` steps
        run.on_build_started = lambda build_id: outputs.set("build-id", build_id)

        def deployment_started(agent: str, deployment_id: str) -> None:
            outputs.set("agent-name", agent)
            outputs.set("deployment-id", deployment_id)

        run.on_deployment_started = deployment_started
    connection = ApiConnection(
        api_session,
        settings.api_url,
        settings.api_key,
        policy=budget_policy(settings.retry_budget, runtime.retry_base_delay),
        timeout=runtime.api_timeout,
        sleep=run.wait,
        on_retry=out.line,
    )
    tools = make_tools(settings, connection, storage_session, out, run, runtime)
    regions = RegionResolver(tools.builds)
    preflight(tools, regions)  # before any target is packed
    outcomes = RUNNERS[settings.mode](tools, regions)
    return report_results(
        settings.mode, outcomes, settings.workspace, outputs, out, vocabulary
    )
