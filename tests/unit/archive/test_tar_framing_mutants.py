"""Tar framing against its oracle, Python's tarfile as pcc deploy uses it (docs/testing.md).

The context hash is the md5 of these bytes, so every header field, the padding, the end
blocks and the record padding must equal tarfile's, whatever the buffer size cuts.
"""

from __future__ import annotations

import io
import os
import tarfile
import zlib
from pathlib import Path

import pytest

from pipecat_build.archive.members import Member
from pipecat_build.archive.pipeline import Halt, Halted
from pipecat_build.archive.tar_framing import Chunk, TarFramer, tar_header
from pipecat_build.archive.write_errors import ContextChangedError
from pipecat_build.errors import InputError


def oracle_header(arcname: str, size: int, mode: int) -> bytes:
    """The header pcc deploy's tarfile.add writes (mtime, owners zeroed as the CLI does)."""
    info = tarfile.TarInfo(arcname)
    info.size, info.mode, info.mtime = size, mode, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")


def oracle_archive(members: list[Member]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m.arcname)
            info.size, info.mode, info.mtime = m.size, m.mode, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(m.path, "rb") as fh:
                tar.addfile(info, fh)
    return out.getvalue()


@pytest.mark.parametrize(
    ("arcname", "size", "mode"),
    [
        ("a", 0, 0o644),
        ("Dockerfile", 1, 0o755),
        ("d" * 99, 12345, 0o644),
        ("d" * 100, 7, 0o644),  # the longest name a ustar block holds
        ("d" * 101, 7, 0o644),  # one more: a PAX "path" record
        ("dir/" + "n" * 150, 3, 0o755),
        ("caf\u00e9.txt", 5, 0o644),  # not ASCII: a PAX record
        ("bad-\udcff.bin", 5, 0o644),  # a non-UTF-8 byte of the file system
        ("big.bin", 8**11 - 1, 0o644),  # the largest size the octal field holds
        ("huge.bin", 8**11, 0o644),  # larger: a PAX "size" record
        ("odd-mode", 9, 0o100755),  # file type bits are not part of the mode field
    ],
)
def test_headers_equal_tarfiles(arcname: str, size: int, mode: int) -> None:
    assert tar_header(Member(arcname, Path("/nonexistent"), size, mode)) == oracle_header(
        arcname, size, mode & 0o7777
    )


def frame(members: list[Member], buffer_size: int) -> tuple[bytes, list[Chunk], object]:
    chunks: list[Chunk] = []
    data = bytearray()

    def emit(chunk: Chunk) -> None:
        chunks.append(Chunk(bytearray(chunk.buffer[: chunk.length]), chunk.length,
                            chunk.content_done))
        data.extend(chunk.buffer[: chunk.length])

    totals = TarFramer(lambda: bytearray(buffer_size), emit, Halt(None)).run(members)
    return bytes(data), chunks, totals


def make_members(root: Path, sizes: list[int]) -> list[Member]:
    members = []
    for i, size in enumerate(sizes):
        path = root / f"f{i}"
        path.write_bytes(bytes((i * 7 + j) % 251 for j in range(size)))
        members.append(Member(f"dir/file-{i}.bin", path, size, 0o755 if i % 2 else 0o644))
    return members


@pytest.mark.parametrize("buffer_size", [512, 1000, 4096, 10240, 65536])
@pytest.mark.parametrize("sizes", [[], [0], [1, 511, 512, 513], [20000, 0, 3, 10240, 9000]])
def test_the_stream_is_tarfiles_whatever_the_buffer_size(
    tmp_path: Path, buffer_size: int, sizes: list[int]
) -> None:
    members = make_members(tmp_path, sizes)
    data, chunks, totals = frame(members, buffer_size)
    expected = oracle_archive(members)
    assert data == expected
    assert len(data) % tarfile.RECORDSIZE == 0
    assert all(c.length == buffer_size for c in chunks[:-1])  # every buffer but the last full
    assert 0 < chunks[-1].length <= buffer_size
    assert [c.content_done for c in chunks] == sorted(c.content_done for c in chunks)
    assert chunks[-1].content_done == sum(sizes)
    assert totals.crc32 == zlib.crc32(expected)  # type: ignore[attr-defined]
    assert totals.tar_bytes == len(expected)  # type: ignore[attr-defined]
    assert totals.content_bytes == sum(sizes)  # type: ignore[attr-defined]
    assert totals.file_count == len(sizes)  # type: ignore[attr-defined]


def test_a_file_that_grew_since_selection_stops_the_archive(tmp_path: Path) -> None:
    (member,) = make_members(tmp_path, [100])
    member.path.write_bytes(b"x" * 101)
    with pytest.raises(ContextChangedError) as caught:
        frame([member], 4096)
    assert caught.value.arcname == "dir/file-0.bin"
    assert "was 100 bytes when selected but larger when read" in str(caught.value)


@pytest.mark.parametrize("now", [0, 1, 99])
def test_a_file_that_shrank_since_selection_stops_the_archive(tmp_path: Path, now: int) -> None:
    (member,) = make_members(tmp_path, [100])
    member.path.write_bytes(b"x" * now)
    with pytest.raises(ContextChangedError) as caught:
        frame([member], 512)  # cut in several reads
    assert f"was 100 bytes when selected but {now} bytes when read" in str(caught.value)


def test_a_file_that_vanished_is_a_one_line_context_error(tmp_path: Path) -> None:
    (member,) = make_members(tmp_path, [10])
    os.unlink(member.path)
    with pytest.raises(InputError) as caught:
        frame([member], 4096)
    assert caught.value.input_name == "context"
    assert str(caught.value) == (
        "Input 'context': cannot read dir/file-0.bin: No such file or directory"
    )


def test_a_folder_in_place_of_a_file_is_a_one_line_context_error(tmp_path: Path) -> None:
    folder = tmp_path / "was-a-file"
    folder.mkdir()
    with pytest.raises(InputError) as caught:
        frame([Member("was-a-file", folder, 10, 0o644)], 4096)
    assert str(caught.value) == "Input 'context': cannot read was-a-file: Is a directory"


def test_a_halted_run_stops_before_the_next_member(tmp_path: Path) -> None:
    members = make_members(tmp_path, [10, 10])
    halt = Halt(None)
    emitted: list[Chunk] = []
    framer = TarFramer(lambda: bytearray(512), emitted.append, halt)

    def members_then_stop() -> object:
        yield members[0]
        halt.stop()
        yield members[1]

    with pytest.raises(Halted):
        framer.run(members_then_stop())  # type: ignore[arg-type]


def test_a_halted_run_stops_inside_a_large_file(tmp_path: Path) -> None:
    (member,) = make_members(tmp_path, [5000])
    halt = Halt(None)
    emitted: list[int] = []

    def emit(chunk: Chunk) -> None:
        emitted.append(chunk.length)
        halt.stop()  # the consumer fails after the first buffer

    with pytest.raises(Halted):
        TarFramer(lambda: bytearray(512), emit, halt).run([member])
    assert len(emitted) == 1
