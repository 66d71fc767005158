"""Reads the Dockerfile of an uploaded context, and the demo directives it may carry.

`# emulator: fail` / `# emulator: timeout` decide a build's outcome; `# emulator: crash`
makes every deployment of the resulting image crash at start.
"""

from __future__ import annotations

import posixpath
import tarfile

_OUTCOMES = {"# emulator: fail": "failed", "# emulator: timeout": "timeout"}
CRASH_DIRECTIVE = "# emulator: crash"
_MAX_DOCKERFILE = 1024 * 1024


def _normal(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


def read_dockerfile(archive_path: str, dockerfile_path: str) -> str | None:
    """The Dockerfile's text, or None when the archive or the file is unreadable."""
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
                return handle.read().decode("utf-8", "replace")
    except (tarfile.TarError, OSError, EOFError):
        return None
    return None


def outcome_directive(text: str) -> str | None:
    """The build outcome the Dockerfile asks for (first directive wins), or None."""
    for line in text.splitlines():
        outcome = _OUTCOMES.get(line.strip())
        if outcome:
            return outcome
    return None


def asks_to_crash(text: str) -> bool:
    return any(line.strip() == CRASH_DIRECTIVE for line in text.splitlines())


def dockerfile_outcome(archive_path: str, dockerfile_path: str) -> str | None:
    """The outcome the Dockerfile asks for, or None (also when the archive is unreadable)."""
    text = read_dockerfile(archive_path, dockerfile_path)
    return outcome_directive(text) if text is not None else None


def instructions(text: str) -> list[str]:
    """The Dockerfile's instructions as `docker build` echoes them: continuations joined,
    comments and blank lines left out."""
    steps: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        steps.append((pending + line).strip())
        pending = ""
    if pending.strip():
        steps.append(pending.strip())
    return steps
