""".dockerignore read as docker build reads it (docs/testing.md).

The expected lines are moby/patternmatcher's own: `ignorefile.ReadAll`'s test table, and what
its code does with a line (bufio drops one trailing "\\r", `#` only in column 1 is a comment,
then TrimSpace, filepath.Clean and one leading "/" dropped). The report names the pattern as
read here, so the lines themselves are checked, not only which files they leave out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipecat_build.archive.docker_ignore import DockerRules, read_patterns
from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.errors import InputError

DOCKER = SelectionOptions(ignore_rules="docker")

# moby/patternmatcher ignorefile/ignorefile_test.go, TestReadAll.
MOBY_READALL = (
    "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
)
MOBY_EXPECTED = ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"]


def read(tmp_path: Path, content: bytes) -> list[str]:
    path = tmp_path / ".dockerignore"
    path.write_bytes(content)
    return read_patterns(path)


def test_read_all_as_moby_reads_its_own_example(tmp_path: Path) -> None:
    assert read(tmp_path, MOBY_READALL.encode()) == MOBY_EXPECTED


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/", ["/"]),  # a lone "/" is kept: only a longer pattern loses its leading "/"
        ("/a", ["a"]),
        ("//X11/cache", ["X11/cache"]),  # Go's Clean folds "//" (posixpath keeps it)
        ("///a//b/", ["a/b"]),
        ("!//X11/cache", ["!X11/cache"]),
        ("my notes.txt", ["my notes.txt"]),  # a space inside a name is part of it
        ("  spaced.txt \t", ["spaced.txt"]),
        (" #notes.txt", ["#notes.txt"]),  # "#" after a space is not a comment
        ("\r#notes.txt", ["#notes.txt"]),  # nor after a "\r" (only a trailing one is dropped)
        ("#notes.txt\r", []),
        ("\r", []),
    ],
)
def test_one_line_as_read_all_reads_it(tmp_path: Path, line: str, expected: list[str]) -> None:
    assert read(tmp_path, line.encode() + b"\n") == expected


def test_a_blank_line_does_not_end_the_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("a.log\n\n   \n# logs\nb.log\n")
    (tmp_path / "a.log").write_text("x")
    (tmp_path / "b.log").write_text("x")
    selection = select_context(tmp_path, "Dockerfile", DOCKER)
    assert {m.arcname for m in selection.members} == {"Dockerfile", ".dockerignore"}


def test_a_pattern_naming_a_non_utf8_file_leaves_it_out(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_bytes(b"bad-\xff.bin\n")
    with open(os.path.join(os.fsencode(tmp_path), b"bad-\xff.bin"), "wb") as fh:
        fh.write(b"x")
    (tmp_path / "good.bin").write_text("x")
    selection = select_context(tmp_path, "Dockerfile", DOCKER)
    assert {m.arcname for m in selection.members} == {"Dockerfile", ".dockerignore", "good.bin"}
    assert [(r.pattern, r.files) for r in selection.report.rules] == [("bad-\udcff.bin", 1)]


def test_a_pattern_starting_with_hash_after_a_space_leaves_the_file_out(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text(" #notes.txt\n")
    (tmp_path / "#notes.txt").write_text("x")
    selection = select_context(tmp_path, "Dockerfile", DOCKER)
    assert {m.arcname for m in selection.members} == {"Dockerfile", ".dockerignore"}


def test_an_unreadable_ignore_file_is_a_one_line_context_error(tmp_path: Path) -> None:
    folder = tmp_path / "app.Dockerfile.dockerignore"
    folder.mkdir()
    with pytest.raises(InputError) as caught:
        read_patterns(folder)
    assert caught.value.input_name == "context"
    assert str(caught.value) == f"Input 'context': cannot read {folder}: Is a directory"


def test_an_invalid_pattern_is_named_with_its_file() -> None:
    with pytest.raises(InputError) as caught:
        DockerRules(["*.log", "!"], "build/app.Dockerfile.dockerignore")
    assert caught.value.input_name == "context"
    assert str(caught.value) == (
        "Input 'context': build/app.Dockerfile.dockerignore: "
        "Invalid ignore pattern '!': illegal exclusion pattern"
    )
