"""The job summary: one Markdown table a person reads after the run."""

from __future__ import annotations

import re

from ..config import DeploySpec
from ..outcome import DeleteStatus, DeployResult, DeployStatus, Outcome, RunStatus
from ..redact import printable
from ..units import human_bytes, human_seconds

_NO_SPEC = DeploySpec(agent="-")
_ICONS = {
    RunStatus.SUCCESS: "✅",
    RunStatus.FAILED: "❌",
    RunStatus.TIMEOUT: "⏱️",
    RunStatus.TIMED_OUT_WAITING: "⏱️",
    RunStatus.PLANNED: "📝",
    RunStatus.ERROR: "❌",
}


def _cell(text: str) -> str:
    """Our own words in a table cell (names and values the settings cleaned)."""
    return printable(text).replace("|", "\\|").replace("\n", " ")


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def _literal(text: str) -> str:
    """Text from the server or the agent (errorMessage, agent errors, ids, phases) shown as it
    is and never rendered: a code span, in which Markdown has no HTML (`<img onerror=...>`,
    `</details>`), no links or autolinks and no emphasis, with a fence of backticks longer
    than any run inside it; one line. In a table, `_cell` then escapes `|` (GFM reads `\\|`
    as a pipe even inside a code span)."""
    flat = _LINE_BREAKS.sub(" ", printable(text)).strip()
    if not flat:
        return "-"
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


_SAFE_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s<>\\`\x00-\x1f\x7f]*)?")


def _logs_link(url: str) -> str:
    """A link only to an https URL with nothing that could end the link early; any other
    value is shown as literal text, never followed."""
    if not url:
        return "-"
    if _SAFE_URL.fullmatch(url):
        return f"[open](<{url}>)"
    return _literal(url)  # through _cell, like every row


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
        ("Image URI", _literal(outcome.image_uri)),
        ("Build id", _literal(outcome.build_id)),
        ("Context hash", _literal(outcome.context_hash)),
        ("Cached", "yes" if outcome.cached else "no"),
        ("Region", outcome.region or "-"),
        (
            "Context size",
            _size((build.context_size_bytes if build else None) or outcome.archive_bytes or None),
        ),
        ("Image size", _size(build.image_size_bytes if build else None)),
        ("Build duration", _duration(build.duration_seconds if build else None)),
        ("Logs", _logs_link(logs)),
    ]
    lines = [
        "### Pipecat Cloud build"
        + (f": {_cell(outcome.target.name)}" if outcome.target.from_services else ""),
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if outcome.error:
        lines += ["", f"> **Error:** {_literal(outcome.error)}"]
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
        lines += [f"- **{_cell(o.target.name or '.')}**: {_literal(e)}" for o, e in errors]
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
            _literal(o.image_uri),
            _literal(o.context_hash),
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
    return [_literal(deploy.agent), f"{_DEPLOY_ICONS[deploy.status]} {deploy.status.value}"]


def deploy_section(outcome: Outcome) -> str:
    """The deployment of one target, under its build table."""
    deploy = outcome.deploy
    assert deploy is not None
    icon, status = _deploy_cells(outcome)[1].split(" ", 1)
    rows = [
        ("Agent", _literal(deploy.agent)),
        ("Deployed", _deployed(deploy)),
        ("Status", f"{icon} {status}"),
        ("Deployment id", _literal(deploy.deployment_id)),
        ("Secrets set", ", ".join(_literal(k) for k in deploy.secret_keys) or "-"),
        ("Phases", " → ".join(_literal(phase) for phase in deploy.phases) or "-"),
    ]
    lines = ["#### Deployment", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if deploy.build_id and deploy.status.ok:
        # The id to roll back to, one click away in every earlier run (examples/rollback.yml).
        lines += [
            "",
            f"To deploy this build again (a rollback), run with `build-id: {deploy.build_id}`"
            f" and `agent-name: {deploy.agent}`.",
        ]
    if deploy.error:
        first, _, output = deploy.error.partition("\n")
        lines += ["", f"> **Deploy error:** {_literal(first)}"]
        if output.strip():  # the agent's last output (a traceback), as it printed it
            longest = max((len(run) for run in re.findall(r"`+", output)), default=0)
            fence = "`" * max(3, longest + 1)
            lines += ["", f"{fence}text", printable(output), fence]
    return "\n".join(lines)


def _deployed(deploy: DeployResult) -> str:
    if deploy.build_id:
        return f"build {_literal(deploy.build_id)}"
    return f"image {_literal(deploy.image)}" if deploy.image else "-"


def given_summary(outcome: Outcome) -> str:
    """`build-id` or `image`: what was deployed (nothing was built), then its deployment."""
    build, spec = outcome.build, outcome.target.deploy or _NO_SPEC
    logs = build.logs_url if build else ""
    if outcome.image:
        what = "a registry image"
        rows = [
            ("Image", _literal(outcome.image)),
            ("Pull secret set", _literal(spec.image_credentials or "")),
        ]
    else:
        what = "an existing build"
        rows = [
            ("Build id", _literal(outcome.build_id or spec.build_id)),
            ("Build status", build.status.value if build else "-"),
            ("Image URI", _literal(build.image_uri if build else "")),
            ("Context hash", _literal(outcome.context_hash)),
            ("Logs", _logs_link(logs)),
        ]
    rows.append(("Region", outcome.region or "-"))
    icon = "✅" if outcome.ok else "❌"
    lines = [f"### Pipecat Cloud deploy of {what} {icon}", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if outcome.error:
        lines += ["", f"> **Error:** {_literal(outcome.error)}"]
    if outcome.deploy is not None:
        lines += ["", deploy_section(outcome)]
    return "\n".join(lines) + "\n"


def deletion_summary(outcome: Outcome) -> str:
    """`delete-agent`: the agent, and what became of its secret sets."""
    deletion = outcome.deletion
    agent = deletion.agent if deletion else (outcome.target.deploy or _NO_SPEC).agent
    rows = [("Agent", _literal(agent))]
    if deletion is None:
        rows.append(("Status", "❌ failed"))
    else:
        gone = deletion.status is DeleteStatus.ALREADY_GONE
        rows.append(("Status", "✅ already gone (nothing to delete)" if gone else "🗑️ deleted"))
        if deletion.deleted_set:
            done = "deleted" if deletion.set_status is DeleteStatus.DELETED else "already gone"
            rows.append(("Secret set deleted", f"{_literal(deletion.deleted_set)} ({done})"))
        kept = ", ".join(_literal(k) for k in deletion.kept())
        rows.append(("Secret sets kept", kept or "-"))
    lines = ["### Pipecat Cloud agent deletion", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if outcome.error:
        lines += ["", f"> **Error:** {_literal(outcome.error)}"]
    return "\n".join(lines) + "\n"


def plan_summary(outcomes: list[Outcome]) -> str:
    header = ["Service", "Context hash", "Region", "Needs a build", "Existing image"]
    rows = [
        [
            _cell(o.target.name or "."),
            _literal(o.context_hash),
            _cell(o.region or "-"),
            "❌ error" if o.error else ("yes" if o.needs_build else "no"),
            _literal(o.image_uri),
        ]
        for o in outcomes
    ]
    return _table("Pipecat Cloud build plan", header, rows, outcomes)
