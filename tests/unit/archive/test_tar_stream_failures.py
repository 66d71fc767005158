"""Cancel, unreadable files and files that change size: clear errors, no thread left behind."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from pipecat_build.archive.members import Member
from pipecat_build.archive.tar_stream import (
    ArchiveCancelled,
    ContextChangedError,
    write_archive,
    write_archive_tuned,
)
from pipecat_build.errors import ActionError, InputError


def archive_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pipecat-archive")]


def many_members(root: Path, count: int = 40, size: int = 50_000) -> list[Member]:
    members = []
    for i in range(count):
        path = root / f"f{i:03d}"
        path.write_bytes(bytes([i]) * size)
        members.append(Member(path.name, path, size, 0o644))
    return members


@pytest.mark.parametrize("compression", ["cli", "fast"])
def test_cancel_from_progress_stops_and_leaves_no_thread(tmp_path: Path, compression) -> None:
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        cancel.set()

    with pytest.raises(ArchiveCancelled):
        write_archive_tuned(
            many_members(tmp_path),
            io.BytesIO(),
            compression,
            cancel=cancel,
            on_progress=progress,
            chunk_size=4096,
        )
    assert len(seen) == 1
    assert archive_threads() == []


@pytest.mark.parametrize("compression", ["cli", "fast"])
def test_cancel_before_start(tmp_path: Path, compression) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ArchiveCancelled):
        write_archive(many_members(tmp_path, 3), io.BytesIO(), compression, cancel=cancel)
    assert archive_threads() == []


@pytest.mark.parametrize("compression", ["cli", "fast"])
def test_missing_file_is_an_input_error_naming_it(tmp_path: Path, compression) -> None:
    members = many_members(tmp_path, 5)
    members[3].path.unlink()
    with pytest.raises(InputError) as caught:
        write_archive(members, io.BytesIO(), compression)
    assert "cannot read f003" in str(caught.value)
    assert caught.value.input_name == "context"
    assert archive_threads() == []


def test_directory_in_place_of_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(InputError, match="cannot read d: "):
        write_archive([Member("d", tmp_path / "d", 0, 0o644)], io.BytesIO())


@pytest.mark.parametrize(
    ("declared", "actual"),
    [(10, 11), (10, 9), (0, 1), (1, 0), (3 * 4096 + 5, 3 * 4096 + 6), (3 * 4096 + 5, 4096)],
)
def test_file_whose_size_changed_is_reported(tmp_path: Path, declared: int, actual: int) -> None:
    """The size seen at selection differs from what reading finds: grown or shrunk."""
    (tmp_path / "before").write_bytes(b"a" * 1000)
    (tmp_path / "changing.log").write_bytes(b"z" * actual)
    members = [
        Member("before", tmp_path / "before", 1000, 0o644),
        Member("changing.log", tmp_path / "changing.log", declared, 0o644),
    ]
    with pytest.raises(ContextChangedError) as caught:
        write_archive_tuned(members, io.BytesIO(), chunk_size=4096)
    assert "'changing.log'" in str(caught.value)
    assert isinstance(caught.value, ActionError)
    assert archive_threads() == []


def test_file_growing_while_being_read_is_reported(tmp_path: Path) -> None:
    """A file appended to after the writer started on it (chunk by chunk) is caught."""
    path = tmp_path / "growing"
    path.write_bytes(b"g" * 200_000)
    member = Member("growing", path, 200_000, 0o644)

    def grow(done: int, total: int) -> None:
        with path.open("ab") as fh:
            fh.write(b"more")

    with pytest.raises(ContextChangedError, match="'growing'"):
        write_archive_tuned([member], io.BytesIO(), chunk_size=4096, on_progress=grow)


def test_failing_output_stops_the_run(tmp_path: Path) -> None:
    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:  # type: ignore[override]
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_archive(many_members(tmp_path, 5), Full())  # type: ignore[arg-type]
    assert archive_threads() == []
