"""flow/pack.py: the context's files and hash; a hash cache that recognises the tar stream
skips compressing until an upload needs the archive; a missing Dockerfile says where one is."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.errors import InputError
from pipecat_build.flow.pack import check_dockerfile, ensure_archive, pack
from tests.unit.fakes import (
    FakeCloud,
    FakeRun,
    RecordingReporter,
    make_tools,
    settings_for,
    write_context,
)


def test_pack_writes_the_archive_and_reports_the_hash(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace)
    tools = make_tools(settings, cloud, out, run)
    packed = pack(tools, settings.targets[0])
    assert packed.path is not None and packed.path.is_file()
    assert packed.archive_bytes == packed.path.stat().st_size
    assert packed.file_count == 2
    assert len(packed.context_hash) == 16
    assert any(line.endswith(f"context hash {packed.context_hash}") for line in out.lines)
    assert ensure_archive(tools, packed) is packed  # already written: nothing to do
    run.discard(packed.path)


def test_a_hash_cache_recognises_the_stream_and_compresses_only_for_an_upload(
    workspace: Path, cloud: FakeCloud, run: FakeRun
) -> None:
    settings = settings_for(workspace, hash_cache=".hash-cache")
    first = pack(make_tools(settings, cloud, RecordingReporter(), run), settings.targets[0])
    assert first.path is not None
    out = RecordingReporter()
    tools = make_tools(settings, cloud, out, run)
    again = pack(tools, settings.targets[0])
    assert again.path is None  # nothing compressed
    assert again.context_hash == first.context_hash
    assert again.archive_bytes == first.archive_bytes
    assert any(f"remembered context hash {first.context_hash}" in line for line in out.lines)
    written = ensure_archive(tools, again)
    assert written.path is not None and written.context_hash == first.context_hash
    assert out.warnings == []


def test_a_wrong_remembered_hash_is_corrected_with_a_warning(
    workspace: Path, cloud: FakeCloud, run: FakeRun
) -> None:
    import dataclasses

    settings = settings_for(workspace, hash_cache=".hash-cache")
    pack(make_tools(settings, cloud, RecordingReporter(), run), settings.targets[0])
    out = RecordingReporter()
    tools = make_tools(settings, cloud, out, run)
    remembered = dataclasses.replace(
        pack(tools, settings.targets[0]), context_hash="0000000000000000"
    )
    written = ensure_archive(tools, remembered)
    assert written.context_hash != "0000000000000000"
    assert out.warnings == [
        f"hash-cache remembered context hash 0000000000000000, but the archive's is "
        f"{written.context_hash}; using the real one and correcting the cache"
    ]


def test_a_failed_write_leaves_no_scratch_file(
    workspace: Path, cloud: FakeCloud, run: FakeRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipecat_build.archive import tar_stream

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(tar_stream, "write_archive", broken)
    settings = settings_for(workspace)
    with pytest.raises(OSError, match="disk full"):
        pack(make_tools(settings, cloud, RecordingReporter(), run), settings.targets[0])
    assert run._scratch == set()


def test_selection_warnings_name_the_file(
    tmp_path: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    ws = write_context(tmp_path / "ws", {
        "Dockerfile": "FROM scratch\n", "tls/server.pem": "k", ".dockerignore": "*.md\n"
    })
    settings = settings_for(ws)
    packed = pack(make_tools(settings, cloud, out, run), settings.targets[0])
    assert len(out.warnings) == 1 and "tls/server.pem" in out.warnings[0], out.warnings
    assert packed.file_count == 3


def test_a_missing_dockerfile_names_the_folders_that_hold_one(tmp_path: Path) -> None:
    ws = write_context(tmp_path / "ws", {"app/Dockerfile": "FROM scratch\n", "README": "x"})
    settings = settings_for(ws)
    with pytest.raises(InputError) as caught:
        check_dockerfile(settings.targets[0], settings.workspace)
    assert caught.value.input_name == "context"
    assert caught.value.detail == (
        "no Dockerfile at Dockerfile; set context to the folder that holds it (found: app)"
    )


def test_a_missing_named_dockerfile_lists_the_others(tmp_path: Path) -> None:
    ws = write_context(tmp_path / "ws", {"Dockerfile.dev": "FROM scratch\n"})
    settings = settings_for(ws, dockerfile="Dockerfile.prod")
    with pytest.raises(InputError) as caught:
        check_dockerfile(settings.targets[0], settings.workspace)
    assert caught.value.input_name == "dockerfile"
    assert caught.value.detail == (
        "no Dockerfile at Dockerfile.prod; give its path relative to the context "
        "(found: Dockerfile.dev)"
    )


def test_a_missing_dockerfile_with_none_elsewhere(tmp_path: Path) -> None:
    ws = write_context(tmp_path / "ws", {"main.py": "x", "node_modules/Dockerfile": "x"})
    settings = settings_for(ws)
    with pytest.raises(InputError) as caught:
        check_dockerfile(settings.targets[0], settings.workspace)
    assert caught.value.detail == (
        "no Dockerfile at Dockerfile; give its path relative to the context"
    )
