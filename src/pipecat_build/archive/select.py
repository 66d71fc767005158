"""Chooses the files of the build context, as pcc deploy would, plus the safety rules on top.

Order of decisions for each path: the ignore rules (cli or docker), then `.git`, then
`files: tracked`, then what the path is (regular file, link, socket...), then secret names.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from ..errors import InputError
from .display import display_path
from .ignore_rules import CliRules, cli_patterns, unsupported_syntax
from .members import Member
from .report import ContextReport, RuleCount, SkippedEntry, human_bytes
from .secret_files import ignore_line, secret_pattern

if TYPE_CHECKING:
    from .docker_ignore import DockerRules

# A standard cache directory tag (https://bford.info/cachedir/): what the hash cache writes
# into its folder, so the folder stays out of the archive even in a run that does not name it.
CACHEDIR_TAG = "CACHEDIR.TAG"
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
CACHEDIR_SOURCE = "CACHEDIR.TAG"

GIT_NOTICE_REASON = (
    "actions/checkout writes the job's token into .git/config and .git changes on every "
    "checkout, so packing it would upload the token and make every build a cache miss; "
    "set include-git: true to pack it anyway"
)


@dataclass(frozen=True)
class SelectionOptions:
    ignore_rules: Literal["cli", "docker"] = "cli"
    include_git: bool = False
    secret_files: Literal["warn", "exclude", "fail"] = "warn"
    # pcc-deploy.toml [build.exclude] patterns: cli rules, only without .dockerignore.
    extra_patterns: tuple[str, ...] = ()
    extra_patterns_source: str = "pcc-deploy.toml"
    tracked_only: frozenset[str] | None = None  # arcnames git tracks, or None for all
    max_content_bytes: int = 500 * 1024 * 1024
    # Folders never packed, wherever they lie inside the context (the hash-cache folder):
    # left out before the ignore rules are asked, so no rule, `!` exception, include-git or
    # files: tracked brings them back. Absolute paths; a folder outside the context is moot.
    excluded_folders: tuple[Path, ...] = ()
    excluded_folders_source: str = "hash-cache"  # the input named in the report and errors


@dataclass(frozen=True)
class Warning_:
    """Shown as a ::warning:: annotation; `file` is relative to the context folder."""

    message: str
    file: str | None = None


@dataclass
class Selection:
    members: list[Member]  # sorted by arcname (code point order)
    content_bytes: int
    report: ContextReport
    warnings: list[Warning_] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


Exclusion = tuple[str, str]  # (pattern, source)


class _Rules(Protocol):
    def excluded(self, rel: str, name: str) -> Exclusion | None: ...
    def walk_excluded_dir(self, rel: str) -> bool: ...


class _CliWalkRules:
    def __init__(self, rules: CliRules) -> None:
        self.rules = rules

    def excluded(self, rel: str, name: str) -> Exclusion | None:
        hit = self.rules.match(rel, name)
        return (hit.pattern, hit.source) if hit else None

    def walk_excluded_dir(self, rel: str) -> bool:
        return False


class _DockerWalkRules:
    def __init__(self, rules: DockerRules, always_sent: set[str]) -> None:
        self.rules = rules
        self.always_sent = always_sent
        # Folders holding a file that is always sent must be walked even when excluded.
        self._ancestors: set[str] = set()
        for path in always_sent:
            parts = path.split("/")[:-1]
            self._ancestors.update("/".join(parts[: i + 1]) for i in range(len(parts)))

    def excluded(self, rel: str, name: str) -> Exclusion | None:
        if rel in self.always_sent:
            return None
        hit = self.rules.excluded_by(rel)
        return (hit, self.rules.source) if hit is not None else None

    def walk_excluded_dir(self, rel: str) -> bool:
        return rel in self._ancestors or self.rules.must_walk(rel)


@dataclass
class _Candidate:
    rel: str
    path: str
    is_symlink: bool


@dataclass
class _State:
    counts: dict[Exclusion, RuleCount] = field(default_factory=dict)
    skipped: list[SkippedEntry] = field(default_factory=list)
    tagged: list[str] = field(default_factory=list)  # folders left out by their CACHEDIR.TAG
    warnings: list[Warning_] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    never_packed: frozenset[str] = frozenset()  # absolute paths, see _never_packed
    never_packed_source: str = ""

    def count(self, exclusion: Exclusion, files: int = 0, folders: int = 0) -> None:
        rule = self.counts.setdefault(exclusion, RuleCount(exclusion[0], exclusion[1]))
        rule.files += files
        rule.folders += folders


def select_context(
    context_dir: Path, dockerfile: str, options: SelectionOptions = SelectionOptions()
) -> Selection:
    """The members of the context archive, with the report that explains them."""
    try:
        base = Path(context_dir).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (3.11, 3.12)
        raise InputError(
            "context", f"cannot resolve {display_path(str(context_dir))}: {_why(exc)}"
        ) from None
    if not base.is_dir():
        raise InputError("context", f"no folder at {display_path(str(base))}")
    df_arc = _dockerfile_arcname(base, dockerfile)
    df_full = base / df_arc
    if not df_full.exists():
        raise InputError("dockerfile", f"no Dockerfile at {display_path(str(df_full))}")
    if not df_full.is_file():
        raise InputError("dockerfile", f"{display_path(str(df_full))} is not a file")

    state = _State()
    state.never_packed = _never_packed(base, options)
    state.never_packed_source = options.excluded_folders_source
    rules, ignore_file, cli_rules = _rules_in_force(base, df_arc, options, state)

    candidates = list(_walk(base, rules, state, options.include_git))

    if not options.include_git:
        candidates = _drop_git(candidates, state)
    if options.tracked_only is not None:
        kept = [c for c in candidates if c.rel in options.tracked_only]
        dropped = len(candidates) - len(kept)
        if dropped:
            state.count(("untracked files", "files: tracked"), files=dropped)
        untracked_df = df_arc not in options.tracked_only
        if untracked_df and any(c.rel == df_arc for c in candidates):
            raise InputError(
                "dockerfile",
                f"{display_path(df_arc)} is not tracked by git, and files: tracked leaves it out",
            )
        candidates = kept

    members = _classify(base, candidates, state)
    members = _secret_files(members, options, ignore_file, state)

    if not any(m.arcname == df_arc for m in members):
        raise InputError("dockerfile", _why_dockerfile_missing(df_arc, cli_rules, state))

    members.sort(key=lambda m: m.arcname)
    total = sum(m.size for m in members)
    if total > options.max_content_bytes:
        raise InputError("context", _too_large(members, total, options.max_content_bytes))

    rule_counts = sorted(state.counts.values(), key=lambda r: -(r.files + r.folders))
    report = ContextReport.build(
        [(m.arcname, m.size) for m in members],
        options.ignore_rules,
        ignore_file,
        rule_counts,
        state.skipped,
    )
    return Selection(members, total, report, state.warnings, state.notices)


def _dockerfile_arcname(base: Path, dockerfile: str) -> str:
    given = Path(dockerfile)
    if given.is_absolute():
        try:
            given = given.resolve().relative_to(base)
        except (OSError, RuntimeError) as exc:
            raise InputError(
                "dockerfile", f"cannot resolve {display_path(dockerfile)}: {_why(exc)}"
            ) from None
        except ValueError:
            raise InputError(
                "dockerfile",
                f"{display_path(dockerfile)} is outside the context folder "
                f"{display_path(str(base))}",
            ) from None
    arc = posixpath.normpath(given.as_posix())
    if arc in (".", "") or arc == ".." or arc.startswith("../"):
        raise InputError(
            "dockerfile",
            f"{display_path(dockerfile)} is not a file inside the context "
            f"{display_path(str(base))}",
        )
    return arc


def _rules_in_force(
    base: Path, df_arc: str, options: SelectionOptions, state: _State
) -> tuple[_Rules, str | None, CliRules | None]:
    for ignore_name in (".dockerignore", df_arc + ".dockerignore"):
        _refuse_link_outside(base, ignore_name)
    if options.ignore_rules == "docker":
        from .docker_ignore import DockerRules, ignore_file_for, read_patterns

        ignore_file = ignore_file_for(base, df_arc)
        lines = read_patterns(base / ignore_file) if ignore_file else []
        docker = DockerRules(lines, ignore_file or ".dockerignore")
        always = {df_arc}
        for name in (".dockerignore", ignore_file):
            if name and (base / name).is_file():
                always.add(name)
        if options.extra_patterns:
            state.notices.append(
                f"{options.extra_patterns_source} [build.exclude] patterns are not used with "
                "ignore-rules: docker; put them in .dockerignore"
            )
        return _DockerWalkRules(docker, always), ignore_file, None

    patterns, from_file = cli_patterns(base, options.extra_patterns, options.extra_patterns_source)
    if from_file:
        odd = unsupported_syntax(patterns)
        if odd:
            state.warnings.append(
                Warning_(
                    ".dockerignore uses "
                    + ", ".join(repr(p) for p in odd)
                    + ": pcc deploy's rules (ignore-rules: cli) ignore `!` exceptions and "
                    "read `**` as `*`, unlike docker build; set ignore-rules: docker to "
                    "apply them as docker build does",
                    ".dockerignore",
                )
            )
        if options.extra_patterns:
            state.notices.append(
                f"{options.extra_patterns_source} [build.exclude] patterns are not used "
                "because .dockerignore exists (pcc deploy does the same)"
            )
    cli = CliRules(patterns)
    return _CliWalkRules(cli), (".dockerignore" if from_file else None), cli


def _refuse_link_outside(base: Path, name: str) -> None:
    """An ignore file that is a symbolic link resolving outside the context is refused, as a
    Dockerfile or any packed link is: reading it would read a file of the runner."""
    path = base / name
    if not path.is_symlink():
        return
    target = Path(os.path.realpath(path))
    if target != base and base not in target.parents:
        raise InputError(
            "context",
            f"{display_path(name)} is a symbolic link to {display_path(str(target))}, outside "
            "the context; replace it with the file itself",
        )


def _walk(base: Path, rules: _Rules, state: _State, include_git: bool) -> Iterator[_Candidate]:
    """Every path the rules keep, top-down, without following links to folders."""
    stack: list[tuple[str, str]] = [("", str(base))]
    while stack:
        rel_dir, abs_dir = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except OSError as exc:
            shown = display_path(rel_dir) if rel_dir else "."
            raise InputError("context", f"cannot read the folder {shown}: {exc.strerror}") from exc
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if entry.path in state.never_packed:
                state.count((rel, state.never_packed_source), folders=1)
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:  # a link loop: os.walk (pcc deploy) takes it for a file too
                is_dir = False
            hit = rules.excluded(rel, name)
            if is_dir:
                if hit is None and entry.is_symlink():
                    if name != ".git" or include_git:
                        state.skipped.append(SkippedEntry(rel, "symbolic link to a folder"))
                        shown = display_path(rel)
                        state.warnings.append(
                            Warning_(
                                f"{shown} is a symbolic link to a folder and is left out of the "
                                "context (pcc deploy does the same); copy the folder instead "
                                "if the image needs it",
                                shown,
                            )
                        )
                    continue
                if hit is not None and (entry.is_symlink() or not rules.walk_excluded_dir(rel)):
                    state.count(hit, folders=1)
                    continue
                if _is_tagged_cache(entry.path):
                    state.count((rel, CACHEDIR_SOURCE), folders=1)
                    state.tagged.append(rel)
                    state.notices.append(
                        f"{display_path(rel)} is left out of the context, as it holds a "
                        f"{CACHEDIR_TAG} (a cache folder, such as the hash cache's); pcc "
                        "deploy would pack it, so the context hash differs from pcc deploy's"
                    )
                    continue
                stack.append((rel, entry.path))
            elif hit is not None:
                state.count(hit, files=1)
            else:
                yield _Candidate(rel, entry.path, entry.is_symlink())


def _is_tagged_cache(folder: str) -> bool:
    """Whether `folder` holds a valid CACHEDIR.TAG: a regular file (not a link) that starts
    with the standard signature."""
    path = os.path.join(folder, CACHEDIR_TAG)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        return os.read(fd, len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False
    finally:
        os.close(fd)


def _drop_git(candidates: list[_Candidate], state: _State) -> list[_Candidate]:
    kept: list[_Candidate] = []
    dropped = 0
    for c in candidates:
        if ".git" in c.rel.split("/"):
            dropped += 1
        else:
            kept.append(c)
    if dropped:
        state.count((".git", "include-git"), files=dropped)
        state.notices.append(
            f".git left out of the context ({dropped} file{'s' if dropped != 1 else ''} the "
            f"ignore rules would have packed): {GIT_NOTICE_REASON}"
        )
    return kept


def _classify(base: Path, candidates: list[_Candidate], state: _State) -> list[Member]:
    members: list[Member] = []
    base_prefix = str(base).rstrip("/") + "/"
    for c in candidates:
        shown = display_path(c.rel)
        try:
            st = os.stat(c.path)
        except OSError as exc:
            if c.is_symlink:
                target = display_path(_readlink(c.path))
                if exc.errno == errno.ELOOP:
                    raise InputError(
                        "context",
                        f"symbolic link {shown} -> {target} never reaches a file: it is part "
                        f"of a loop of links ({exc.strerror}); remove it or exclude it in "
                        ".dockerignore",
                    ) from exc
                raise InputError(
                    "context",
                    f"broken symbolic link {shown} -> {target} ({exc.strerror}); "
                    "remove it or exclude it in .dockerignore",
                ) from exc
            raise InputError("context", f"cannot read {shown}: {exc.strerror}") from exc
        kind = _special_kind(st.st_mode)
        if kind is not None:
            state.skipped.append(SkippedEntry(c.rel, kind))
            state.warnings.append(
                Warning_(
                    f"{shown} is a {kind}, not a regular file; left out of the context",
                    shown,
                )
            )
            continue
        if c.is_symlink:
            target = os.path.realpath(c.path)
            if state.never_packed and _inside_any(target, state.never_packed):
                state.count((c.rel, state.never_packed_source), files=1)
                continue
            if not target.startswith(base_prefix):
                raise InputError(
                    "context",
                    f"symbolic link {shown} points outside the context, to "
                    f"{display_path(target)}; "
                    "pcc deploy would upload that file's content, which can leak files of the "
                    "runner: remove the link or exclude it in .dockerignore",
                )
        if not os.access(c.path, os.R_OK):
            raise InputError("context", f"cannot read {shown}: permission denied")
        # Same test as the CLI (executable for the running user); no x bit means no one.
        executable = bool(st.st_mode & 0o111) and os.access(c.path, os.X_OK)
        members.append(Member(c.rel, Path(c.path), st.st_size, 0o755 if executable else 0o644))
    return members


def _why(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return "a loop of symbolic links"  # pathlib's RuntimeError("Symlink loop from ...")


def _never_packed(base: Path, options: SelectionOptions) -> frozenset[str]:
    """The excluded folders that lie inside the context, as the walk spells paths (under the
    resolved base), both as given (a link to a folder is left out by name) and resolved."""
    base_text = str(base)
    base_prefix = base_text.rstrip("/") + "/"
    found: set[str] = set()
    for folder in options.excluded_folders:
        for form in (os.path.abspath(folder), os.path.realpath(folder)):
            if form == base_text:
                raise InputError(
                    options.excluded_folders_source,
                    f"{display_path(str(folder))} is the context folder itself; choose a "
                    "folder outside the context, or a subfolder of it",
                )
            if form.startswith(base_prefix):
                found.add(form)
    return frozenset(found)


def _inside_any(path: str, folders: frozenset[str]) -> bool:
    return any(path == folder or path.startswith(folder + "/") for folder in folders)


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _secret_files(
    members: list[Member],
    options: SelectionOptions,
    ignore_file: str | None,
    state: _State,
) -> list[Member]:
    flagged = [(m, p) for m in members if (p := secret_pattern(m.arcname)) is not None]
    if not flagged:
        return members
    names = [m.arcname for m, _ in flagged]
    if options.secret_files == "fail":
        shown = ", ".join(display_path(n) for n in names[:10]) + (
            f" and {len(names) - 10} more" if len(names) > 10 else ""
        )
        raise InputError(
            "secret-files",
            f"the context would upload files that look like secrets: {shown}; exclude them "
            "in .dockerignore, or set secret-files: exclude (or warn)",
        )
    if options.secret_files == "exclude":
        for _, pattern in flagged:
            state.count((pattern, "secret-files"), files=1)
        state.notices.append(
            f"Left {len(names)} secret-looking file{'s' if len(names) != 1 else ''} out of the "
            f"context (secret-files: exclude): {', '.join(display_path(n) for n in names)}"
        )
        dropped = set(names)
        return [m for m in members if m.arcname not in dropped]
    for member, pattern in flagged:
        line = ignore_line(member.arcname)
        if options.ignore_rules == "cli" and ignore_file is None:
            where = (
                f"add `{line}` to [build.exclude] patterns in {options.extra_patterns_source} "
                "(a new .dockerignore would replace pcc deploy's default exclusions)"
            )
        else:
            where = f"add the line `{line}` to {ignore_file or '.dockerignore'}"
        shown = display_path(member.arcname)
        state.warnings.append(
            Warning_(
                f"{shown} looks like a secret ({pattern}) and will be uploaded in the "
                f"build context; if the image does not need it, {where}, or set "
                "secret-files: exclude",
                shown,
            )
        )
    return members


def _why_dockerfile_missing(df_arc: str, cli_rules: CliRules | None, state: _State) -> str:
    if cli_rules is not None:
        hit = cli_rules.match_full(df_arc)
        if hit is not None:
            return (
                f"{display_path(df_arc)} is excluded by the pattern "
                f"'{display_path(hit.pattern)}' from {display_path(hit.source)}; "
                "remove that pattern so the build service receives the Dockerfile"
            )
    for skipped in state.skipped:
        if df_arc == skipped.path or df_arc.startswith(skipped.path + "/"):
            return (
                f"{display_path(df_arc)} is not packed: {display_path(skipped.path)} "
                f"is a {skipped.kind}"
            )
    for folder in state.tagged:
        if df_arc.startswith(folder + "/"):
            return (
                f"{display_path(df_arc)} is not packed: {display_path(folder)} holds a "
                f"{CACHEDIR_TAG} (a cache folder); move the Dockerfile or remove the tag"
            )
    return f"{display_path(df_arc)} is not packed into the context; check the ignore rules"


def _too_large(members: list[Member], total: int, limit: int) -> str:
    tops: dict[str, int] = {}
    for m in members:
        key = m.arcname.split("/", 1)[0] + ("/" if "/" in m.arcname else "")
        tops[key] = tops.get(key, 0) + m.size
    largest = sorted(tops.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    listed = ", ".join(f"{display_path(name)} ({human_bytes(size)})" for name, size in largest)
    over = "over"
    if human_bytes(total) == human_bytes(limit):  # "500.0 MiB, over the 500.0 MiB limit"
        excess = total - limit
        over = f"{excess:,} byte{'' if excess == 1 else 's'} over"
    return (
        f"the context holds {human_bytes(total)} of files, {over} the {human_bytes(limit)} "
        f"limit; largest: {listed}; exclude what the image does not need in .dockerignore"
    )
