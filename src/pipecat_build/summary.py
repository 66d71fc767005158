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


def services_summary(outcomes: list[Outcome]) -> str:
    lines = [
        "### Pipecat Cloud builds",
        "",
        "| Service | Status | Image URI | Context hash | Region | Cached | Duration |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        lines.append(
            f"| {_cell(o.target.name)} | {_ICONS.get(o.status, '❌')} {o.status} | "
            f"{_code(o.image_uri)} | {_code(o.context_hash)} | {_cell(o.region or '-')} | "
            f"{'yes' if o.cached else 'no'} | "
            f"{_duration(o.build.get('buildDurationSeconds', ''))} |"
        )
    errors = [o for o in outcomes if o.error]
    if errors:
        lines.append("")
        lines += [f"- **{_cell(o.target.name)}**: {_cell(o.error)}" for o in errors]
    return "\n".join(lines) + "\n"


def plan_summary(outcomes: list[Outcome]) -> str:
    lines = [
        "### Pipecat Cloud build plan",
        "",
        "| Service | Context hash | Region | Needs a build | Existing image |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        needs = "yes" if o.needs_build else "no"
        if o.error:
            needs = "❌ error"
        lines.append(
            f"| {_cell(o.target.name or '.')} | {_code(o.context_hash)} | "
            f"{_cell(o.region or '-')} | {needs} | {_code(o.image_uri)} |"
        )
    errors = [o for o in outcomes if o.error]
    if errors:
        lines.append("")
        lines += [f"- **{_cell(o.target.name or '.')}**: {_cell(o.error)}" for o in errors]
    return "\n".join(lines) + "\n"
