"""The tar-stream digest: the SHA-256 of exactly the bytes write_archive compresses.

digest_stream (no deflate) and write_archive (in the same pass as deflate) must give the same
StreamKey, and that key must be the SHA-256 of the archive's own uncompressed stream; any
change a build could see (a byte, a name, a mode, the file list) must change it, even when
the size and mtime stay the same.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import threading
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipecat_build.archive.members import ArchiveResult, Member
from pipecat_build.archive.stream_digest import digest_stream
from pipecat_build.archive.stream_key import STREAM_FORMAT, StreamKey
from pipecat_build.archive.tar_stream import write_archive, write_archive_tuned
from pipecat_build.archive.write_errors import ArchiveCancelled, ContextChangedError
from tests.unit.archive.test_tar_stream import cli_members as members_of


def archive(
    members: list[Member], compression: str = "cli", **tuned: int
) -> tuple[bytes, ArchiveResult]:
    out = io.BytesIO()
    kind = "fast" if compression == "fast" else "cli"
    if tuned:
        result = write_archive_tuned(members, out, kind, **tuned)
    else:
        result = write_archive(members, out, kind)
    return out.getvalue(), result


def key_of(root: Path, compression: str = "cli") -> StreamKey:
    return digest_stream(members_of(root), "fast" if compression == "fast" else "cli").key


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / "app").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app\n")
    (root / "app" / "main.py").write_text("print('hello')\n" * 50)
    (root / "app" / "run.sh").write_text("#!/bin/sh\nexec python main.py\n")
    (root / "app" / "run.sh").chmod(0o755)
    (root / "data.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # crosses 1 MiB buffers
    return root


@pytest.mark.parametrize("compression", ["cli", "fast"])
def test_digest_is_the_sha256_of_the_uncompressed_archive(ctx: Path, compression: str) -> None:
    members = members_of(ctx)
    data, result = archive(members, compression)
    tar = gzip.decompress(data)
    digest = digest_stream(members, "fast" if compression == "fast" else "cli")
    assert digest.key.tar_sha256 == hashlib.sha256(tar).hexdigest()
    assert digest.tar_bytes == len(tar)
    assert digest.file_count == len(members)
    assert digest.content_bytes == sum(m.size for m in members)
    assert result.stream_key == digest.key
    assert result.tar_bytes == len(tar)


def test_key_names_the_compressor(ctx: Path) -> None:
    cli, fast = key_of(ctx, "cli"), key_of(ctx, "fast")
    assert cli.tar_sha256 == fast.tar_sha256  # same stream...
    assert cli != fast and cli.entry_id() != fast.entry_id()  # ...different archives
    assert (cli.compression, cli.level, cli.chunk_size) == ("cli", 9, 0)
    assert (fast.compression, fast.level, fast.chunk_size) == ("fast", 1, 1 << 20)
    assert cli.zlib_version == zlib.ZLIB_RUNTIME_VERSION
    assert cli.format_version == STREAM_FORMAT
    text = cli.canonical()
    for part in ("cli", "level=9", zlib.ZLIB_RUNTIME_VERSION, cli.tar_sha256, f"v{STREAM_FORMAT}"):
        assert part in text
    other_zlib = StreamKey(cli.tar_sha256, "cli", 9, 0, zlib_version="9.9.9")
    assert other_zlib.entry_id() != cli.entry_id()
    newer_format = StreamKey(cli.tar_sha256, "cli", 9, 0, format_version=STREAM_FORMAT + 1)
    assert newer_format.entry_id() != cli.entry_id()


def test_fast_key_follows_the_chunk_size_that_cuts_its_output(ctx: Path) -> None:
    members = members_of(ctx)
    _, small = archive(members, "fast", chunk_size=64 * 1024)
    _, default = archive(members, "fast")
    assert small.stream_key != default.stream_key
    assert digest_stream(members, "fast", chunk_size=64 * 1024).key == small.stream_key
    # cli bytes do not depend on the buffer size, so neither does its key
    _, cli_small = archive(members, "cli", chunk_size=4096)
    assert cli_small.stream_key == digest_stream(members, "cli").key


def test_one_byte_change_with_same_size_and_mtime_changes_the_key(ctx: Path) -> None:
    before = key_of(ctx)
    path = ctx / "data.bin"
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[2 * 1024 * 1024 + 5] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after_stat = path.stat()
    assert (after_stat.st_size, after_stat.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert key_of(ctx) != before


def test_mode_change_changes_the_key(ctx: Path) -> None:
    before = key_of(ctx)
    (ctx / "app" / "main.py").chmod(0o755)
    assert key_of(ctx) != before


def test_rename_changes_the_key(ctx: Path) -> None:
    before = key_of(ctx)
    (ctx / "app" / "main.py").rename(ctx / "app" / "mainx.py")
    (ctx / "app" / "mainx.py").rename(ctx / "app" / "maim.py")  # same length, same content
    assert key_of(ctx) != before


def test_added_and_removed_files_change_the_key(ctx: Path) -> None:
    before = key_of(ctx)
    (ctx / "app" / "empty.txt").touch()  # no content at all: only the file list changes
    added = key_of(ctx)
    assert added != before
    (ctx / "app" / "empty.txt").unlink()
    assert key_of(ctx) == before  # the same stream again: the same key
    (ctx / "app" / "run.sh").unlink()
    assert key_of(ctx) != before


def test_unchanged_context_gives_the_same_key_every_time(ctx: Path) -> None:
    assert len({key_of(ctx) for _ in range(3)}) == 1


def test_a_file_that_shrinks_is_refused_as_by_write_archive(ctx: Path) -> None:
    members = members_of(ctx)
    (ctx / "data.bin").write_bytes(b"short")
    with pytest.raises(ContextChangedError):
        digest_stream(members)


def test_cancel_stops_the_digest_and_leaves_no_thread(ctx: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    before = set(threading.enumerate())
    with pytest.raises(ArchiveCancelled):
        digest_stream(members_of(ctx), cancel=cancel)
    assert set(threading.enumerate()) <= before


def test_unknown_compression_is_refused(ctx: Path) -> None:
    with pytest.raises(ValueError):
        digest_stream(members_of(ctx), "zstd")  # type: ignore[arg-type]


_name = st.text(alphabet="abcé漢._-x0", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)
_tree = st.dictionaries(
    st.lists(_name, min_size=1, max_size=3).map(tuple),
    st.tuples(st.binary(max_size=3000), st.booleans()),
    min_size=1,
    max_size=10,
)


def _build(root: Path, tree: dict[tuple[str, ...], tuple[bytes, bool]]) -> None:
    for parts, (data, executable) in tree.items():
        path = root.joinpath(*parts)
        if any(p.exists() and not p.is_dir() for p in path.parents) or path.is_dir():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o755 if executable else 0o644)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_tree, chunk=st.sampled_from([512, 4096, 1 << 20]), fast=st.booleans())
def test_digest_matches_the_written_archive_on_any_tree(
    tmp_path_factory: pytest.TempPathFactory,
    tree: dict[tuple[str, ...], tuple[bytes, bool]],
    chunk: int,
    fast: bool,
) -> None:
    root = tmp_path_factory.mktemp("tree")
    _build(root, tree)
    members = members_of(root)
    compression = "fast" if fast else "cli"
    data, result = archive(members, compression, chunk_size=chunk)
    digest = digest_stream(members, "fast" if fast else "cli", chunk_size=chunk)
    assert digest.key == result.stream_key
    assert digest.key.tar_sha256 == hashlib.sha256(gzip.decompress(data)).hexdigest()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_tree, data=st.data())
def test_any_single_change_changes_the_key(
    tmp_path_factory: pytest.TempPathFactory,
    tree: dict[tuple[str, ...], tuple[bytes, bool]],
    data: st.DataObject,
) -> None:
    root = tmp_path_factory.mktemp("tree")
    _build(root, tree)
    members = members_of(root)
    before = digest_stream(members).key
    target = data.draw(st.sampled_from(members))
    change = data.draw(st.sampled_from(["byte", "mode", "rename", "drop", "add"]))
    changed = list(members)
    i = changed.index(target)
    if change == "byte" and target.size:
        content = bytearray(target.path.read_bytes())
        at = data.draw(st.integers(0, target.size - 1))
        content[at] ^= data.draw(st.integers(1, 255))
        target.path.write_bytes(bytes(content))
    elif change == "mode" or (change == "byte" and not target.size):
        changed[i] = Member(target.arcname, target.path, target.size, target.mode ^ 0o111)
    elif change == "rename":
        changed[i] = Member(target.arcname + "_", target.path, target.size, target.mode)
    elif change == "drop":
        del changed[i]
    else:
        extra = root / "zz_extra"
        extra.write_bytes(b"")
        changed.append(Member("zz_extra", extra, 0, 0o644))
    assert digest_stream(changed).key != before
