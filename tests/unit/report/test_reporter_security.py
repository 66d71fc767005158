"""Issue 20 §9: the CLI (ConsoleReporter) prints build log lines and server messages so that
no CI system obeys them: Azure Pipelines' `##vso[`, TeamCity's `##teamcity[`, `##[` and
`::command::` lines are shown, never acted on."""

from __future__ import annotations

import io
import re

import pytest

from pipecat_build.report.reporter import ConsoleReporter

# How each CI system finds a command in a line of a job's log.
OBEYED = [
    re.compile(r"##vso\[", re.IGNORECASE),  # Azure Pipelines: anywhere in the line
    re.compile(r"##teamcity\[", re.IGNORECASE),  # TeamCity service messages
    re.compile(r"^\s*##\["),  # GitHub / Azure: ##[group], ##[error]
    re.compile(r"^\s*::[\w-]+"),  # GitHub and runners that copy it: ::add-mask::, ::error::
]

HOSTILE = [
    "##vso[task.setvariable variable=PIPECAT_API_KEY]stolen",
    "Step 3/9 : RUN echo ##vso[task.setvariable variable=x;isOutput=true]y",
    "##VSO[task.complete result=Succeeded;]",
    "##teamcity[buildStatus status='SUCCESS' text='ok']",
    "::add-mask::x",
    "   ::error file=a::boom",
    "\t::stop-commands::token",
    "##[group]hidden",
    "##[error]fake failure",
    "progress\r::set-env name=LD_PRELOAD::/tmp/x.so",
    "first\n::add-mask::second",
    "a\u2028::warning::b",
]


def physical_lines(text: str) -> list[str]:
    return re.split(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", text)


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("method", ["line", "warning", "error", "notice"])
def test_console_lines_are_shown_never_obeyed(hostile: str, method: str) -> None:
    stream = io.StringIO()
    getattr(ConsoleReporter(stream), method)(hostile)
    printed = stream.getvalue()
    for line in physical_lines(printed):
        assert not any(rule.search(line) for rule in OBEYED), line
    # Shown: every character of the command is still there to read.
    assert hostile.split("::")[-1].split("]")[-1] in printed


def test_ordinary_lines_pass_unchanged() -> None:
    stream = io.StringIO()
    ConsoleReporter(stream).line("Step 1/4 : FROM python:3.12 # x::y ## [1]")
    assert stream.getvalue() == "Step 1/4 : FROM python:3.12 # x::y ## [1]\n"


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b[0Ksection_start:1700000000:hide[collapsed=true]\r\x1b[0Kinnocent",
        "section_end:1700000000:hide",
        "ok\x1b[1A\x1b[2Kbuild failed? no: overwritten",
        "SECTION_START:1:x",
        "\x9b2Kerased with the one-byte CSI",
    ],
)
def test_gitlab_sections_and_terminal_escapes_are_shown_never_obeyed(hostile: str) -> None:
    """GitLab folds lines at `section_start:`/`section_end:` markers, and a terminal or GitLab's
    log view obeys escape sequences that erase or overwrite lines already shown."""
    stream = io.StringIO()
    ConsoleReporter(stream).line(hostile)
    printed = stream.getvalue()
    assert "\x1b" not in printed and "\x9b" not in printed
    assert not re.search(r"section_(start|end):", printed, re.IGNORECASE)
    assert "section_" in printed.lower() or "\\x1b" in printed or "\\x9b" in printed


def test_a_carriage_return_or_nul_in_a_log_line_cannot_overwrite_what_is_shown() -> None:
    stream = io.StringIO()
    ConsoleReporter(stream).line("build failed\rbuild X: success\x00")
    printed = stream.getvalue()
    assert printed == "build failed\\x0dbuild X: success\\x00\n"
    stream = io.StringIO()
    ConsoleReporter(stream).error("first line\n\tsecond, indented")
    assert "first line\n\tsecond, indented" in stream.getvalue(), "line breaks and tabs stay"
