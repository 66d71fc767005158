"""Remembered context hashes: StreamKey -> (context hash, archive size), in a folder.

A run that packed an archive remembers its hash under the StreamKey write_archive returned;
a later run digests the same members (stream_digest.digest_stream, no deflate) and recalls
the hash at once. The key is the exact uncompressed tar stream (SHA-256) plus the
compressor's identity, never mtimes or sizes, so any change to a byte, a name, a mode or
the file list misses.

Layout: one small text file per entry, `<sha256 of the key>.hash`, written to a temporary
file in the same folder and moved into place with os.replace. Why not one index file:
concurrent runs (matrix jobs, services of a monorepo sharing a restored cache) would each
read, extend and replace the index, and all but the last would lose their entries; with one
file per entry, runs that write different keys never touch the same file, runs that write
the same key write the same bytes, and a reader sees a whole old file or a whole new one.
Each entry ends with an HMAC-SHA256 of its own lines, keyed with a secret only the run holds
(derived from the API key: `cache_key`), so a truncated, torn or edited file (a crash, a disk
full, a partial cache restore) and a forged or foreign one (a shared CI cache, another
organization's key, anyone who can write the folder) are all a miss: the run compresses and
uploads as if nothing were remembered, and its own remember writes the entry again. Only
regular files are read: a FIFO, a device or a symbolic link in the folder is skipped, never
opened. Nothing is fsynced: losing an entry costs one deflate.

The folder holds a standard CACHEDIR.TAG (https://bford.info/cachedir/), so backup tools skip
it and the context selection leaves it out wherever it lies (archive/select.py).

Bounded: after each write, the oldest entries beyond max_entries are deleted (a recall
refreshes an entry's mtime, so the ones in use stay). No method raises for a problem of the
folder or its files: recall answers None (a miss), remember returns one warning line.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from .stream_key import StreamKey

__all__ = ["CACHEDIR_TAG", "DEFAULT_MAX_ENTRIES", "HashCache", "Remembered", "cache_key"]

DEFAULT_MAX_ENTRIES = 256  # ~250 bytes each: a few branches x a monorepo's services
ENTRY_SUFFIX = ".hash"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600  # a temp file this old was left by a run that died mid-write
MAX_ENTRY_BYTES = 4096  # an entry is ~250 bytes; anything larger is not ours
_MAGIC = "pipecat-build hash-cache 2"  # 2: entries authenticated with an HMAC
_KEY_LABEL = b"pipecat-build hash-cache entry key v1"
CACHEDIR_TAG = "CACHEDIR.TAG"
CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_TAG_TEXT = (
    f"{CACHEDIR_SIGNATURE}\n# This file is a cache directory tag created by pipecat-build "
    "(remembered context hashes).\n# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)


# What a hash-cache folder holds: its tag, hash entries, secret-memory entries
# (flow/secret_memory.py) and temporary files being written. Anything else means the folder is
# someone's own, which a run must not adopt (tag it, leave it out of contexts, prune it).
_OURS = (ENTRY_SUFFIX, ".secrets")


def holds_only_cache_files(folder: Path) -> str | None:
    """None when every entry of `folder` is a cache file; else the name of one that is not."""
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name == CACHEDIR_TAG or name.startswith(TEMP_PREFIX) or name.endswith(_OURS):
                continue
            return name
    return None


def cache_key(api_key: str) -> bytes:
    """The key entries are authenticated with: HMAC-SHA256 of a fixed label under the API
    key. Whoever can write the folder but holds no key cannot make an entry a run accepts,
    and an entry written under another key (another organization) is a miss."""
    return hmac.new(api_key.encode(), _KEY_LABEL, hashlib.sha256).digest()
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Remembered:
    """What an earlier run's archive of the same stream hashed to."""

    context_hash: str  # 16 lowercase hex digits, the server's contextHash
    archive_bytes: int


