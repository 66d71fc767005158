"""entry/cli.py: `--output-env` lines a POSIX shell and GitLab's dotenv report read back
exactly."""

from __future__ import annotations

import pytest

from pipecat_build.entry.cli import env_line


def test_a_plain_value_stays_bare() -> None:
    assert env_line("image-uri", "registry.example/app:1") == (
        "PIPECAT_IMAGE_URI=registry.example/app:1"
    )


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("it's", "PIPECAT_STATUS='it'\\''s'"),
        ("'", "PIPECAT_STATUS=''\\'''"),
        ("a b", "PIPECAT_STATUS='a b'"),
        ("$HOME `x`", "PIPECAT_STATUS='$HOME `x`'"),
        ("''x''", "PIPECAT_STATUS=''\\'''\\''x'\\'''\\'''"),
    ],
)
def test_a_single_quote_inside_a_value_is_escaped(value: str, line: str) -> None:
    assert env_line("status", value) == line


def test_the_quoted_value_reads_back_as_written() -> None:
    """What `sh` does with the quoting, done by shlex (no process in the unit layer)."""
    import shlex

    for value in ("it's", "'", "a'b'c", "x y'z", "'''"):
        name, _, quoted = env_line("status", value).partition("=")
        assert name == "PIPECAT_STATUS"
        assert shlex.split(quoted) == [value]
