"""The remembered-hash cache: keyed on the tar stream, bounded, atomic, and never a crash."""

from __future__ import annotations

import io
import multiprocessing
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecat_build.archive.hash_cache import (
    ENTRY_SUFFIX,
    STALE_TEMP_SECONDS,
    TEMP_PREFIX,
    HashCache,
    Remembered,
    cache_key,
)
from pipecat_build.archive.members import Member
from pipecat_build.archive.stream_digest import digest_stream
from pipecat_build.archive.stream_key import StreamKey
from pipecat_build.archive.tar_stream import write_archive

CACHE_KEY = cache_key("pk_test_cache")  # the key a run derives from its API key


def key(n: int, compression: str = "cli") -> StreamKey:
    sha = f"{n:064x}"
    if compression == "fast":
        return StreamKey(sha, "fast", 1, 1 << 20)
    return StreamKey(sha, "cli", 9, 0)


def hash_of(n: int) -> str:
    return f"{n * 7919:016x}"[-16:]


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(ENTRY_SUFFIX))


def members_of(root: Path) -> list[Member]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        mode = 0o755 if os.access(path, os.X_OK) else 0o644
        found.append(Member(path.relative_to(root).as_posix(), path, path.stat().st_size, mode))
    return sorted(found, key=lambda m: m.arcname)


def test_remember_then_recall(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "cache", key=CACHE_KEY)
    assert cache.recall(key(1)) is None
    assert cache.remember(key(1), "0123456789abcdef", 1234) is None
    assert cache.recall(key(1)) == Remembered("0123456789abcdef", 1234)
    assert cache.recall(key(2)) is None
    assert cache.recall(key(1, "fast")) is None  # same stream, another compressor: a miss


