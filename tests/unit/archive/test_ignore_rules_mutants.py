"""pcc deploy's ignore rules: what the report says about patterns (docs/testing.md)."""

from __future__ import annotations

from pathlib import Path

from pipecat_build.archive.ignore_rules import (
    DEFAULT_EXCLUSIONS,
    CliRules,
    PatternSource,
    cli_patterns,
    read_cli_dockerignore,
)


def test_a_trailing_slash_is_dropped_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("LATEX/\n./build/out//\nDOCS\n")
    assert read_cli_dockerignore(tmp_path) == ["LATEX", "build/out", "DOCS"]


def test_patterns_from_the_file_are_reported_as_from_dockerignore(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("*.md\n")
    patterns, from_file = cli_patterns(tmp_path, ("extra",), "pcc-deploy.toml")
    assert from_file
    assert patterns == [PatternSource("*.md", ".dockerignore")]


def test_extra_patterns_are_added_once_and_never_repeat_a_default(tmp_path: Path) -> None:
    extras = (".git", "  ", "./", "./extra/", "extra", "logs", "logs/")
    patterns, from_file = cli_patterns(tmp_path, extras, "pcc-deploy.toml")
    assert not from_file
    assert [p.pattern for p in patterns] == [*DEFAULT_EXCLUSIONS, "extra", "logs"]
    assert [p.source for p in patterns[len(DEFAULT_EXCLUSIONS):]] == ["pcc-deploy.toml"] * 2
    assert {p.source for p in patterns[: len(DEFAULT_EXCLUSIONS)]} == {"defaults"}


def test_match_full_names_the_first_pattern_that_excludes_a_component() -> None:
    rules = CliRules([PatternSource("b", "first"), PatternSource("a/b", "second")])
    hit = rules.match_full("a/b")
    assert hit is not None and (hit.pattern, hit.source) == ("b", "first")
    deeper = CliRules([PatternSource("c", "x"), PatternSource("a/b", "y")])
    hit = deeper.match_full("a/b/c")
    assert hit is not None and hit.pattern == "a/b"  # the folder a/b is left out first
    assert deeper.match_full("a/x/d") is None


def test_no_patterns_exclude_nothing() -> None:
    rules = CliRules([])
    assert rules.match("a", "a") is None
    assert rules.match_full("a/b") is None
