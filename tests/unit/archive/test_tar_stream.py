"""The archive writer against the official CLI's function: same bytes, same hash, any tree."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipecatcloud._utils.build_utils import create_deterministic_tarball

from pipecat_build.archive.members import Member
from pipecat_build.archive.tar_stream import write_archive, write_archive_tuned


def cli_members(root: Path) -> list[Member]:
    """The member list as `pcc deploy` walks it: os.walk sorted, no exclusions."""
    found: list[Member] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            found.append(Member(path.relative_to(root).as_posix(), path, path.stat().st_size, mode))
    found.sort(key=lambda m: m.arcname)
    return found


def oracle(root: Path) -> bytes:
    return create_deterministic_tarball(str(root), set(), ".").tarball


def ours(root: Path, compression: str = "cli", chunk_size: int | None = None) -> bytes:
    out = io.BytesIO()
    kind = "fast" if compression == "fast" else "cli"
    if chunk_size is None:
        result = write_archive(cli_members(root), out, kind)
    else:
        result = write_archive_tuned(cli_members(root), out, kind, chunk_size=chunk_size)
    data = out.getvalue()
    assert result.archive_bytes == len(data)
    assert result.md5_hex == hashlib.md5(data).hexdigest()
    return data


# Names: ASCII, non-ASCII (PAX "path" record), long ones (over the 100-byte ustar field).
_segment = st.one_of(
    st.text(alphabet="abcXYZ019._- ", min_size=1, max_size=12),
    st.text(alphabet="éßøñ漢字ü😀", min_size=1, max_size=6),
    st.text(alphabet="abcdefghij", min_size=60, max_size=110),
).filter(lambda s: s not in (".", "..") and len(s.encode()) < 250)
_sizes = st.one_of(
    st.sampled_from([0, 1, 511, 512, 513, 4095, 4096, 4097, 10240]),
    st.integers(0, 70_000),
)
_file = st.tuples(st.lists(_segment, min_size=1, max_size=3), _sizes, st.booleans(), st.binary())
_tree = st.lists(_file, min_size=1, max_size=12)


def build_tree(root: Path, spec: list[tuple[list[str], int, bool, bytes]]) -> None:
    for parts, size, executable, seed in spec:
        path = root.joinpath(*parts)
        if any(p.exists() and not p.is_dir() for p in path.parents) or path.is_dir():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        pattern = seed or b"x"
        path.write_bytes((pattern * (size // len(pattern) + 1))[:size])
        path.chmod(0o755 if executable else 0o644)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_tree, chunk_size=st.sampled_from([512, 4096, 7000, 1 << 20]))
def test_cli_bytes_equal_pcc_deploy(tmp_path_factory: pytest.TempPathFactory, tree, chunk_size):
    root = tmp_path_factory.mktemp("ctx")
    build_tree(root, tree)
    assert ours(root, chunk_size=chunk_size) == oracle(root)


def test_cli_bytes_equal_pcc_deploy_on_large_files(tmp_path: Path) -> None:
    """Files larger than the 1 MiB buffers, incompressible and compressible, plus small ones."""
    rng = __import__("random").Random(7)
    (tmp_path / "big.bin").write_bytes(rng.randbytes(2_500_000))
    (tmp_path / "big.txt").write_bytes(b"def f(x):\n    return x * 2\n" * 90_000)
    for i in range(300):
        (tmp_path / "pkg" / f"m{i:03d}.py").parent.mkdir(exist_ok=True)
        (tmp_path / "pkg" / f"m{i:03d}.py").write_text(f"VALUE_{i} = {i!r}\n" * (i % 17))
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    assert ours(tmp_path) == oracle(tmp_path)


def test_result_counts_content_and_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"12345")
    (tmp_path / "b").write_bytes(b"")
    out = io.BytesIO()
    result = write_archive(cli_members(tmp_path), out)
    assert (result.content_bytes, result.file_count) == (5, 2)
    assert result.context_hash == hashlib.md5(oracle(tmp_path)).hexdigest()[:16]


def test_accepts_any_iterable_and_reports_progress(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 300_000)
    (tmp_path / "b").write_bytes(b"y" * 300_000)
    calls: list[tuple[int, int]] = []
    out = io.BytesIO()
    write_archive_tuned(
        iter(cli_members(tmp_path)),
        out,
        chunk_size=4096,
        on_progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (600_000, 0)  # a generator has no known total
    assert out.getvalue() == oracle(tmp_path)
    listed = cli_members(tmp_path)
    calls.clear()
    write_archive(listed, io.BytesIO(), on_progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (600_000, 600_000)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_empty_context_is_a_valid_empty_archive(tmp_path: Path) -> None:
    data = ours(tmp_path)
    assert data == oracle(tmp_path)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getmembers() == []


def test_extracted_files_match_the_context(tmp_path: Path) -> None:
    src = tmp_path / "src"
    build_tree(
        src, [(["dir", "ünï.txt"], 3000, False, b"ab"), (["x" * 120, "y.sh"], 10, True, b"")]
    )
    with tarfile.open(fileobj=io.BytesIO(ours(src))) as tar:
        tar.extractall(tmp_path / "dst", filter="data")
    for member in cli_members(src):
        copy = tmp_path / "dst" / member.arcname
        assert copy.read_bytes() == member.path.read_bytes()
        assert os.access(copy, os.X_OK) == (member.mode == 0o755)
