"""Reads the demo directive `# emulator: fail|timeout` from an uploaded context's Dockerfile."""

from __future__ import annotations

import posixpath
import tarfile

_DIRECTIVES = {"# emulator: fail": "failed", "# emulator: timeout": "timeout"}
_MAX_DOCKERFILE = 1024 * 1024


def _normal(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


def dockerfile_outcome(archive_path: str, dockerfile_path: str) -> str | None:
    """The outcome the Dockerfile asks for, or None (also when the archive is unreadable)."""
    wanted = _normal(dockerfile_path)
    try:
        with tarfile.open(archive_path, mode="r|gz") as tar:
            for member in tar:
                if _normal(member.name) != wanted:
                    continue
                if not member.isfile() or member.size > _MAX_DOCKERFILE:
                    return None
                handle = tar.extractfile(member)
                if handle is None:
                    return None
                text = handle.read().decode("utf-8", "replace")
                for line in text.splitlines():
                    outcome = _DIRECTIVES.get(line.strip())
                    if outcome:
                        return outcome
                return None
    except (tarfile.TarError, OSError, EOFError):
        return None
    return None
