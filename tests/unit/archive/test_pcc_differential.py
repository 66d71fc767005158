"""Our selection + archive writer must give pcc deploy's exact bytes (and so its hash).

The oracle is pipecatcloud 1.4.0's own create_deterministic_tarball with get_exclusions.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions

from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.archive.tar_stream import write_archive
from pipecat_build.errors import InputError

# Names that hit the default exclusions, plain names, long and non-ASCII ones.
NAMES = [
    "src", "app.py", "lib", "data.bin", "README.md", "node_modules", "x.pyc", ".env.local",
    ".env.example", "build", "dist", "server.log", "venv", "notes.txt", "key.pem", "run.sh",
    "café", "日本語.txt", "ß-dir", "a" * 120, "d" + "é" * 60, ".hidden", "empty",
    "__pycache__", "pkg.egg-info", "tmp", "[x]", "star*name",
]  # fmt: skip
PATTERNS = [
    "*.md", "tmp", "src/*.py", "*.txt", "lib", "./data.bin", "build/", "**/*.bin", "!README.md",
    "ca*", "*/empty", "n?tes.txt", "[x]", "src", "*.sh", "日本語.txt", ".hidden", "/src",
]  # fmt: skip
# Patterns that leave the Dockerfile out (we refuse; pcc deploy packs an archive without it).
DOCKERFILE_PATTERNS = ["Dockerfile", "Docker*", "*file", "D?ckerfile", "[D]ockerfile", "*"]
# Pieces of generated names: what file systems allow and people (or unzip) leave behind:
# spaces, tabs, newlines, backslashes, Latin-1 bytes that are not UTF-8, a leading `#` or
# `-`, glob characters, multi-byte UTF-8.
PIECES = [
    b"a", b"b", b"Z", b"0", b".", b"-", b"_", b" ", b"\t", b"\n", b"\r", b"\\", b"#", b"*",
    b"?", b"[", b"]", b"!", b"|", b"'", b"~", b"\xe9", b"\xff", b"\x85", b"caf\xe9.txt",
    "é".encode(), "日".encode(), b".py", b".log",
]  # fmt: skip

EXAMPLES = 150  # ~15 ms each

generated_st = (
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=6)
    .map(b"".join)
    .filter(lambda b: b not in (b".", b".."))
)
name_st = st.one_of(st.sampled_from([n.encode() for n in NAMES]), generated_st)
path_st = st.lists(name_st, min_size=1, max_size=3).map(b"/".join)
# .dockerignore lines are bytes (not always UTF-8: then both sides fall back to defaults).
line_st = st.one_of(
    st.sampled_from([p.encode() for p in PATTERNS + DOCKERFILE_PATTERNS]),
    st.sampled_from([b"", b"# comment", b"  ", b"#*.md", b"-x", b"\\#x"]),
    generated_st,
    generated_st.map(lambda b: b + b"*"),
    generated_st.map(lambda b: b"*" + b),
)
extra_st = st.one_of(
    st.sampled_from(PATTERNS + DOCKERFILE_PATTERNS),
    generated_st.map(lambda b: b.decode("utf-8", "replace")),  # pcc-deploy.toml is UTF-8
)


@st.composite
def trees(draw: st.DrawFn) -> dict[str, object]:
    files = draw(
        st.dictionaries(
            path_st,
            st.tuples(st.binary(max_size=300), st.booleans()),  # content, executable
            min_size=0,
            max_size=16,
        )
    )
    dockerignore = draw(st.none() | st.lists(line_st, max_size=6))
    extra = draw(st.lists(extra_st, max_size=3))
    file_links = draw(st.lists(st.tuples(path_st, st.integers(0, 50)), max_size=3))
    dir_links = draw(st.lists(st.tuples(path_st, st.integers(0, 50)), max_size=2))
    git = draw(st.booleans())
    return {
        "files": files,
        "dockerignore": dockerignore,
        "extra": extra,
        "file_links": file_links,
        "dir_links": dir_links,
        "git": git,
    }


def _build(root: Path, spec: dict[str, object]) -> None:
    """Make the tree with bytes paths, so names need not be UTF-8."""
    (root / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . /app\n")
    base = os.fsencode(root)
    made: list[bytes] = []
    files = spec["files"]
    assert isinstance(files, dict)
    for rel, (content, executable) in files.items():
        path = os.path.join(base, rel)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.lexists(path):
                continue
            with open(path, "wb") as fh:
                fh.write(content)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue  # a name used both as a file and as a folder: keep the first
        os.chmod(path, 0o755 if executable else 0o644)
        made.append(path)
    targets = [p for p in made if os.path.isfile(p)] or [os.path.join(base, b"Dockerfile")]
    dirs = sorted({os.path.dirname(p) for p in made if os.path.dirname(p) != base})
    for link_rel, index in spec["file_links"]:  # type: ignore[attr-defined]
        _link(os.path.join(base, link_rel + b".lnk"), targets[index % len(targets)])
    for link_rel, index in spec["dir_links"]:  # type: ignore[attr-defined]
        if dirs:
            _link(os.path.join(base, link_rel + b".dirlnk"), dirs[index % len(dirs)])
    if spec["git"]:
        (root / ".git").mkdir(exist_ok=True)
        if (root / ".git").is_dir():
            (root / ".git" / "config").write_text("[http]\n\textraheader = AUTHORIZATION: x\n")
    if spec["dockerignore"] is not None:
        lines = spec["dockerignore"]
        assert isinstance(lines, list)
        (root / ".dockerignore").write_bytes(b"\n".join(lines) + b"\n")


def _link(link: bytes, target: bytes) -> None:
    try:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            return
        os.symlink(os.path.relpath(target, os.path.dirname(link)), link)
    except (FileExistsError, NotADirectoryError):
        pass


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_same_bytes_as_pcc_deploy(spec: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ctx"
        root.mkdir()
        _build(root, spec)
        extra = list(spec["extra"])  # type: ignore[call-overload]
        oracle = create_deterministic_tarball(str(root), get_exclusions(root, extra))

        options = SelectionOptions(include_git=True, extra_patterns=tuple(extra))
        try:
            selection = select_context(root, "Dockerfile", options)
        except InputError as exc:
            # We refuse a Dockerfile the rules leave out; pcc deploy packs an archive
            # without it, so the remote build could only fail.
            assert exc.input_name == "dockerfile"
            assert "excluded by the pattern" in str(exc)
            assert not _has_member(oracle.tarball, "Dockerfile")
            event("Dockerfile excluded")
            return
        out = io.BytesIO()
        result = write_archive(selection.members, out, compression="cli")

        assert out.getvalue() == oracle.tarball
        for kind, found in _kinds([m.arcname for m in selection.members]).items():
            if found:
                event(f"packed a name with {kind}")
        assert result.context_hash == oracle.context_hash
        assert selection.report.file_count == oracle.file_count
        assert selection.content_bytes == oracle.total_size


def _kinds(arcnames: list[str]) -> dict[str, bool]:
    """What the awkward names of an example hold (reported by --hypothesis-show-statistics)."""
    raw = [os.fsencode(a) for a in arcnames]
    return {
        "bytes that are not UTF-8": any(not _is_utf8(r) for r in raw),
        "a newline or tab": any(b"\n" in r or b"\t" in r for r in raw),
        "a space": any(b" " in r for r in raw),
        "a backslash": any(b"\\" in r for r in raw),
        "a leading # or -": any(r.rsplit(b"/", 1)[-1][:1] in (b"#", b"-") for r in raw),
    }


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _has_member(tarball: bytes, name: str) -> bool:
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        return name in tar.getnames()


def test_default_run_without_include_git_matches_when_defaults_exclude_git(tmp_path: Path) -> None:
    """With pcc deploy's defaults .git is already excluded, so leaving it out changes nothing."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("token")
    (tmp_path / "app.py").write_text("print(1)\n")
    oracle = create_deterministic_tarball(str(tmp_path), get_exclusions(tmp_path, None))
    selection = select_context(tmp_path, "Dockerfile")
    out = io.BytesIO()
    write_archive(selection.members, out)
    assert out.getvalue() == oracle.tarball
    assert not selection.notices
