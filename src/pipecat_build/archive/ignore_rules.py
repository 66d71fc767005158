"""pcc deploy's exclusion rules (pipecatcloud 1.4.0), re-implemented so hashes match the CLI's.

The CLI excludes a path when `fnmatch.fnmatch` matches any component of its relative path,
or the whole relative path, against any pattern. There is no `!` and `**` means `*`.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

# Exactly pipecatcloud 1.4.0's DEFAULT_EXCLUSIONS (a set there: order carries no meaning).
DEFAULT_EXCLUSIONS: tuple[str, ...] = (
    ".git", ".gitignore", ".gitattributes",
    ".env", ".env.*", "*.pem", "*.key",
    "__pycache__", "*.pyc", "*.pyo", "*.pyd", "*.so", ".Python",
    ".venv", "venv", "ENV", "env",
    ".pytest_cache", ".coverage", "htmlcov", ".tox", ".nox",
    ".mypy_cache", ".ruff_cache",
    ".vscode", ".idea", "*.swp", "*.swo",
    "dist", "build", "*.egg-info", "*.egg", ".eggs",
    "node_modules",
    ".github",
    ".claude", ".codex", ".cursor",
    "pcc-deploy.toml",
    ".ipynb_checkpoints",
    ".cache",
    ".DS_Store", "Thumbs.db", "*.log",
)  # fmt: skip


def normalize_pattern(pattern: str) -> str:
    """The CLI's clean-up: strip, drop one leading "./", drop trailing "/"."""
    normalized = pattern.strip()
    if normalized.startswith("./"):
        normalized = normalized[2:]
    return normalized.rstrip("/")


def read_cli_dockerignore(context_dir: Path) -> list[str] | None:
    """Patterns of .dockerignore as the CLI reads them (file order, duplicates dropped).

    None when the file is absent or unreadable: the CLI then falls back to its defaults.
    """
    path = context_dir / ".dockerignore"
    if not path.exists():
        return None
    patterns: list[str] = []
    try:
        # Text mode with universal newlines, like the CLI's plain open().
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                stripped = line.strip()
                if not stripped or stripped.startswith("#"):
                    continue
                normalized = normalize_pattern(stripped)
                if normalized and normalized not in patterns:
                    patterns.append(normalized)
    except (OSError, UnicodeDecodeError):
        return None
    return patterns


@dataclass(frozen=True)
class PatternSource:
    """A pattern and where it came from (shown in the context report)."""

    pattern: str
    source: str


def cli_patterns(
    context_dir: Path, extra_patterns: tuple[str, ...], extra_source: str
) -> tuple[list[PatternSource], bool]:
    """The patterns in force under cli rules, and whether .dockerignore supplied them."""
    from_file = read_cli_dockerignore(context_dir)
    if from_file is not None:
        return [PatternSource(p, ".dockerignore") for p in from_file], True
    result = [PatternSource(p, "defaults") for p in DEFAULT_EXCLUSIONS]
    seen = set(DEFAULT_EXCLUSIONS)
    for extra in extra_patterns:
        normalized = normalize_pattern(extra)
        if normalized and normalized not in seen:
            seen.add(normalized)
            result.append(PatternSource(normalized, extra_source))
    return result, False


class CliRules:
    """Compiled once; `match` answers which pattern (if any) excludes a path."""

    def __init__(self, patterns: list[PatternSource]) -> None:
        self.patterns = patterns
        # fnmatch.fnmatch == fnmatchcase on POSIX (normcase is the identity there).
        self._compiled = [re.compile(fnmatch.translate(p.pattern)) for p in patterns]
        combined = "|".join(f"(?:{fnmatch.translate(p.pattern)})" for p in patterns)
        self._any = re.compile(combined) if patterns else None

    def match(self, rel_path: str, name: str) -> PatternSource | None:
        """First pattern excluding `rel_path`, whose last component is `name`.

        Callers walk top-down and never enter excluded folders, so the parent components
        are already known not to match: only the last component and the whole path are
        tested, which is what the CLI's per-component test amounts to.
        """
        if self._any is None:
            return None
        if not (self._any.match(name) or self._any.match(rel_path)):
            return None
        for pattern, regex in zip(self.patterns, self._compiled, strict=True):
            if regex.match(name) or regex.match(rel_path):
                return pattern
        return None  # pragma: no cover - the combined regex matched, so one part does

    def match_full(self, rel_path: str) -> PatternSource | None:
        """Like `match`, testing every component (for paths not reached by a walk)."""
        parts = rel_path.split("/")
        for i in range(len(parts)):
            hit = self.match("/".join(parts[: i + 1]), parts[i])
            if hit is not None:
                return hit
        return None


def unsupported_syntax(patterns: list[PatternSource]) -> list[str]:
    """Patterns using docker-only syntax that the CLI treats literally."""
    return [p.pattern for p in patterns if p.pattern.startswith("!") or "**" in p.pattern]
