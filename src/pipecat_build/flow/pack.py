"""Step 1: choose the files, explain the choice in the log, and write the archive to a scratch
file outside the workspace (the context hash comes with it)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..archive.members import ArchiveResult
from ..errors import InputError
from ..redact import printable
from ..settings import Target
from ..units import human_bytes, human_seconds
from .tools import Tools

_SKIP = {".git", "node_modules", ".venv", "venv", "__pycache__"}


@dataclass
class Packed:
    path: Path
    archive: ArchiveResult
    report: str  # Markdown explaining what went into the context


def _dockerfiles_below(root: Path, depth: int = 3, limit: int = 5) -> list[str]:
    """Where Dockerfiles are, to suggest the `context` a user forgot."""
    found: list[str] = []
    level = [root]
    for _ in range(depth + 1):
        following = []
        for folder in level:
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name in _SKIP or entry.is_symlink():
                    continue
                if entry.is_dir():
                    following.append(entry)
                elif entry.name == "Dockerfile" or entry.name.startswith("Dockerfile."):
                    found.append(entry.relative_to(root).as_posix())
                    if len(found) >= limit:
                        return found
        level = following
    return found


def check_dockerfile(target: Target, workspace: Path) -> None:
    """A missing Dockerfile usually means a forgotten `context`: say which folders hold one."""
    if (target.context_dir / target.dockerfile).is_file():
        return
    shown = (target.context_dir / target.dockerfile).relative_to(workspace).as_posix()
    found = [f for f in _dockerfiles_below(target.context_dir) if f != target.dockerfile]
    if target.dockerfile == "Dockerfile" and found:
        folders = ", ".join(
            (target.context_dir.relative_to(workspace) / f).parent.as_posix() for f in found
        )
        raise InputError(
            "context" if not target.name else "services",
            f"no Dockerfile at {shown}; set context to the folder that holds it (found: {folders})",
        )
    hint = f" (found: {', '.join(found)})" if found else ""
    raise InputError(
        "dockerfile" if not target.name else "services",
        f"no Dockerfile at {shown}; give its path relative to the context{hint}",
    )


def pack(tools: Tools, target: Target) -> Packed:
    from ..archive.select import SelectionOptions, select_context
    from ..archive.tar_stream import write_archive

    settings, out = tools.settings, tools.out
    check_dockerfile(target, settings.workspace)
    tracked = None
    if settings.files == "tracked":
        from ..archive.git_tracked import tracked_files

        tracked = tracked_files(target.context_dir)
    options = SelectionOptions(
        ignore_rules=settings.ignore_rules,
        include_git=settings.include_git,
        secret_files=settings.secret_files,
        extra_patterns=target.extra_patterns,
        tracked_only=tracked,
    )
    started = time.monotonic()
    selection = select_context(target.context_dir, target.dockerfile, options)
    workspace_relative = target.context_dir.relative_to(settings.workspace)
    for warning in selection.warnings:
        path = getattr(warning, "file", None)
        file = printable((workspace_relative / path).as_posix()) if path else None
        out.warning(str(getattr(warning, "message", warning)), file=file)
    for notice in selection.notices:
        out.notice(notice)
    for line in selection.report.log_lines():
        out.line(line)

    path = tools.run.new_scratch_file()
    try:
        with path.open("wb") as fh:
            archive = write_archive(
                selection.members, fh, settings.compression, cancel=tools.run.cancel
            )
    except BaseException:
        tools.run.discard(path)
        raise
    elapsed = time.monotonic() - started
    out.line(
        f"packed {archive.file_count} files, {human_bytes(archive.content_bytes)} -> "
        f"{human_bytes(archive.archive_bytes)} ({settings.compression} compression) "
        f"in {human_seconds(elapsed)}; context hash {archive.context_hash}"
    )
    return Packed(path, archive, selection.report.markdown())
