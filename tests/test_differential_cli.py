"""Our selection + archive writer must give pcc deploy's exact bytes (and so its hash).

The oracle is pipecatcloud 1.4.0's own create_deterministic_tarball with get_exclusions.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pipecatcloud")
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

name_st = st.sampled_from(NAMES)
path_st = st.lists(name_st, min_size=1, max_size=3).map(lambda parts: "/".join(parts))


@st.composite
def trees(draw: st.DrawFn) -> dict[str, object]:
    files = draw(
        st.dictionaries(
            path_st,
            st.tuples(st.binary(max_size=300), st.booleans()),  # content, executable
            min_size=0,
            max_size=12,
        )
    )
    dockerignore = draw(
        st.none()
        | st.lists(
            st.sampled_from(PATTERNS) | st.sampled_from(["", "# comment", "  ", "#*.md"]),
            max_size=6,
        )
    )
    extra = draw(st.lists(st.sampled_from(PATTERNS), max_size=3))
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
    (root / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . /app\n")
    made: list[Path] = []
    files = spec["files"]
    assert isinstance(files, dict)
    for rel, (content, executable) in files.items():
        path = root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                continue
            path.write_bytes(content)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue  # a name used both as a file and as a folder: keep the first
        path.chmod(0o755 if executable else 0o644)
        made.append(path)
    targets = [p for p in made if p.is_file()] or [root / "Dockerfile"]
    dirs = sorted({p.parent for p in made if p.parent != root})
    for link_rel, index in spec["file_links"]:  # type: ignore[attr-defined]
        _link(root / (link_rel + ".lnk"), targets[index % len(targets)])
    for link_rel, index in spec["dir_links"]:  # type: ignore[attr-defined]
        if dirs:
            _link(root / (link_rel + ".dirlnk"), dirs[index % len(dirs)])
    if spec["git"]:
        (root / ".git").mkdir()
        (root / ".git" / "config").write_text("[http]\n\textraheader = AUTHORIZATION: x\n")
    if spec["dockerignore"] is not None:
        lines = spec["dockerignore"]
        assert isinstance(lines, list)
        (root / ".dockerignore").write_text("\n".join(lines) + "\n")


def _link(link: Path, target: Path) -> None:
    try:
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            return
        os.symlink(os.path.relpath(target, link.parent), link)
    except (FileExistsError, NotADirectoryError):
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
            return
        out = io.BytesIO()
        result = write_archive(selection.members, out, compression="cli")

        assert out.getvalue() == oracle.tarball
        assert result.context_hash == oracle.context_hash
        assert selection.report.file_count == oracle.file_count
        assert selection.content_bytes == oracle.total_size


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
