"""Adapter between the settings and the pure archive core: choose the files, explain the
choice in the log, and write the archive to a scratch file outside the workspace."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from . import scratch
from .archive.members import ArchiveResult
from .reporter import Reporter
from .settings import Settings, Target
from .units import human_bytes, human_seconds


def pack_context(
    settings: Settings, target: Target, out: Reporter, cancel: threading.Event
) -> tuple[Path, ArchiveResult, str]:
    from .archive.select import SelectionOptions, select_context
    from .archive.tar_stream import write_archive

    tracked = None
    if settings.files == "tracked":
        from .archive.git_tracked import tracked_files

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
        file = (workspace_relative / path).as_posix() if path else None
        out.warning(str(getattr(warning, "message", warning)), file=file)
    for notice in selection.notices:
        out.notice(notice)
    for line in selection.report.log_lines():
        out.line(line)

    path = scratch.new_archive_path()
    try:
        with path.open("wb") as fh:
            archive = write_archive(selection.members, fh, settings.compression, cancel=cancel)
    except BaseException:
        scratch.discard(path)
        raise
    elapsed = time.monotonic() - started
    out.line(
        f"packed {archive.file_count} files, {human_bytes(archive.content_bytes)} -> "
        f"{human_bytes(archive.archive_bytes)} ({settings.compression} compression) "
        f"in {human_seconds(elapsed)}; context hash {archive.context_hash}"
    )
    return path, archive, selection.report.markdown()
