"""The job summary: one Markdown table a person reads after the run."""

from __future__ import annotations

from .build_flow import Outcome
from .units import human_bytes, human_seconds

_ICONS = {
    "success": "✅",
    "failed": "❌",
    "timeout": "⏱️",
    "timed-out-waiting": "⏱️",
    "planned": "📝",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`" if text else "-"


def _size(value: object) -> str:
    try:
        return human_bytes(int(str(value)))
    except ValueError:
        return "-"


def _duration(value: object) -> str:
    try:
        return human_seconds(float(str(value)))
    except ValueError:
        return "-"


def single_summary(outcome: Outcome) -> str:
    build = outcome.build
    icon = _ICONS.get(outcome.status, "❌")
    logs = str(build.get("logsUrl") or "")
    rows = [
        ("Status", f"{icon} {outcome.status}"),
        ("Image URI", _code(outcome.image_uri)),
        ("Build id", _code(str(build.get("id") or ""))),
        ("Context hash", _code(outcome.context_hash)),
        ("Cached", "yes" if outcome.cached else "no"),
        ("Region", outcome.region or "-"),
        ("Context size", _size(build.get("contextSizeBytes") or outcome.archive_bytes)),
        ("Image size", _size(build.get("imageSizeBytes", ""))),
        ("Build duration", _duration(build.get("buildDurationSeconds", ""))),
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
    if outcome.context_report:
        lines += ["", outcome.context_report]
    return "\n".join(lines) + "\n"


def _table(title: str, header: list[str], rows: list[list[str]], outcomes: list[Outcome]) -> str:
    """A titled Markdown table, then one bullet per target that ended with an error."""
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    errors = [o for o in outcomes if o.error]
    if errors:
        lines.append("")
        lines += [f"- **{_cell(o.target.name or '.')}**: {_cell(o.error)}" for o in errors]
    return "\n".join(lines) + "\n"


def services_summary(outcomes: list[Outcome]) -> str:
    header = ["Service", "Status", "Image URI", "Context hash", "Region", "Cached", "Duration"]
    rows = [
        [
            _cell(o.target.name),
            f"{_ICONS.get(o.status, '❌')} {o.status}",
            _code(o.image_uri),
            _code(o.context_hash),
            _cell(o.region or "-"),
            "yes" if o.cached else "no",
            _duration(o.build.get("buildDurationSeconds", "")),
        ]
        for o in outcomes
    ]
    return _table("Pipecat Cloud builds", header, rows, outcomes)


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
