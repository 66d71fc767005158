"""`files: tracked` asks git which files it tracks: run against real repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipecat_build.archive.git_tracked import tracked_files
from pipecat_build.errors import InputError
from pipecat_build.runtime import git_environment

GIT_ENV = git_environment(os.environ)

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "safe.directory=*", *args], cwd=cwd, check=True,
                   capture_output=True)  # fmt: skip


@needs_git
def test_tracked_files_lists_arcnames_relative_to_context(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "agent").mkdir()
    for rel in ("agent/Dockerfile", "agent/bot.py", "agent/sp ace é.txt", "top.txt"):
        (tmp_path / rel).write_text("x")
    _git(tmp_path, "add", ".")
    (tmp_path / "agent" / "untracked.txt").write_text("x")
    assert tracked_files(tmp_path / "agent", GIT_ENV) == {"Dockerfile", "bot.py", "sp ace é.txt"}


@needs_git
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own the repo as another user")
def test_tracked_files_in_a_checkout_owned_by_another_user(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("x")
    _git(tmp_path, "add", "a.txt")
    for path in [tmp_path, *tmp_path.rglob("*")]:
        os.lchown(path, 1001, 1001)  # like the runner's checkout, while we run as root
    assert tracked_files(tmp_path, GIT_ENV) == {"a.txt"}


@needs_git
def test_tracked_files_outside_a_work_tree(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        tracked_files(tmp_path, GIT_ENV)
    assert info.value.input_name == "files" and str(tmp_path) in str(info.value)