def test_folder_is_created_on_demand_and_recall_does_not_create_it(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b" / "cache"
    cache = HashCache(folder, key=CACHE_KEY)
    assert cache.recall(key(1)) is None
    assert not folder.exists()
    assert cache.remember(key(1), hash_of(1), 1) is None
    assert folder.is_dir() and len(entries(folder)) == 1


def test_every_field_of_the_key_matters(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    base = StreamKey("ab" * 32, "cli", 9, 0, "1.2.13", 1)
    cache.remember(base, hash_of(1), 10)
    variants = [
        StreamKey("ab" * 31 + "ac", "cli", 9, 0, "1.2.13", 1),
        StreamKey("ab" * 32, "fast", 9, 0, "1.2.13", 1),
        StreamKey("ab" * 32, "cli", 8, 0, "1.2.13", 1),
        StreamKey("ab" * 32, "cli", 9, 4096, "1.2.13", 1),
        StreamKey("ab" * 32, "cli", 9, 0, "1.3.1", 1),
        StreamKey("ab" * 32, "cli", 9, 0, "1.2.13", 2),
    ]
    assert cache.recall(base) == Remembered(hash_of(1), 10)
    for variant in variants:
        assert cache.recall(variant) is None, variant


def test_an_entry_copied_under_another_keys_name_is_not_believed(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    cache.remember(key(1), hash_of(1), 1)
    cache.entry_path(key(1)).rename(cache.entry_path(key(2)))
    assert cache.recall(key(2)) is None
    assert not cache.entry_path(key(2)).exists()


def _write_then_change(root: Path, change: str) -> tuple[StreamKey, StreamKey, str]:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / "app" / "main.py").write_bytes(b"print(1)\n" * 1000)
    members = members_of(root)
    result = write_archive(members, io.BytesIO(), "cli")
    path = root / "app" / "main.py"
    st_before = path.stat()
    if change == "byte":
        data = bytearray(path.read_bytes())
        data[4000] = ord("2")
        path.write_bytes(bytes(data))
        os.utime(path, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
        after = path.stat()
        assert (after.st_size, after.st_mtime_ns) == (st_before.st_size, st_before.st_mtime_ns)
    elif change == "mode":
        path.chmod(0o755)
    elif change == "rename":
        path.rename(root / "app" / "main.pz")
    elif change == "add":
        (root / "app" / "new.py").write_bytes(b"")
    return result.stream_key, digest_stream(members_of(root)).key, result.context_hash


@pytest.mark.parametrize("change", ["byte", "mode", "rename", "add"])
def test_any_change_to_the_stream_misses(tmp_path: Path, change: str) -> None:
    cache = HashCache(tmp_path / "cache", key=CACHE_KEY)
    written, now, context_hash = _write_then_change(tmp_path / "ctx", change)
    assert cache.remember(written, context_hash, 1) is None
    assert cache.recall(written) == Remembered(context_hash, 1)
    assert cache.recall(now) is None


def test_an_unchanged_context_hits_with_the_hash_write_archive_gave(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "cache", key=CACHE_KEY)
    written, now, context_hash = _write_then_change(tmp_path / "ctx", "none")
    assert now == written
    cache.remember(written, context_hash, 99)
    assert cache.recall(now) == Remembered(context_hash, 99)


def test_truncated_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    cache.remember(key(1), hash_of(1), 555)
    path = cache.entry_path(key(1))
    whole = path.read_bytes()
    for cut in range(len(whole)):
        path.write_bytes(whole[:cut])
        assert cache.recall(key(1)) is None, cut
        assert not path.exists()  # dropped, so the run's remember writes it afresh
        assert cache.remember(key(1), hash_of(1), 555) is None
        assert cache.recall(key(1)) == Remembered(hash_of(1), 555)


def test_any_flipped_byte_is_noticed(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    cache.remember(key(1), hash_of(1), 555)
    path = cache.entry_path(key(1))
    whole = path.read_bytes()
    for at in range(len(whole)):
        for flip in (0x01, 0x20):
            broken = bytearray(whole)
            broken[at] ^= flip
            path.write_bytes(bytes(broken))
            found = cache.recall(key(1))
            assert found is None, (at, flip, found)
    path.write_bytes(whole)
    assert cache.recall(key(1)) == Remembered(hash_of(1), 555)


@pytest.mark.parametrize(
    "content", [b"", b"\x00" * 300, b"garbage", "é".encode() * 100, b"x" * 100_000]
)
def test_garbage_entries_are_misses(tmp_path: Path, content: bytes) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    cache.entry_path(key(1)).write_bytes(content)
    assert cache.recall(key(1)) is None
    assert cache.remember(key(1), hash_of(1), 1) is None
    assert cache.recall(key(1)) == Remembered(hash_of(1), 1)


def test_a_folder_where_an_entry_should_be_is_a_miss_and_a_warning(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    cache.entry_path(key(1)).mkdir()
    assert cache.recall(key(1)) is None
    warning = cache.remember(key(1), hash_of(1), 1)
    assert warning is not None and "hash-cache" in warning


def test_the_bound_holds_and_the_oldest_go_first(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, max_entries=5, key=CACHE_KEY)
    for n in range(5):
        cache.remember(key(n), hash_of(n), n)
        os.utime(cache.entry_path(key(n)), ns=(10**18 + n, 10**18 + n))  # distinct ages
    assert len(entries(tmp_path)) == 5
    assert cache.recall(key(0)) is not None  # in use: refreshed, now the newest
    cache.remember(key(5), hash_of(5), 5)
    cache.remember(key(6), hash_of(6), 6)
    names = {p.name for p in entries(tmp_path)}
    assert len(names) == 5
    assert cache.entry_path(key(1)).name not in names
    assert cache.entry_path(key(2)).name not in names
    for n in (0, 3, 4, 5, 6):
        assert cache.recall(key(n)) == Remembered(hash_of(n), n)


def test_many_remembers_never_exceed_the_bound(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, max_entries=7, key=CACHE_KEY)
    for n in range(40):
        assert cache.remember(key(n), hash_of(n), n) is None
        assert len(entries(tmp_path)) <= 7
    assert cache.recall(key(39)) == Remembered(hash_of(39), 39)


def test_stale_temp_files_are_swept_fresh_ones_kept(tmp_path: Path) -> None:
    stale = tmp_path / f"{TEMP_PREFIX}1-dead"
    fresh = tmp_path / f"{TEMP_PREFIX}2-busy"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = (os.stat(stale).st_mtime_ns - (STALE_TEMP_SECONDS + 60) * 10**9,) * 2
    os.utime(stale, ns=old)
    other = tmp_path / "README"
    other.write_text("not ours")
    HashCache(tmp_path, key=CACHE_KEY).remember(key(1), hash_of(1), 1)
    assert not stale.exists() and fresh.exists() and other.exists()


def test_no_temp_file_is_left_behind(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    for n in range(10):
        cache.remember(key(n), hash_of(n), n)
    assert all(not p.name.startswith(TEMP_PREFIX) for p in tmp_path.iterdir())


def test_a_file_in_place_of_the_folder_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file")
    cache = HashCache(blocker, key=CACHE_KEY)
    assert cache.recall(key(1)) is None
    warning = cache.remember(key(1), hash_of(1), 1)
    assert warning is not None
    assert str(blocker) in warning and "\n" not in warning
    nested = HashCache(blocker / "sub", key=CACHE_KEY)
    assert nested.remember(key(1), hash_of(1), 1) is not None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_warning_and_recall_still_works(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "cache", key=CACHE_KEY)
    cache.remember(key(1), hash_of(1), 1)
    (tmp_path / "cache").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert cache.recall(key(1)) == Remembered(hash_of(1), 1)
        warning = cache.remember(key(2), hash_of(2), 2)
        assert warning is not None and "hash-cache" in warning
    finally:
        (tmp_path / "cache").chmod(0o755)


def test_bad_arguments_are_programming_errors(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=CACHE_KEY)
    with pytest.raises(ValueError):
        cache.remember(key(1), "XYZ", 1)
    with pytest.raises(ValueError):
        cache.remember(key(1), hash_of(1), -1)
    with pytest.raises(ValueError):
        HashCache(tmp_path, max_entries=0, key=CACHE_KEY)


def _worker(folder: str, worker: int, rounds: int, max_entries: int) -> list[str]:
    """Remember and recall overlapping keys; report any wrong answer or exception."""
    problems: list[str] = []
    cache = HashCache(Path(folder), max_entries=max_entries, key=CACHE_KEY)
    for r in range(rounds):
        n = (worker * 7 + r) % 30  # workers share keys
        try:
            warning = cache.remember(key(n), hash_of(n), n)
            if warning is not None:
                problems.append(warning)
            for m in (n, (n + 1) % 30):
                found = cache.recall(key(m))
                if found is not None and found != Remembered(hash_of(m), m):
                    problems.append(f"wrong answer for {m}: {found}")
        except Exception as error:  # the test reports it instead of hanging the pool
            problems.append(repr(error))
    return problems


def test_concurrent_runs_leave_a_readable_bounded_cache(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(6) as pool:
        results = pool.starmap(_worker, [(str(folder), w, 120, 10) for w in range(6)])
    assert [p for problems in results for p in problems] == []
    found = entries(folder)
    assert 1 <= len(found) <= 10
    cache = HashCache(folder, max_entries=10, key=CACHE_KEY)
    for n in range(30):
        got = cache.recall(key(n))
        assert got is None or got == Remembered(hash_of(n), n)
    assert sum(cache.recall(key(n)) is not None for n in range(30)) == len(found)
    assert all(not p.name.startswith(TEMP_PREFIX) for p in folder.iterdir())


_keys = st.builds(
    StreamKey,
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.sampled_from(["cli", "fast"]),
    st.integers(0, 9),
    st.integers(0, 1 << 24),
    st.text(alphabet="0123456789.-abcz", min_size=1, max_size=20),
    st.integers(1, 1000),
)


@settings(max_examples=100, deadline=None)
@given(
    k=_keys,
    other=_keys,
    context_hash=st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
    size=st.integers(0, 1 << 40),
)
def test_round_trip_for_any_key(
    k: StreamKey, other: StreamKey, context_hash: str, size: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = HashCache(Path(folder) / "rt", key=CACHE_KEY)
        assert cache.remember(k, context_hash, size) is None
        assert cache.recall(k) == Remembered(context_hash, size)
        if other != k:
            assert cache.recall(other) is None


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=600), splice=st.booleans(), data=st.data())
def test_no_file_content_makes_recall_raise_or_lie(
    content: bytes, splice: bool, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = HashCache(Path(folder), key=CACHE_KEY)
        cache.remember(key(1), hash_of(1), 1)
        path = cache.entry_path(key(1))
        good = path.read_bytes()
        if splice:  # a plausible entry with a stretch replaced
            at = data.draw(st.integers(0, len(good)))
            content = good[:at] + content + good[at + len(content) :]
        path.write_bytes(content)
        got = cache.recall(key(1))
        assert got is None or (content == good and got == Remembered(hash_of(1), 1))
