"""The fast mode: a valid gzip'd tar that tools read, and the same bytes on every run."""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

from pipecat_build.archive.members import Member
from pipecat_build.archive.tar_stream import write_archive, write_archive_tuned

WRITE_FAST = """
import os, sys
from pathlib import Path
from pipecat_build.archive.members import Member
from pipecat_build.archive.tar_stream import write_archive
root = Path(sys.argv[1])
members = []
for folder, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(files):
        p = Path(folder) / name
        members.append(Member(p.relative_to(root).as_posix(), p, p.stat().st_size,
                              0o755 if os.access(p, os.X_OK) else 0o644))
members.sort(key=lambda m: m.arcname)
with open(sys.argv[2], "wb") as out:
    print(write_archive(members, out, "fast").md5_hex)
"""


def members_of(root: Path) -> list[Member]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            p = Path(folder) / name
            mode = 0o755 if os.access(p, os.X_OK) else 0o644
            found.append(Member(p.relative_to(root).as_posix(), p, p.stat().st_size, mode))
    return sorted(found, key=lambda m: m.arcname)


def make_context(root: Path) -> None:
    rng = random.Random(3)
    root.mkdir()
    (root / "weights.bin").write_bytes(rng.randbytes(1_300_000))
    words = [rng.randbytes(4).hex() for _ in range(300)]
    text = " ".join(rng.choice(words) for _ in range(400_000)).encode()
    (root / "data.txt").write_bytes(text)  # ~3.6 MB: several 1 MiB pieces with back-references
    (root / ("ünïcode-" + "n" * 110)).write_bytes(b"tail")
    (root / "empty").write_bytes(b"")
    (root / "tool").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "tool").chmod(0o755)


def test_fast_is_valid_stable_and_extracts_to_the_same_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_context(src)
    runs = []
    for _ in range(2):
        out = io.BytesIO()
        result = write_archive(members_of(src), out, "fast")
        assert result.md5_hex == hashlib.md5(out.getvalue()).hexdigest()
        runs.append(out.getvalue())
    assert runs[0] == runs[1]

    (tmp_path / "a.tar.gz").write_bytes(runs[0])
    (tmp_path / "dst").mkdir()
    subprocess.run(
        ["tar", "-xzf", str(tmp_path / "a.tar.gz"), "-C", str(tmp_path / "dst")], check=True
    )
    with tarfile.open(fileobj=io.BytesIO(runs[0])) as tar:
        names = tar.getnames()
    assert names == [m.arcname for m in members_of(src)]
    for member in members_of(src):
        copy = tmp_path / "dst" / member.arcname
        assert copy.read_bytes() == member.path.read_bytes()
        assert os.access(copy, os.X_OK) == (member.mode == 0o755)


def test_fast_is_the_same_in_another_process_and_with_other_thread_counts(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_context(src)
    here = io.BytesIO()
    write_archive_tuned(members_of(src), here, "fast", workers=1)
    other = io.BytesIO()
    write_archive_tuned(members_of(src), other, "fast", workers=3)
    assert here.getvalue() == other.getvalue()
    child = subprocess.run(
        [sys.executable, "-c", WRITE_FAST, str(src), str(tmp_path / "child.tar.gz")],
        check=True,
        capture_output=True,
        text=True,
    )
    assert (tmp_path / "child.tar.gz").read_bytes() == here.getvalue()
    assert child.stdout.strip() == hashlib.md5(here.getvalue()).hexdigest()


def test_fast_gzip_trailer_checks_out(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_context(src)
    out = io.BytesIO()
    write_archive(members_of(src), out, "fast")
    # gzip.decompress verifies the CRC32 and ISIZE of the trailer against the content.
    tar_bytes = zlib.decompress(out.getvalue(), wbits=31)
    assert len(tar_bytes) % tarfile.RECORDSIZE == 0
    assert out.getvalue()[:4] == b"\x1f\x8b\x08\x00"