class HashCache:
    """A bounded folder of remembered hashes; created on the first remember."""

    def __init__(
        self, folder: Path, max_entries: int = DEFAULT_MAX_ENTRIES, *, key: bytes
    ) -> None:
        """`key`: what entries are authenticated with (`cache_key(api_key)`); runs share
        entries only when they hold the same key."""
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if not key:
            raise ValueError("a hash cache needs a key: entries anyone can compute are forgeable")
        self.folder = Path(folder)
        self.max_entries = max_entries
        self._key = key

    def entry_path(self, key: StreamKey) -> Path:
        return self.folder / f"{key.entry_id()}{ENTRY_SUFFIX}"

    def recall(self, key: StreamKey) -> Remembered | None:
        """The remembered hash for key, or None (not there, unreadable, corrupt: a miss)."""
        path = self.entry_path(key)
        data = read_regular(path)
        if data is None:
            return None
        found = _parse(data, key, self._key)
        if found is None:
            with contextlib.suppress(OSError):  # ignored; this run's remember rewrites it
                path.unlink()
            return None
        with contextlib.suppress(OSError):  # in use: the last to be dropped (read-only is fine)
            os.utime(path)
        return found

    def remember(self, key: StreamKey, context_hash: str, archive_bytes: int) -> str | None:
        """Store the hash of the archive whose tar stream is key; None, or one warning line.

        The warning (the folder cannot be created or written) is for the caller to show; the
        run goes on without remembering.
        """
        if len(context_hash) != 16 or not set(context_hash) <= _HEX:
            raise ValueError(f"not a context hash: {context_hash!r}")
        if archive_bytes < 0:
            raise ValueError("archive_bytes must not be negative")
        data = _format(key, context_hash, archive_bytes, self._key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _tag(self.folder)
            _write_atomically(self.entry_path(key), data)
        except OSError as error:
            reason = error.strerror or str(error)
            return (
                f"cannot write the hash-cache folder {self.folder} ({reason}); the context hash is "
                "not remembered, so the next run with this context compresses it again"
            )
        self._prune()
        return None

    def _prune(self) -> None:
        """Drop the oldest entries beyond max_entries, and temp files of runs that died."""
        entries: list[tuple[int, str]] = []
        stale_before = time.time_ns() - STALE_TEMP_SECONDS * 1_000_000_000
        try:
            with os.scandir(self.folder) as scan:
                for item in scan:
                    name = item.name
                    try:
                        if _is_entry_name(name):
                            entries.append((item.stat(follow_symlinks=False).st_mtime_ns, name))
                        elif (
                            name.startswith(TEMP_PREFIX)
                            and item.stat(follow_symlinks=False).st_mtime_ns < stale_before
                        ):
                            os.unlink(item.path)
                    except OSError:  # gone meanwhile (another run pruned it): fine
                        continue
        except OSError:
            return
        if len(entries) <= self.max_entries:
            return
        entries.sort()
        for _, name in entries[: len(entries) - self.max_entries]:
            with contextlib.suppress(OSError):
                os.unlink(self.folder / name)


def _is_entry_name(name: str) -> bool:
    stem = name[: -len(ENTRY_SUFFIX)]
    return name.endswith(ENTRY_SUFFIX) and len(stem) == 64 and set(stem) <= _HEX


def _lines(key: StreamKey, context_hash: str, archive_bytes: int) -> str:
    return (
        f"{_MAGIC}\nkey {key.canonical()}\ncontext-hash {context_hash}\n"
        f"archive-bytes {archive_bytes}\n"
    )


def _check(body: str, secret: bytes) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


def _format(key: StreamKey, context_hash: str, archive_bytes: int, secret: bytes) -> bytes:
    body = _lines(key, context_hash, archive_bytes)
    return f"{body}check {_check(body, secret)}\n".encode()


def read_regular(path: Path, limit: int = MAX_ENTRY_BYTES) -> bytes | None:
    """Up to `limit` + 1 first bytes of path if it is a regular file, else None; a FIFO,
    device, socket or symbolic link planted in a cache folder is never opened (lstat first,
    then O_NOFOLLOW | O_NONBLOCK and fstat again, in case it was swapped in between)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _tag(folder: Path) -> None:
    """Writes CACHEDIR.TAG once (never over anything already there)."""
    try:
        fd = os.open(folder / CACHEDIR_TAG, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        return
    try:
        os.write(fd, _TAG_TEXT.encode())
    finally:
        os.close(fd)


def _parse(data: bytes, key: StreamKey, secret: bytes) -> Remembered | None:
    """The entry's content if it is whole, ours, and for this very key; else None."""
    if len(data) > MAX_ENTRY_BYTES:
        return None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if len(lines) != 6 or lines[5] != "" or lines[0] != _MAGIC:
        return None
    fields: dict[str, str] = {}
    for line in lines[1:5]:
        name, _, value = line.partition(" ")
        fields[name] = value
    context_hash = fields.get("context-hash", "")
    size = fields.get("archive-bytes", "")
    if (
        fields.get("key") != key.canonical()
        or len(context_hash) != 16
        or not set(context_hash) <= _HEX
        or not size.isdigit()
    ):
        return None
    archive_bytes = int(size)
    body = _lines(key, context_hash, archive_bytes)
    expected = f"{body}check {_check(body, secret)}\n"
    if not hmac.compare_digest(text.encode(), expected.encode()):
        return None
    return Remembered(context_hash, archive_bytes)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a unique temp file beside path, then move it over path in one step."""
    temp = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
