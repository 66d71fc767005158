"""Issue 20 §2: a planted hash-cache entry never makes a run reuse someone else's build.
Entries are authenticated with an HMAC under a key derived from the API key: a forged entry
(recomputed by anyone who can write the folder), a foreign one (another key) or one in the
old unauthenticated format is a miss. A FIFO, a device or a symbolic link in the folder is
skipped, never opened. The folder carries a standard CACHEDIR.TAG."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from pipecat_build.archive.hash_cache import (
    CACHEDIR_SIGNATURE,
    HashCache,
    cache_key,
)
from pipecat_build.archive.stream_key import StreamKey

KEY = StreamKey("ab" * 32, "cli", 9, 0)
OURS = cache_key("pk_live_ours")
THEIRS = cache_key("pk_live_someone_else")


def test_an_entry_is_recalled_under_the_key_that_wrote_it(tmp_path: Path) -> None:
    HashCache(tmp_path, key=OURS).remember(KEY, "0123456789abcdef", 10)
    assert HashCache(tmp_path, key=OURS).recall(KEY) is not None


def test_an_entry_written_under_another_key_is_a_miss(tmp_path: Path) -> None:
    HashCache(tmp_path, key=THEIRS).remember(KEY, "fedcba9876543210", 10)
    assert HashCache(tmp_path, key=OURS).recall(KEY) is None


def test_a_forged_entry_with_a_recomputed_sha256_is_a_miss(tmp_path: Path) -> None:
    """What the issue's attacker did: write the entry format, checksum included."""
    cache = HashCache(tmp_path, key=OURS)
    for magic in ("pipecat-build hash-cache 1", "pipecat-build hash-cache 2"):
        body = (f"{magic}\nkey {KEY.canonical()}\ncontext-hash fedcba9876543210\n"
                "archive-bytes 10\n")
        forged = f"{body}check {hashlib.sha256(body.encode()).hexdigest()}\n"
        tmp_path.mkdir(exist_ok=True)
        cache.entry_path(KEY).write_text(forged)
        assert cache.recall(KEY) is None


def test_the_key_depends_on_the_api_key_only() -> None:
    assert cache_key("pk_live_ours") == OURS != THEIRS
    assert len(OURS) == 32 and b"pk_live_ours" not in OURS


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_an_entry_is_skipped_never_opened(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=OURS)
    os.mkfifo(cache.entry_path(KEY))
    done = threading.Event()
    result: list[object] = []

    def recall() -> None:
        result.append(cache.recall(KEY))
        done.set()

    threading.Thread(target=recall, daemon=True).start()
    assert done.wait(5), "recall blocked on a FIFO: it opened it"
    assert result == [None]


def test_a_symbolic_link_in_place_of_an_entry_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    HashCache(elsewhere, key=OURS).remember(KEY, "0123456789abcdef", 10)
    folder = tmp_path / "cache"
    folder.mkdir()
    cache = HashCache(folder, key=OURS)
    cache.entry_path(KEY).symlink_to(HashCache(elsewhere, key=OURS).entry_path(KEY))
    assert cache.recall(KEY) is None  # even a valid entry, reached through a link


def test_a_device_in_place_of_an_entry_is_skipped(tmp_path: Path) -> None:
    cache = HashCache(tmp_path, key=OURS)
    cache.entry_path(KEY).symlink_to("/dev/zero")
    assert cache.recall(KEY) is None


def test_the_folder_gets_a_standard_cachedir_tag(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    HashCache(folder, key=OURS).remember(KEY, "0123456789abcdef", 10)
    tag = (folder / "CACHEDIR.TAG").read_bytes()
    assert tag.startswith(CACHEDIR_SIGNATURE.encode())
    assert "Signature: " + hashlib.md5(
        b".IsCacheDirectory", usedforsecurity=False
    ).hexdigest() == CACHEDIR_SIGNATURE


def test_a_cache_without_a_key_cannot_be_made(tmp_path: Path) -> None:
    """An empty key would authenticate entries with a MAC anyone can compute."""
    with pytest.raises(ValueError, match="needs a key"):
        HashCache(tmp_path, key=b"")
