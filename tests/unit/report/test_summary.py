"""The job summary as a reader sees it: rendered by a Markdown library (GFM tables), each table
has the expected cells, whatever an error message contains."""

from __future__ import annotations

from pathlib import Path

import markdown_it
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipecat_build.config.settings import Target
from pipecat_build.models import Build
from pipecat_build.outcome import Outcome, RunStatus
from pipecat_build.report.summary import plan_summary, services_summary, single_summary

URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/pipecat-cloud/org:0123456789abcdef"


def tables(markdown: str) -> list[list[list[str]]]:
    """Every rendered table as rows of cell texts (header row first)."""
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(markdown)
    found: list[list[list[str]]] = []
    in_cell = False
    for token in tokens:
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            found[-1].append([])
        elif token.type in ("th_open", "td_open"):
            found[-1][-1].append("")
            in_cell = True
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif token.type == "inline" and in_cell:
            found[-1][-1][-1] = "".join(child.content for child in token.children or [])
    return found


def outcome(name: str, **fields: object) -> Outcome:
    target = Target(name=name, context_dir=Path("/ws") / (name or "."), dockerfile="Dockerfile",
                    region=None)
    if isinstance(fields.get("build"), dict):
        fields["build"] = Build.parse(fields["build"])  # as the API client hands it on
    if isinstance(fields.get("status"), str):
        fields["status"] = RunStatus(fields["status"])
    return Outcome(target, **fields)  # type: ignore[arg-type]


def built(name: str, *, cached: bool = False) -> Outcome:
    build = {"id": f"id-{name}", "status": "success", "imageUri": URI,
             "buildDurationSeconds": 75.0, "contextSizeBytes": 2048, "imageSizeBytes": 3 << 20,
             "logsUrl": "https://console.example/logs"}
    return outcome(name, status="success", context_hash="0123456789abcdef", build=build,
                   cached=cached, region="us-west")


def test_single_summary_table() -> None:
    [table] = tables(single_summary(built("")))
    rows = dict((r[0], r[1]) for r in table[1:])
    assert rows["Status"] == "✅ success"
    assert rows["Image URI"] == URI
    assert rows["Build id"] == "id-"
    assert rows["Context size"] == "2.0 KiB"
    assert rows["Image size"] == "3.0 MiB"
    assert rows["Build duration"] == "1m15s"
    assert rows["Logs"] == "open"
    assert rows["Cached"] == "no"


def test_services_summary_has_a_row_per_service() -> None:
    failed = outcome("worker", status="failed", context_hash="fedcba9876543210",
                     region="eu-central", error="Docker build failed | COPY\nmissing file",
                     build={"id": "id-w", "status": "failed", "buildDurationSeconds": 5.0})
    markdown = services_summary([built("voice"), built("chat", cached=True), failed])
    [table] = tables(markdown)
    assert table[0] == ["Service", "Status", "Image URI", "Context hash", "Region", "Cached",
                        "Duration"]
    assert table[1] == ["voice", "✅ success", URI, "0123456789abcdef", "us-west", "no", "1m15s"]
    assert table[2][0] == "chat" and table[2][5] == "yes"
    assert table[3] == ["worker", "❌ failed", "-", "fedcba9876543210", "eu-central", "no",
                        "5.0s"]
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<strong>worker</strong>: <code>Docker build failed | COPY missing file</code>" in html


def test_plan_summary() -> None:
    needs = outcome("fresh", status="planned", context_hash="aaaa", region="x")
    [table] = tables(plan_summary([needs, built("done")]))
    assert table[0] == ["Service", "Context hash", "Region", "Needs a build", "Existing image"]
    assert table[1] == ["fresh", "aaaa", "x", "yes", "-"]
    assert table[2] == ["done", "0123456789abcdef", "us-west", "no", URI]


@hsettings(max_examples=30, deadline=None)
@given(error=st.text(max_size=80), status=st.sampled_from(["failed", "timeout", "error"]))
def test_any_error_text_keeps_the_tables_shape(error: str, status: str) -> None:
    bad = outcome("svc", status=status, error=error or "x", context_hash="abcd", region="r")
    for render, width in ((services_summary, 7), (plan_summary, 5)):
        [table] = tables(render([built("ok"), bad]))
        assert [len(r) for r in table] == [width] * 3
        assert table[2][0] == "svc"
    [single] = tables(single_summary(bad))
    assert all(len(r) == 2 for r in single)
