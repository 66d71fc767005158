"""The end of a run: the outcomes become outputs, the job summary, one error line per failure
and a closing line; the exit code follows. Which of these a run writes follows its mode."""

from __future__ import annotations

import json
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
    label = f"{outcome.target.name}: " if outcome.target.name else ""
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


def closing_line(outcomes: list[Outcome], mode: RunMode) -> str:
    failed = sum(1 for o in outcomes if not o.ok)
    if mode.plans:
        needed = sum(1 for o in outcomes if o.needs_build and not o.error)
        reused = sum(1 for o in outcomes if o.ok and not o.needs_build)
        line = f"plan: {needed} of {len(outcomes)} need a build, {reused} already built"
        deploying = sum(1 for o in outcomes if o.target.deploy is not None and not o.error)
        if deploying:
            line += f", {deploying} to deploy"
    elif mode is RunMode.DELETE_AGENT:
        (outcome,) = outcomes
        assert outcome.deletion is not None  # a failed one is its error line
        line = f"agent {outcome.deletion.agent}: {outcome.deletion.status.value}"
    elif mode in (RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE):
        (outcome,) = outcomes
        assert outcome.deploy is not None  # a failed one is its error line
        what = f"build {outcome.build_id}" if outcome.build_id else f"image {outcome.image}"
        line = f"deployed {what}; agent {outcome.deploy.agent}: {outcome.deploy.status.value}"
    elif mode is RunMode.BUILD:
        (outcome,) = outcomes
        verb = "reused" if outcome.cached else "built"
        line = f"{verb} {outcome.image_uri} (context {outcome.context_hash})"
        if outcome.deploy is not None:
            line += f"; agent {outcome.deploy.agent}: {outcome.deploy.status.value}"
    else:
        built = sum(1 for o in outcomes if o.ok and not o.cached)
        reused = sum(1 for o in outcomes if o.ok and o.cached)
        line = f"{len(outcomes)} services: {built} built, {reused} reused"
        deployed = sum(1 for o in outcomes if o.deploy is not None and o.ok)
        if deployed:
            line += f", {deployed} deployed"
    return f"❌ {line}, {failed} failed" if failed else f"✅ {line}"


_TITLES = {
    RunMode.DEPLOY_BUILD: "Pipecat Cloud deploy",
    RunMode.DEPLOY_IMAGE: "Pipecat Cloud deploy",
    RunMode.DELETE_AGENT: "Pipecat Cloud agent deletion",
}


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def report_results(
    mode: RunMode,
    outcomes: list[Outcome],
    workspace: Path,
    outputs: OutputWriter,
    out: Reporter,
    vocabulary: Vocabulary,
) -> int:
    """Writes what the mode's outputs, summary and errors are; returns the exit code."""
    if mode in (RunMode.BUILD, RunMode.PLAN):
        outputs.set_all(outcomes[0].outputs())
    if mode in (RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE, RunMode.DELETE_AGENT):
        # A build's outputs where this mode has them (the outputs table says which).
        values = outcomes[0].outputs()
        outputs.set_all({k: v for k, v in values.items() if mode in OUTPUT_BY_NAME[k].modes})
    if mode.many:
        images = {o.target.label(workspace): o.image_uri for o in outcomes if o.image_uri}
        outputs.set("images", _compact(images))
    if mode is RunMode.SERVICES:
        agents = {
            o.target.label(workspace): o.deploy.status.value
            for o in outcomes
            if o.deploy is not None
        }
        if agents:
            outputs.set("deployments", _compact(agents))
    if mode.plans:
        outputs.set("matrix", plan_matrix(outcomes, workspace))
        out.add_summary(plan_summary(outcomes))
    elif mode is RunMode.BUILD:
        out.add_summary(single_summary(outcomes[0]))
    elif mode in (RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE):
        out.add_summary(given_summary(outcomes[0]))
    elif mode is RunMode.DELETE_AGENT:
        out.add_summary(deletion_summary(outcomes[0]))
    else:
        out.add_summary(services_summary(outcomes))
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        title = "Pipecat Cloud deploy" if outcome.built else "Pipecat Cloud build"
        if mode in _TITLES:
            title = _TITLES[mode]
        out.error(vocabulary.speak(failure_message(outcome)), title=title)
    if not (failed and (mode.deploys_one or mode is RunMode.DELETE_AGENT)):
        # one target's failure is its error line
        out.line(closing_line(outcomes, mode))
    return 1 if failed else 0
