"""`docker build`'s .dockerignore rules, for `ignore-rules: docker`.

Lines are read as moby/patternmatcher's ignorefile.ReadAll does; matching is delegated to
e2b-dockerfile-utils, a port of moby/patternmatcher (chosen in docs/context.md). It is
imported lazily so the default cli rules never pay for it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .display import display_path

if TYPE_CHECKING:
    from e2b_dockerfile_utils import PatternMatcher

_BOM = "\ufeff"


def ignore_file_for(context_dir: Path, dockerfile_arcname: str) -> str | None:
    """The ignore file docker build uses: `<Dockerfile>.dockerignore` beside the Dockerfile
    wins over the context's `.dockerignore` (arcnames, or None when neither exists)."""
    specific = dockerfile_arcname + ".dockerignore"
    if (context_dir / specific).is_file():
        return specific
    if (context_dir / ".dockerignore").is_file():
        return ".dockerignore"
    return None


def read_patterns(path: Path) -> list[str]:
    """ignorefile.ReadAll: BOM stripped, `#` in column 1 is a comment, then trim, clean,
    and drop one leading `/` (keeping a leading `!`)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            "context", f"cannot read {display_path(str(path))}: {exc.strerror}"
        ) from exc
    text = raw.decode("utf-8", errors="surrogateescape")
    if text.startswith(_BOM):
        text = text[1:]
    patterns: list[str] = []
    # bufio.Scanner splits on "\n" and drops one trailing "\r".
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = _go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append(("!" if invert else "") + pattern)
    return patterns


def _go_clean(path: str) -> str:
    """Go's filepath.Clean on a slash path (posixpath keeps a leading "//"; Go does not)."""
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


@dataclass(frozen=True)
class _Single:
    pattern: str
    matcher: PatternMatcher


def _literal_hash(pattern: str) -> str:
    """` #notes.txt` is a pattern for docker build (only `#` in column 1 is a comment), but
    e2b-dockerfile-utils' matcher drops any pattern starting with `#`: escape it, as moby's
    own pattern syntax allows."""
    invert = pattern.startswith("!")
    body = pattern[1:] if invert else pattern
    if body.startswith("#"):
        body = "\\" + body
    return ("!" if invert else "") + body


class DockerRules:
    """Answers, for a path relative to the context, whether docker build leaves it out."""

    def __init__(self, patterns: list[str], source: str) -> None:
        from e2b_dockerfile_utils import PatternMatcher

        self.patterns = patterns
        self.source = source
        try:
            self._matcher = PatternMatcher([_literal_hash(p) for p in patterns])
            self._singles = [
                _Single(p, PatternMatcher([_literal_hash(p)]))
                for p in patterns
                if not p.startswith("!")
            ]
        except ValueError as exc:
            raise InputError(
                "context", f"{display_path(source)}: {display_path(str(exc))}"
            ) from exc

    def excluded_by(self, rel_path: str) -> str | None:
        """The pattern that leaves `rel_path` out (the last one matching it), or None."""
        if not self._matcher.matches(rel_path):
            return None
        for single in reversed(self._singles):
            if single.matcher.matches(rel_path):
                return single.pattern
        return self._singles[-1].pattern if self._singles else "?"

    def must_walk(self, dir_rel_path: str) -> bool:
        """Whether an excluded folder may hold paths a `!` line brings back."""
        return self._matcher.may_match_under(dir_rel_path)
