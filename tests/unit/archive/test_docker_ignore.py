"""`ignore-rules: docker` must leave out exactly what `docker build` leaves out.

Expected answers come from Docker's documentation
(docs.docker.com/build/concepts/context/#dockerignore-files), and, where it points for
"the precise details", from moby/patternmatcher's own test table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.errors import InputError

DOCKER = SelectionOptions(ignore_rules="docker")

# (.dockerignore lines, path, left out?)
DOCS_CASES = [
    # "# comment" is ignored; "*/temp*" excludes names starting with temp one level down.
    (["# comment", "*/temp*"], "somedir/temporary.txt", True),
    (["*/temp*"], "somedir/temp/inner.txt", True),
    (["*/temp*"], "temporary.txt", False),
    (["*/temp*"], "a/b/temporary.txt", False),
    (["*/*/temp*"], "somedir/subdir/temporary.txt", True),
    (["*/*/temp*"], "somedir/temporary.txt", False),
    (["temp?"], "tempa", True),
    (["temp?"], "tempb", True),
    (["temp?"], "sub/tempa", False),
    (["temp?"], "tempab", False),
    # Leading and trailing slashes are disregarded: all four exclude foo/bar.
    (["/foo/bar/"], "foo/bar", True),
    (["/foo/bar"], "foo/bar", True),
    (["foo/bar/"], "foo/bar/inside.txt", True),
    (["foo/bar"], "foo/bar", True),
    (["foo/bar"], "x/foo/bar", False),
    # "#" only in column 1 makes a comment.
    (["#/this/is/a/comment"], "this/is/a/comment", False),
    # filepath.Clean removes "." and ".."; the pattern "." is ignored.
    (["./a/../b.txt"], "b.txt", True),
    (["."], "anything.txt", False),
    # "**" matches any number of directories, including zero.
    (["**/*.go"], "main.go", True),
    (["**/*.go"], "pkg/deep/x.go", True),
    (["**/*.go"], "pkg/deep/x.gox", False),
    # "!" makes exceptions; only the root's markdown files are excluded.
    (["*.md", "!README.md"], "README.md", False),
    (["*.md", "!README.md"], "CHANGES.md", True),
    (["*.md", "!README.md"], "docs/guide.md", False),
    # The last matching line decides.
    (["*.md", "!README*.md", "README-secret.md"], "README-secret.md", True),
    (["*.md", "!README*.md", "README-secret.md"], "README-x.md", False),
    (["*.md", "!README*.md", "README-secret.md"], "other.md", True),
    (["*.md", "README-secret.md", "!README*.md"], "README-secret.md", False),
    # Include-only: "*" then exceptions.
    (["*", "!src"], "src/app.py", False),
    (["*", "!src"], "other.txt", True),
    # Matching is case-sensitive on Linux (Go's filepath.Match).
    (["Data"], "data", False),
]

PATTERNMATCHER_CASES = [
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs/", "!docs/README.md"], "docs/README.md", False),
    (["docs/*", "!docs/README.md"], "docs/README.md", False),
    (["docs", "!docs/README.md"], "docs/other.md", True),
    (["!fileutils.go", "*.go"], "fileutils.go", True),
    (["**", "!util/docker/web"], "util/docker/web/foo", False),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
    (["**/dir2/*"], "dir/dir2/file", True),
    (["a/*.txt"], "a/dir/file.txt", False),
    (["abc/**"], "abc/def/ghi", True),
    (["a[b-d]e"], "ace", True),
    (["a[b-d]e"], "aae", False),
    (["a[^b-d]e"], "aze", True),
    (["abc.def"], "abcZdef", False),
    (["a(b)c/def"], "a(b)c/def", True),
    (["a\\*b"], "a*b", True),
    (["dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    # Inside an excluded folder, a "**" exception still brings a file back.
    (["dir", "!**/keep.txt"], "dir/sub/keep.txt", False),
]


def _context(tmp_path: Path, lines: list[str], path: str) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("\n".join(lines) + "\n")
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x")
    return tmp_path


@pytest.mark.parametrize(("lines", "path", "left_out"), DOCS_CASES + PATTERNMATCHER_CASES)
def test_docker_rules(tmp_path: Path, lines: list[str], path: str, left_out: bool) -> None:
    selection = select_context(_context(tmp_path, lines, path), "Dockerfile", DOCKER)
    names = {m.arcname for m in selection.members}
    assert (path not in names) is left_out


def test_dockerfile_and_dockerignore_are_always_sent(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "app.Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("docker\n.dockerignore\n*.txt\n")
    (tmp_path / "docker" / "other.txt").write_text("x")
    (tmp_path / "docker" / "more").mkdir()
    (tmp_path / "docker" / "more" / "x").write_text("x")
    selection = select_context(tmp_path, "docker/app.Dockerfile", DOCKER)
    assert [m.arcname for m in selection.members] == [".dockerignore", "docker/app.Dockerfile"]


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "build" / "app.Dockerfile.dockerignore").write_text("*.log\n")
    (tmp_path / ".dockerignore").write_text("*.txt\n")
    (tmp_path / "a.log").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    selection = select_context(tmp_path, "build/app.Dockerfile", DOCKER)
    names = {m.arcname for m in selection.members}
    assert "a.txt" in names and "a.log" not in names
    assert selection.report.ignore_file == "build/app.Dockerfile.dockerignore"


def test_bom_and_crlf_are_handled_as_docker_does(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_bytes(b"\xef\xbb\xbfsecret.txt\r\n*.log\r\n")
    (tmp_path / "secret.txt").write_text("x")
    (tmp_path / "a.log").write_text("x")
    selection = select_context(tmp_path, "Dockerfile", DOCKER)
    assert {m.arcname for m in selection.members} == {"Dockerfile", ".dockerignore"}


def test_invalid_pattern_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("!\n")
    with pytest.raises(InputError) as info:
        select_context(tmp_path, "Dockerfile", DOCKER)
    assert info.value.input_name == "context"
    assert ".dockerignore" in str(info.value)


def test_report_names_the_docker_pattern(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("cache\n*.tmp\n!keep.tmp\n")
    (tmp_path / "cache").mkdir()
    for i in range(3):
        (tmp_path / "cache" / f"{i}.bin").write_text("x")
    (tmp_path / "a.tmp").write_text("x")
    (tmp_path / "keep.tmp").write_text("x")
    selection = select_context(tmp_path, "Dockerfile", DOCKER)
    counts = {(r.pattern, r.source): (r.files, r.folders) for r in selection.report.rules}
    assert counts == {("cache", ".dockerignore"): (0, 1), ("*.tmp", ".dockerignore"): (1, 0)}
    assert "keep.tmp" in {m.arcname for m in selection.members}


def test_build_exclude_patterns_are_not_used_with_docker_rules(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "notes.txt").write_text("x")
    options = SelectionOptions(ignore_rules="docker", extra_patterns=("*.txt",))
    selection = select_context(tmp_path, "Dockerfile", options)
    assert "notes.txt" in {m.arcname for m in selection.members}
    assert any("[build.exclude]" in n for n in selection.notices)
