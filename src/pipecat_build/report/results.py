"""The end of a run: the outcomes become outputs, the job summary, one error line per failure
and a closing line; the exit code follows. Which of these a run writes follows its mode."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..inputs import Vocabulary
from ..mode import RunMode
from ..outcome import Outcome
from ..outputs import OUTPUT_BY_NAME
from .outputs import OutputWriter
from .reporter import Reporter
from .summary import (
    deletion_summary,
    given_summary,
    plan_summary,
    services_summary,
    single_summary,
)


def failure_message(outcome: Outcome) -> str:
    """The first line says what failed (and which build); a traceback or the last log lines
    follow it."""
    label = f"{outcome.target.name}: " if outcome.target.from_services else ""
    where = f" (build {outcome.build_id})" if outcome.build_id else ""
    error = outcome.error or (outcome.deploy.error if outcome.deploy else "") or "failed"
    first, newline, rest = error.partition("\n")  # a traceback stays after the first line
    message = f"{label}{first}{where}{newline}{rest}"
    if outcome.last_log_lines and not outcome.built:
        message += "\nLast log lines:\n" + "\n".join(outcome.last_log_lines)
    return message


def _deploy_leg(outcome: Outcome) -> dict[str, str]:
    """What a leg needs to deploy the same thing, by the names of the inputs that take it (a
    leg's `with:` maps them one to one); settings left unset are left out. Never `secrets`:
    a leg passes its own from the repository's secrets."""
    spec = outcome.target.deploy
    if spec is None:
        return {}
    values = {
        "agent-name": spec.agent,
        "deploy": "true",
        "secret-set": spec.secret_set,
        "min-agents": spec.min_agents,
        "max-agents": spec.max_agents,
        "agent-profile": spec.agent_profile,
        "max-session-duration": spec.max_session_duration,
        "krisp-viva-audio-filter": spec.audio_filter,
        "force-redeploy": "true" if spec.force_redeploy else None,
        "wait-for-ready": None if spec.wait_for_ready else "false",
    }
    return {name: str(value) for name, value in values.items() if value is not None}


def plan_matrix(outcomes: list[Outcome], workspace: Path) -> str:
    """`strategy.matrix` for the services that need a build or have an agent to deploy (issue
    19 §4); `needs-build` says which. `context` is the folder the input named (before
    `pcc-deploy.toml` moved it), so a later run given it packs the same bytes; a leg that
    deploys carries its agent and deploy settings, so it deploys what the plan saw."""
    include = [
        {
            "service": o.target.label(workspace),
            "context": o.target.input_folder(workspace),
            "dockerfile": o.target.dockerfile,
            "region": o.region,
            "context-hash": o.context_hash,
            "needs-build": "true" if o.needs_build else "false",
            **_deploy_leg(o),
        }
        for o in outcomes
        if (o.needs_build or o.target.deploy is not None) and not o.error
    ]
    return json.dumps({"include": include}, separators=(",", ":"))


def _plan_line(outcomes: list[Outcome]) -> str:
    needed = sum(1 for o in outcomes if o.needs_build and not o.error)
    reused = sum(1 for o in outcomes if o.ok and not o.needs_build)
    line = f"plan: {needed} of {len(outcomes)} need a build, {reused} already built"
    deploying = sum(1 for o in outcomes if o.target.deploy is not None and not o.error)
    return line + (f", {deploying} to deploy" if deploying else "")


def _build_line(outcomes: list[Outcome]) -> str:
    (outcome,) = outcomes
    verb = "reused" if outcome.cached else "built"
    line = f"{verb} {outcome.image_uri} (context {outcome.context_hash})"
    if outcome.deploy is not None:
        line += f"; agent {outcome.deploy.agent}: {outcome.deploy.status.value}"
    return line


def _services_line(outcomes: list[Outcome]) -> str:
    built = sum(1 for o in outcomes if o.ok and not o.cached)
    reused = sum(1 for o in outcomes if o.ok and o.cached)
    line = f"{len(outcomes)} services: {built} built, {reused} reused"
    deployed = sum(1 for o in outcomes if o.deploy is not None and o.ok)
    return line + (f", {deployed} deployed" if deployed else "")


def _deploy_line(outcomes: list[Outcome]) -> str:
    (outcome,) = outcomes
    assert outcome.deploy is not None  # a failed one is its error line
    what = f"build {outcome.build_id}" if outcome.build_id else f"image {outcome.image}"
    return f"deployed {what}; agent {outcome.deploy.agent}: {outcome.deploy.status.value}"


def _delete_line(outcomes: list[Outcome]) -> str:
    (outcome,) = outcomes
    assert outcome.deletion is not None  # a failed one is its error line
    return f"agent {outcome.deletion.agent}: {outcome.deletion.status.value}"


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _images(outcomes: list[Outcome], workspace: Path) -> dict[str, str]:
    images = {o.target.label(workspace): o.image_uri for o in outcomes if o.image_uri}
    return {"images": _compact(images)}


def _images_and_deployments(outcomes: list[Outcome], workspace: Path) -> dict[str, str]:
    agents = {o.target.label(workspace): o.deploy.status.value for o in outcomes if o.deploy}
    return {**_images(outcomes, workspace), **({"deployments": _compact(agents)} if agents else {})}


def _matrix(outcomes: list[Outcome], workspace: Path) -> dict[str, str]:
    return {"matrix": plan_matrix(outcomes, workspace)}


def _images_and_matrix(outcomes: list[Outcome], workspace: Path) -> dict[str, str]:
    return {**_images(outcomes, workspace), **_matrix(outcomes, workspace)}


def _none(outcomes: list[Outcome], workspace: Path) -> dict[str, str]:
    return {}


def _build_or_deploy(outcome: Outcome) -> str:
    return "Pipecat Cloud deploy" if outcome.built else "Pipecat Cloud build"


@dataclass(frozen=True)
class ModeReport:
    """How one mode ends. `single`: one target, whose own outputs are written (those the
    outputs table gives the mode) and whose failure is its error line (no closing line)."""

    single: bool
    summary: Callable[[list[Outcome]], str]
    closing: Callable[[list[Outcome]], str]
    collective: Callable[[list[Outcome], Path], dict[str, str]] = _none  # over all targets
    title: Callable[[Outcome], str] = _build_or_deploy  # of a failure's annotation


def _one(summary: Callable[[Outcome], str]) -> Callable[[list[Outcome]], str]:
    return lambda outcomes: summary(outcomes[0])


REPORTS: Mapping[RunMode, ModeReport] = {
    RunMode.BUILD: ModeReport(True, _one(single_summary), _build_line),
    RunMode.PLAN: ModeReport(True, plan_summary, _plan_line, _matrix),
    RunMode.SERVICES: ModeReport(
        False, services_summary, _services_line, _images_and_deployments
    ),
    RunMode.PLAN_SERVICES: ModeReport(False, plan_summary, _plan_line, _images_and_matrix),
    RunMode.DEPLOY_BUILD: ModeReport(
        True, _one(given_summary), _deploy_line, title=lambda _: "Pipecat Cloud deploy"
    ),
    RunMode.DEPLOY_IMAGE: ModeReport(
        True, _one(given_summary), _deploy_line, title=lambda _: "Pipecat Cloud deploy"
    ),
    RunMode.DELETE_AGENT: ModeReport(
        True, _one(deletion_summary), _delete_line, title=lambda _: "Pipecat Cloud agent deletion"
    ),
}


def closing_line(outcomes: list[Outcome], mode: RunMode) -> str:
    """The run's last line: what it did, and how many targets failed."""
    failed = sum(1 for o in outcomes if not o.ok)
    line = REPORTS[mode].closing(outcomes)
    return f"❌ {line}, {failed} failed" if failed else f"✅ {line}"


def report_results(
    mode: RunMode,
    outcomes: list[Outcome],
    workspace: Path,
    outputs: OutputWriter,
    out: Reporter,
    vocabulary: Vocabulary,
) -> int:
    """Writes the mode's outputs, summary, error lines and closing line (`REPORTS`, the one
    place that says how each mode ends); returns the exit code."""
    report = REPORTS[mode]
    if report.single:
        values = outcomes[0].outputs()
        outputs.set_all({k: v for k, v in values.items() if mode in OUTPUT_BY_NAME[k].modes})
    outputs.set_all(report.collective(outcomes, workspace))
    out.add_summary(report.summary(outcomes))
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        out.error(vocabulary.speak(failure_message(outcome)), title=report.title(outcome))
    if not (failed and report.single):
        out.line(closing_line(outcomes, mode))
    return 1 if failed else 0
