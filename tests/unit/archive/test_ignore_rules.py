"""pcc deploy's rules (`ignore-rules: cli`): same decisions as pipecatcloud 1.4.0."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pipecatcloud._utils.build_utils import _should_exclude, get_exclusions

from pipecat_build.archive.ignore_rules import CliRules, PatternSource, cli_patterns
from pipecat_build.archive.select import SelectionOptions, select_context

# Name pieces: glob characters, spaces, tabs, newlines, backslashes, bytes that are not UTF-8
# (names reach both sides as surrogate escapes), a leading `#`, `-` or `!`.
PIECES = [
    "a", "b", ".py", ".log", "*", "?", "[", "]", "!", "-", "#", " ", "\t", "\n", "\\", "é", "日",
    os.fsdecode(b"\xe9"), os.fsdecode(b"\xff"), "node_modules", ".env",
]  # fmt: skip
generated = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)
part_st = st.one_of(
    st.sampled_from(["a", "b.py", "node_modules", ".env.x", "x.log", "[a]", "é", "s p"]),
    generated.filter(lambda p: p not in (".", "..")),
)
pattern_st = st.one_of(
    st.sampled_from(
        ["*", "a", "*.py", "a/*", "a/b.py", "[a]", "[!a]*", "?", "*.log", "**/b.py", "!a", "é*",
         "s p", "[", "[]]", "[!]", "\\*", "*/*/*"]
    ),
    generated,
    generated.map(lambda p: "*" + p),
    generated.map(lambda p: p + "/*"),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(part_st, min_size=1, max_size=4), st.lists(pattern_st, max_size=5))
def test_exclusion_decision_matches_pcc(parts: list[str], patterns: list[str]) -> None:
    """Whether the CLI's walk packs a path: it prunes a folder its function excludes, so a
    path is left out when the function excludes it or any folder above it."""
    base = Path("/ctx")
    rel = "/".join(parts)
    rules = CliRules(cli_patterns_from(patterns))
    ours = rules.match_full(rel) is not None
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    assert ours == any(_should_exclude(base / p, set(patterns), base) for p in prefixes)


def cli_patterns_from(patterns: list[str]) -> list[PatternSource]:
    return [PatternSource(p, "test") for p in dict.fromkeys(patterns)]


def test_patterns_read_like_pcc(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text(
        "# comment\n\n  ./build/  \nnode_modules/\n*.log\r\n./\n/abs\n!keep\n"
    )
    patterns, from_file = cli_patterns(tmp_path, ("ignored-extra",), "pcc-deploy.toml")
    assert from_file
    assert {p.pattern for p in patterns} == get_exclusions(tmp_path, ["ignored-extra"])


def test_defaults_and_extras_without_dockerignore(tmp_path: Path) -> None:
    patterns, from_file = cli_patterns(tmp_path, ("./secrets/", "*.csv"), "pcc-deploy.toml")
    assert not from_file
    assert {p.pattern for p in patterns} == get_exclusions(tmp_path, ["./secrets/", "*.csv"])
    sources = {p.pattern: p.source for p in patterns}
    assert sources["secrets"] == "pcc-deploy.toml" and sources["node_modules"] == "defaults"


def test_docker_only_syntax_gets_a_warning(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("*.md\n!README.md\n**/*.tmp\n")
    (tmp_path / "README.md").write_text("x")
    selection = select_context(tmp_path, "Dockerfile")
    # pcc deploy reads "!" literally: README.md stays excluded.
    assert "README.md" not in {m.arcname for m in selection.members}
    warnings = [w for w in selection.warnings if w.file and w.file.endswith(".dockerignore")]
    assert len(warnings) == 1
    assert "'!README.md'" in warnings[0].message and "'**/*.tmp'" in warnings[0].message
    assert "ignore-rules: docker" in warnings[0].message


def test_extra_patterns_unused_when_dockerignore_exists(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("*.log\n")
    (tmp_path / "data.csv").write_text("x")
    options = SelectionOptions(extra_patterns=("*.csv",))
    selection = select_context(tmp_path, "Dockerfile", options)
    assert "data.csv" in {m.arcname for m in selection.members}
    assert any(".dockerignore exists" in n for n in selection.notices)


def test_extra_patterns_apply_without_dockerignore(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "data.csv").write_text("x")
    options = SelectionOptions(extra_patterns=("*.csv",))
    selection = select_context(tmp_path, "Dockerfile", options)
    assert [m.arcname for m in selection.members] == ["Dockerfile"]
    assert [(r.pattern, r.source, r.files) for r in selection.report.rules] == [
        ("*.csv", "pcc-deploy.toml", 1)
    ]
