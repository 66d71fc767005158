"""Issue 20 §1: repository content never runs a command through git. A context laid out as a
bare repository (committed HEAD, config, objects/, refs/) whose `config` sets
`core.fsmonitor`, and `.git` folders with such a config inside the context, are never asked:
git is pointed at the checkout's own `.git`, with fsmonitor and hooks off, and sees no input
or secret in its environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipecat_build.archive.git_tracked import find_repository, tracked_files
from pipecat_build.runtime import git_environment

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "safe.directory=*", "-c", "user.name=t", "-c",
                    "user.email=t@example", *args], cwd=cwd, check=True, capture_output=True)


def hostile_config(marker: Path) -> str:
    """A repository config that runs a command whenever git refreshes the index: fsmonitor
    (the issue's reproduction: it ran with the action's whole environment)."""
    script = f"echo \"$INPUT_API_KEY\" > {marker}; false"
    return (
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n"
        f"\tfsmonitor = {script}\n\thooksPath = hooks\n"
    )


def plant_bare_layout(folder: Path, marker: Path) -> None:
    """What a repository can commit: ordinary files laid out as a bare repository (HEAD,
    config, index, objects/, refs/), which git's discovery takes for one."""
    subprocess.run(["git", "init", "-q", "--bare", str(folder)], check=True,
                   capture_output=True)
    for sub in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "hooks"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / sub / ".keep").write_text("")
    subprocess.run(["git", f"--git-dir={folder}", f"--work-tree={folder}", "add", "HEAD"],
                   check=True, capture_output=True)  # an index, committed like any file
    (folder / "config").write_text(hostile_config(marker))


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A workspace checkout whose `agent` context commits a bare-repository layout."""
    workspace = tmp_path / "ws"
    context = workspace / "agent"
    context.mkdir(parents=True)
    marker = tmp_path / "fsmonitor-ran"
    git(workspace, "init", "-q", "-b", "main")
    (context / "Dockerfile").write_text("FROM scratch\n")
    plant_bare_layout(context, marker)
    git(workspace, "add", ".")
    git(workspace, "commit", "-q", "-m", "hostile")
    return workspace, context, marker


HOSTILE_ENV = {**os.environ, "INPUT_API_KEY": "pk_live_leak", "PIPECAT_API_KEY": "pk_live_leak",
               "GIT_DIR": "/nonexistent", "GIT_CONFIG_PARAMETERS": "'core.fsmonitor'='touch x'",
               "HOME": "/tmp/hostile-home"}


@needs_git
def test_a_context_laid_out_as_a_bare_repository_runs_nothing(
    checkout: tuple[Path, Path, Path]
) -> None:
    workspace, context, marker = checkout
    files = tracked_files(context, git_environment(HOSTILE_ENV), workspace)
    assert not marker.exists()
    assert "Dockerfile" in files and "config" in files and "HEAD" in files  # content, listed
    assert find_repository(context, workspace) == workspace.resolve()


@needs_git
def test_git_folders_inside_the_context_are_never_asked(
    checkout: tuple[Path, Path, Path]
) -> None:
    workspace, context, marker = checkout
    nested = context / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    (nested / ".git" / "config").write_text(hostile_config(marker).replace("\tworktree = .\n", ""))
    (nested / "planted.txt").write_text("x")
    files = tracked_files(context, git_environment(HOSTILE_ENV), workspace)
    assert not marker.exists()
    assert "vendor/lib/planted.txt" not in files


@needs_git
def test_a_hostile_config_in_the_repository_asked_still_runs_nothing(tmp_path: Path) -> None:
    """Even the checkout's own .git/config (written by an earlier step) cannot start fsmonitor
    or a hook: the command line wins over every config file."""
    workspace, marker = tmp_path / "ws", tmp_path / "ran"
    workspace.mkdir()
    git(workspace, "init", "-q")
    (workspace / "Dockerfile").write_text("FROM scratch\n")
    git(workspace, "add", ".")
    with (workspace / ".git" / "config").open("a") as fh:
        fh.write(f"[core]\n\tfsmonitor = touch {marker}\n")
    assert tracked_files(workspace, git_environment(HOSTILE_ENV), workspace) == {"Dockerfile"}
    assert not marker.exists()


def test_gits_environment_carries_no_input_no_secret_and_no_config() -> None:
    env = git_environment({**HOSTILE_ENV, "GITHUB_TOKEN": "ghs_x", "ACTIONS_RUNTIME_TOKEN": "y"})
    assert not any("leak" in value or value in ("ghs_x", "y") for value in env.values())
    assert not any(name.startswith(("INPUT_", "GITHUB_", "ACTIONS_")) for name in env)
    assert "GIT_DIR" not in env and "GIT_CONFIG_PARAMETERS" not in env and "HOME" not in env
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_CONFIG_GLOBAL"] == os.devnull


def test_the_image_sets_no_system_wide_git_configuration() -> None:
    dockerfile = (Path(__file__).resolve().parents[3] / "Dockerfile").read_text()
    assert "safe.directory" not in dockerfile.split("# DL3008")[1]
    assert "git config --system" not in dockerfile
