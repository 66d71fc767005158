"""Explains the context: what goes in, what is biggest, and which rule left out what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..units import human_bytes
from .display import display_path, markdown_path, markdown_text

__all__ = ["ContextReport", "RuleCount", "SkippedEntry", "human_bytes"]

TOP_FILES = 10


@dataclass
class RuleCount:
    """How much one pattern (or built-in rule) removed. With cli rules an excluded folder
    is never entered, so it counts as one folder whatever it holds."""

    pattern: str
    source: str  # ".dockerignore", "defaults", "pcc-deploy.toml", "include-git", ...
    files: int = 0
    folders: int = 0


@dataclass(frozen=True)
class SkippedEntry:
    path: str
    kind: str  # "socket", "FIFO", "device", "symbolic link to a folder"


@dataclass(frozen=True)
class FolderSize:
    name: str
    files: int
    bytes: int


@dataclass
class ContextReport:
    file_count: int
    content_bytes: int
    ignore_rules: str  # "cli" or "docker"
    ignore_file: str | None  # the ignore file in force, if any
    largest_files: list[tuple[str, int]] = field(default_factory=list)
    top_folders: list[FolderSize] = field(default_factory=list)
    rules: list[RuleCount] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        sizes: list[tuple[str, int]],
        ignore_rules: str,
        ignore_file: str | None,
        rules: list[RuleCount],
        skipped: list[SkippedEntry],
    ) -> ContextReport:
        largest = sorted(sizes, key=lambda item: (-item[1], item[0]))[:TOP_FILES]
        folders: dict[str, list[int]] = {}
        for arcname, size in sizes:
            if "/" in arcname:
                totals = folders.setdefault(arcname.split("/", 1)[0] + "/", [0, 0])
                totals[0] += 1
                totals[1] += size
        top = sorted(
            (FolderSize(name, n, b) for name, (n, b) in folders.items()),
            key=lambda f: (-f.bytes, f.name),
        )
        return cls(
            file_count=len(sizes),
            content_bytes=sum(size for _, size in sizes),
            ignore_rules=ignore_rules,
            ignore_file=ignore_file,
            largest_files=largest,
            top_folders=top,
            rules=[r for r in rules if r.files or r.folders],
            skipped=skipped,
        )

    @property
    def summary(self) -> str:
        return f"Context: {self.file_count} files, {human_bytes(self.content_bytes)}"

    def _rules_heading(self, show: Callable[[str], str] = display_path) -> str:
        names = {"cli": "pcc deploy's rules", "docker": "docker build's rules"}
        used = f" from {show(self.ignore_file)}" if self.ignore_file else ""
        return f"Ignore rules: {names.get(self.ignore_rules, show(self.ignore_rules))}{used}"

    def log_lines(self) -> list[str]:
        """Plain lines for a log group."""
        lines = [self.summary, self._rules_heading()]
        if self.largest_files:
            lines.append(f"Largest files (top {len(self.largest_files)}):")
            lines += [f"  {human_bytes(s):>10}  {display_path(p)}" for p, s in self.largest_files]
        if self.top_folders:
            lines.append("Top-level folders:")
            lines += [
                f"  {human_bytes(f.bytes):>10}  {display_path(f.name)} ({_plural(f.files, 'file')})"
                for f in self.top_folders
            ]
        if self.rules:
            lines.append("Left out:")
            lines += [
                f"  {_removed(r)} by '{display_path(r.pattern)}' ({display_path(r.source)})"
                for r in self.rules
            ]
        else:
            lines.append("Left out: nothing")
        if self.skipped:
            lines.append("Skipped (not regular files):")
            lines += [f"  {display_path(s.path)} ({s.kind})" for s in self.skipped]
        return lines

    def markdown(self) -> str:
        """A collapsed section for the job summary."""
        out = [
            f"<details><summary>{self.summary}</summary>",
            "",
            self._rules_heading(markdown_text),
            "",
        ]
        if self.largest_files:
            out += ["| Largest files | Size |", "| --- | ---: |"]
            out += [f"| {markdown_path(p)} | {human_bytes(s)} |" for p, s in self.largest_files]
            out.append("")
        if self.top_folders:
            out += ["| Top-level folder | Files | Size |", "| --- | ---: | ---: |"]
            out += [
                f"| {markdown_path(f.name)} | {f.files} | {human_bytes(f.bytes)} |"
                for f in self.top_folders
            ]
            out.append("")
        if self.rules:
            out += ["| Left out by | Source | Files | Folders |", "| --- | --- | ---: | ---: |"]
            out += [
                f"| {markdown_path(r.pattern)} | {markdown_text(r.source)} | {r.files} "
                f"| {r.folders} |"
                for r in self.rules
            ]
            out.append("")
        if self.skipped:
            out += ["| Skipped | Kind |", "| --- | --- |"]
            out += [f"| {markdown_path(s.path)} | {markdown_text(s.kind)} |" for s in self.skipped]
            out.append("")
        out.append("</details>")
        return "\n".join(out) + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _removed(rule: RuleCount) -> str:
    parts = []
    if rule.files:
        parts.append(_plural(rule.files, "file"))
    if rule.folders:
        parts.append(_plural(rule.folders, "folder"))
    return " and ".join(parts)
