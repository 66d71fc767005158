"""The files git tracks, for `files: tracked` (a context without untracked build leftovers)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError

# Configuration no repository may override (command-line `-c` wins over every config file and
# reaches submodule processes too): nothing git reads can make it run a program.
_HARDENED = (
    "-c", "safe.bareRepository=explicit",  # a folder laid out as a bare repository is none
    "-c", "core.fsmonitor=false",  # `core.fsmonitor = <command>` would run it
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.untrackedCache=false",
    "-c", "protocol.allow=never",  # ls-files fetches nothing; no transport may start either
)
_GITLINK = "160000"


def find_repository(context_dir: Path, workspace: Path | None = None) -> Path | None:
    """The work tree of the checkout holding `context_dir`: the nearest folder, from the
    context folder itself up to the workspace (or the file system's root), holding a `.git`
    directory (not a link, not a file). Nothing below the context folder is looked at: a
    repository cannot commit a `.git` path, so a `.git` there, or a folder laid out as a bare
    repository (`HEAD`, `config`, `objects/`), is content, never a repository to ask."""
    context = context_dir.resolve()
    top = workspace.resolve() if workspace is not None else Path(context.anchor)
    folder = context
    while True:
        try:
            mode = os.lstat(folder / ".git").st_mode
        except OSError:
            mode = 0
        if stat.S_ISDIR(mode):
            return folder
        if folder == top or folder.parent == folder:
            return None
        folder = folder.parent


def _run_git(repository: Path, args: list[str], environ: Mapping[str, str],
             safe: list[Path]) -> subprocess.CompletedProcess[bytes]:
    """git on `repository` named explicitly (`--git-dir`, `--work-tree`: no discovery), with
    the hardened configuration and `environ` as its whole environment."""
    trusted = [arg for path in safe for arg in ("-c", f"safe.directory={path}")]
    return subprocess.run(
        ["git", *_HARDENED, *trusted, f"--git-dir={repository / '.git'}",
         f"--work-tree={repository}", *args],
        cwd=repository,
        capture_output=True,
        check=False,
        env=dict(environ),
    )


def tracked_files(
    context_dir: Path, environ: Mapping[str, str], workspace: Path | None = None
) -> frozenset[str]:
    """Arcnames (relative to `context_dir`) of the files git tracks under it; `environ` is
    git's whole environment (the runtime's `git_environ`). The repository is found by
    `find_repository`, never by git's own discovery from inside the context."""
    repository = find_repository(context_dir, workspace)
    if repository is None:
        raise InputError(
            "files",
            f"'tracked' needs a git work tree, but no .git folder holds {context_dir} "
            "(looked from it up to the workspace); check out the repository first or use "
            "'files: all'",
        )
    context = context_dir.resolve()
    relative = context.relative_to(repository).as_posix()
    pathspec = [] if relative == "." else ["--", f":(literal){relative}/"]
    try:
        staged = _run_git(repository, ["ls-files", "-z", "--stage", *pathspec], environ,
                          [repository])
        done = staged
        submodules = [
            repository / os.fsdecode(entry.split(b"\t", 1)[1])
            for entry in staged.stdout.split(b"\0")
            if entry.startswith(_GITLINK.encode()) and b"\t" in entry
        ]
        if staged.returncode == 0:
            # Submodules are asked too; each is named safe by its own path (the checkout may
            # belong to another user than the one running git), never by '*'.
            done = _run_git(
                repository, ["ls-files", "-z", "--recurse-submodules", *pathspec], environ,
                [repository, *submodules],
            )
    except FileNotFoundError as exc:
        raise InputError(
            "files", "'tracked' needs git, which is not installed; use 'files: all'"
        ) from exc
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[-1] if reason else f"git exited with {done.returncode}"
        raise InputError(
            "files",
            f"'tracked' needs a git work tree, but {context_dir} is not one ({detail}); "
            "check out the repository first or use 'files: all'",
        )
    prefix = "" if relative == "." else relative + "/"
    names = (os.fsdecode(p) for p in done.stdout.split(b"\0") if p)
    return frozenset(name[len(prefix):] for name in names if name.startswith(prefix))
