"""Step 1: choose the files, explain the choice in the log, and learn the context hash: from a
hash cache that remembers this exact tar stream (no compression), or by writing the archive
to a scratch file outside the workspace."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..archive.hash_cache import HashCache, cache_key
from ..archive.members import ArchiveResult
from ..archive.select import Selection
from ..config import Target
from ..errors import InputError
from ..redact import printable
from ..units import human_bytes, human_seconds
from .tools import Tools

_SKIP = {".git", "node_modules", ".venv", "venv", "__pycache__"}


@dataclass(frozen=True)
class Packed:
    """A context's identity, and its archive once one was written (a remembered hash needs
    none until an upload does: `ensure_archive` returns the packed context with one)."""

    report: str  # Markdown explaining what went into the context
    context_hash: str
    archive_bytes: int
    file_count: int
    path: Path | None = None
    archive: ArchiveResult | None = None
    selection: Selection | None = None
    cache: HashCache | None = None


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
            target.input_for("context"),
            f"no Dockerfile at {shown}; set context to the folder that holds it (found: {folders})",
        )
    hint = f" (found: {', '.join(found)})" if found else ""
    raise InputError(
        target.input_for("dockerfile"),
        f"no Dockerfile at {shown}; give its path relative to the context{hint}",
    )


def _select(tools: Tools, target: Target) -> Selection:
    from ..archive.select import SelectionOptions, select_context

    settings, out = tools.settings, tools.out
    check_dockerfile(target, settings.workspace)
    tracked = None
    if settings.files == "tracked":
        from ..archive.git_tracked import tracked_files

        tracked = tracked_files(
            target.context_dir, tools.runtime.git_environ, settings.workspace
        )
    options = SelectionOptions(
        ignore_rules=settings.ignore_rules,
        include_git=settings.include_git,
        secret_files=settings.secret_files,
        extra_patterns=target.extra_patterns,
        tracked_only=tracked,
        excluded_folders=(settings.hash_cache,) if settings.hash_cache else (),
    )
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
    return selection


def pack(tools: Tools, target: Target) -> Packed:
    """The context's hash, cheaply when a hash cache remembers this exact tar stream (then
    nothing is compressed yet: `ensure_archive` does it only if an upload is needed)."""
    settings, out = tools.settings, tools.out
    started = tools.run.clock()
    selection = _select(tools, target)
    cache = (
        HashCache(settings.hash_cache, key=cache_key(settings.api_key))
        if settings.hash_cache
        else None
    )
    if cache is not None:
        from ..archive.stream_digest import digest_stream

        digest = digest_stream(selection.members, settings.compression, cancel=tools.run.cancel)
        remembered = cache.recall(digest.key)
        if remembered is not None:
            out.line(
                f"recognised {digest.file_count} files, {human_bytes(digest.content_bytes)} in "
                f"{human_seconds(tools.run.clock() - started)} without compressing; remembered "
                f"context hash {remembered.context_hash}"
            )
            return Packed(
                selection.report.markdown(),
                remembered.context_hash,
                remembered.archive_bytes,
                digest.file_count,
                selection=selection,
                cache=cache,
            )
    packed = Packed(selection.report.markdown(), "", 0, 0, selection=selection, cache=cache)
    return ensure_archive(tools, packed, started)


def ensure_archive(tools: Tools, packed: Packed, started: float | None = None) -> Packed:
    """`packed` with its archive on disk (written now if it was not); a remembered hash is
    checked against the real one (a wrong hash is corrected, with a warning) and remembered."""
    from ..archive.tar_stream import write_archive

    if packed.path is not None:
        return packed
    settings, out = tools.settings, tools.out
    started = tools.run.clock() if started is None else started
    assert packed.selection is not None
    path = tools.run.new_scratch_file()
    try:
        with path.open("wb") as fh:
            archive = write_archive(
                packed.selection.members, fh, settings.compression, cancel=tools.run.cancel
            )
    except BaseException:
        tools.run.discard(path)
        raise
    out.line(
        f"packed {archive.file_count} files, {human_bytes(archive.content_bytes)} -> "
        f"{human_bytes(archive.archive_bytes)} ({settings.compression} compression) "
        f"in {human_seconds(tools.run.clock() - started)}; context hash {archive.context_hash}"
    )
    if packed.context_hash and packed.context_hash != archive.context_hash:
        out.warning(
            f"hash-cache remembered context hash {packed.context_hash}, but the archive's is "
            f"{archive.context_hash}; using the real one and correcting the cache"
        )
    if packed.cache is not None:
        problem = packed.cache.remember(
            archive.stream_key, archive.context_hash, archive.archive_bytes
        )
        if problem:
            out.warning(problem)
    return dataclasses.replace(
        packed,
        path=path,
        archive=archive,
        context_hash=archive.context_hash,
        archive_bytes=archive.archive_bytes,
        file_count=archive.file_count,
    )
