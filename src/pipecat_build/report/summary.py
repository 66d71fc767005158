"""The job summary: one Markdown table a person reads after the run."""

from __future__ import annotations

import re

from ..outcome import DeployStatus, Outcome, RunStatus
from ..redact import printable
from ..units import human_bytes, human_seconds

_ICONS = {
    RunStatus.SUCCESS: "✅",
    RunStatus.FAILED: "❌",
    RunStatus.TIMEOUT: "⏱️",
    RunStatus.TIMED_OUT_WAITING: "⏱️",
    RunStatus.PLANNED: "📝",
    RunStatus.ERROR: "❌",
}


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if text else "-"


def _size(value: int | None) -> str:
    return "-" if value is None else human_bytes(value)


def _duration(value: float | None) -> str:
    return "-" if value is None else human_seconds(value)


def single_summary(outcome: Outcome) -> str:
    build = outcome.build
    icon = _ICONS[outcome.status]
    logs = build.logs_url if build else ""
    rows = [
        ("Status", f"{icon} {outcome.status.value}"),
        ("Image URI", _code(outcome.image_uri)),
        ("Build id", _code(outcome.build_id)),
        ("Context hash", _code(outcome.context_hash)),
        ("Cached", "yes" if outcome.cached else "no"),
        ("Region", outcome.region or "-"),
        (
            "Context size",
            _size((build.context_size_bytes if build else None) or outcome.archive_bytes or None),
        ),
        ("Image size", _size(build.image_size_bytes if build else None)),
        ("Build duration", _duration(build.duration_seconds if build else None)),
        ("Logs", f"[open]({logs})" if logs else "-"),
    ]
    lines = [
        "### Pipecat Cloud build"
        + (f": {_cell(outcome.target.name)}" if outcome.target.name else ""),
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if outcome.error:
        lines += ["", f"> **Error:** {_cell(outcome.error)}"]
    if outcome.deploy is not None:
        lines += ["", deploy_section(outcome)]
    if outcome.context_report:
        lines += ["", outcome.context_report]
    return "\n".join(lines) + "\n"


def _table(title: str, header: list[str], rows: list[list[str]], outcomes: list[Outcome]) -> str:
    """A titled Markdown table, then one bullet per target that ended with an error."""
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    errors = [(o, _error_line(o)) for o in outcomes]
    errors = [(o, e) for o, e in errors if e]
    if errors:
        lines.append("")
        lines += [f"- **{_cell(o.target.name or '.')}**: {_cell(e)}" for o, e in errors]
    return "\n".join(lines) + "\n"


def _error_line(outcome: Outcome) -> str:
    """The build's error, else the deploy's first line (its traceback stays in the log)."""
    if outcome.error or outcome.deploy is None:
        return outcome.error
    return outcome.deploy.error.split("\n", 1)[0]


def services_summary(outcomes: list[Outcome]) -> str:
    header = ["Service", "Status", "Image URI", "Context hash", "Region", "Cached", "Duration"]
    if any(o.deploy is not None for o in outcomes):
        header += ["Agent", "Deployment"]
    rows = [
        [
            _cell(o.target.name),
            f"{_ICONS[o.status]} {o.status.value}",
            _code(o.image_uri),
            _code(o.context_hash),
            _cell(o.region or "-"),
            "yes" if o.cached else "no",
            _duration(o.build.duration_seconds if o.build else None),
        ]
        + (_deploy_cells(o) if len(header) > 7 else [])
        for o in outcomes
    ]
    return _table("Pipecat Cloud builds", header, rows, outcomes)


_DEPLOY_ICONS = {
    DeployStatus.READY: "✅",
    DeployStatus.UNCHANGED: "✅",
    DeployStatus.NOT_WAITED: "🚀",
    DeployStatus.FAILED: "❌",
    DeployStatus.TIMED_OUT_WAITING: "⏱️",
}


def _deploy_cells(outcome: Outcome) -> list[str]:
    deploy = outcome.deploy
    if deploy is None:
        return ["-", "-"]
    return [_code(deploy.agent), f"{_DEPLOY_ICONS[deploy.status]} {deploy.status.value}"]


def deploy_section(outcome: Outcome) -> str:
    """The deployment of one target, under its build table."""
    deploy = outcome.deploy
    assert deploy is not None
    icon, status = _deploy_cells(outcome)[1].split(" ", 1)
    rows = [
        ("Agent", _code(deploy.agent)),
        ("Status", f"{icon} {status}"),
        ("Deployment id", _code(deploy.deployment_id)),
        ("Secrets set", ", ".join(_code(k) for k in deploy.secret_keys) or "-"),
        ("Phases", " → ".join(deploy.phases) or "-"),
    ]
    lines = ["#### Deployment", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if deploy.error:
        first, _, output = deploy.error.partition("\n")
        lines += ["", f"> **Deploy error:** {_cell(first)}"]
        if output.strip():  # the agent's last output (a traceback), as it printed it
            longest = max((len(run) for run in re.findall(r"`+", output)), default=0)
            fence = "`" * max(3, longest + 1)
            lines += ["", f"{fence}text", printable(output), fence]
    return "\n".join(lines)


def plan_summary(outcomes: list[Outcome]) -> str:
    header = ["Service", "Context hash", "Region", "Needs a build", "Existing image"]
    rows = [
        [
            _cell(o.target.name or "."),
            _code(o.context_hash),
            _cell(o.region or "-"),
            "❌ error" if o.error else ("yes" if o.needs_build else "no"),
            _code(o.image_uri),
        ]
        for o in outcomes
    ]
    return _table("Pipecat Cloud build plan", header, rows, outcomes)
