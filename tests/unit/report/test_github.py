"""report/github.py: masked values reach the runner as `::add-mask::` lines (our own output
replaces them too, but the runner needs the command to mask what others print)."""

from __future__ import annotations

import pytest

from pipecat_build.report.github import GitHubReporter


def test_each_masked_value_is_an_add_mask_line(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = GitHubReporter(outputs=False, summary=False)
    reporter.mask("s3cret-value")
    reporter.line("the value is s3cret-value")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "::add-mask::s3cret-value"
    assert lines[-1] == "the value is ***"


def test_a_multi_line_secret_is_masked_line_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    GitHubReporter(outputs=False, summary=False).mask("first-line\nsecond-line")
    printed = capsys.readouterr().out
    assert "::add-mask::first-line\n" in printed
    assert "::add-mask::second-line\n" in printed
    assert "\nfirst-line" not in printed.replace("::add-mask::first-line", "")


def test_command_data_is_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    GitHubReporter(outputs=False, summary=False).mask("100%sure-value")
    assert "::add-mask::100%25sure-value" in capsys.readouterr().out.splitlines()
