"""The files git tracks, for `files: tracked` (a context without untracked build leftovers)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError

# The checkout belongs to the runner's user while the action's container runs as root:
# without this, git refuses with "detected dubious ownership in repository".
_GIT = ("git", "-c", "safe.directory=*")


def tracked_files(context_dir: Path, environ: Mapping[str, str]) -> frozenset[str]:
    """Arcnames (relative to `context_dir`) of the files git tracks under it; `environ` is
    git's whole environment (the runtime's `git_environ`)."""
    try:
        done = subprocess.run(
            [*_GIT, "ls-files", "-z", "--recurse-submodules"],
            cwd=context_dir,
            capture_output=True,
            check=False,
            env=dict(environ),
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
    return frozenset(os.fsdecode(p) for p in done.stdout.split(b"\0") if p)
