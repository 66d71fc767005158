"""The remembered context hash end to end (issue 12): an unchanged context is recognised
without compressing and without uploading; any change misses; the cache folder is never
packed; a run that finds its context already building follows it instead of uploading."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from pipecatcloud._utils.build_utils import create_deterministic_tarball, get_exclusions

from pipecat_build.archive.hash_cache import HashCache, cache_key
from pipecat_build.archive.select import SelectionOptions, select_context
from pipecat_build.archive.stream_digest import digest_stream
from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, finish, run_action, start_action

CACHE = ".pipecat-hash-cache"


def storage_requests(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.server == "storage")


def build(emulator: Emulator, workspace: Path, files: Path, **inputs: str):  # type: ignore[no-untyped-def]
    base = {"api_key": TEST_KEY, "api_url": emulator.api_url, "region": "us-west",
            "poll_interval": "0.1", "hash_cache": CACHE}
    return run_action(workspace, files, **{**base, **inputs})


def test_an_unchanged_context_is_recognised_without_compressing_or_uploading(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    first = build(emulator, workspace, tmp_path / "one")
    assert first.returncode == 0, first.log
    assert "without compressing" not in first.log
    uploads = storage_requests(emulator)
    second = build(emulator, workspace, tmp_path / "two")
    assert second.returncode == 0, second.log
    assert "without compressing" in second.log and "packed " not in second.log
    assert storage_requests(emulator) == uploads, "a remembered hit uploads nothing"
    assert second.outputs["context-hash"] == first.outputs["context-hash"]
    assert second.outputs["cached"] == "true"
    assert second.outputs["image-uri"] == first.outputs["image-uri"]


def test_a_one_byte_change_with_the_same_size_and_mtime_misses(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    first = build(emulator, workspace, tmp_path / "one")
    assert first.returncode == 0, first.log
    bot = workspace / "bot.py"
    stat = bot.stat()
    data = bytearray(bot.read_bytes())
    data[0] = ord("#") if data[0] != ord("#") else ord(" ")
    bot.write_bytes(bytes(data))
    os.utime(bot, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert bot.stat().st_size == stat.st_size and bot.stat().st_mtime_ns == stat.st_mtime_ns
    second = build(emulator, workspace, tmp_path / "two")
    assert second.returncode == 0, second.log
    assert "without compressing" not in second.log
    assert second.outputs["context-hash"] != first.outputs["context-hash"]
    assert second.outputs["cached"] == "false" and len(emulator.builds) == 2
    clean = tmp_path / "clean"  # pcc deploy would pack the cache folder: compare without it
    shutil.copytree(workspace, clean, ignore=shutil.ignore_patterns(CACHE))
    expected = create_deterministic_tarball(str(clean), get_exclusions(clean), "Dockerfile")
    assert second.outputs["context-hash"] == expected.context_hash


def test_the_cache_folder_is_never_packed(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    run = build(emulator, workspace, tmp_path / "one", plan_only="true")
    assert run.returncode == 0, run.log
    assert any((workspace / CACHE).iterdir()), "the plan remembered its hash"
    # The hash is the one of the folder without the cache: pcc deploy on a copy without it.
    clean = tmp_path / "clean"
    shutil.copytree(workspace, clean, ignore=shutil.ignore_patterns(CACHE))
    expected = create_deterministic_tarball(str(clean), get_exclusions(clean), "Dockerfile")
    assert run.outputs["context-hash"] == expected.context_hash
    again = build(emulator, workspace, tmp_path / "two", plan_only="true")
    assert "without compressing" in again.log
    assert again.outputs["context-hash"] == expected.context_hash


def test_a_wrong_remembered_hash_is_corrected_with_a_warning(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    cache = HashCache(workspace / CACHE, key=cache_key(TEST_KEY))  # the run's own key
    selection = select_context(
        workspace, "Dockerfile", SelectionOptions(excluded_folders=(workspace / CACHE,))
    )
    cache.remember(digest_stream(selection.members).key, "0123456789abcdef", 1)
    run = build(emulator, workspace, tmp_path / "one")
    assert run.returncode == 0, run.log
    [built] = emulator.builds
    assert run.outputs["context-hash"] == built["contextHash"] != "0123456789abcdef"
    assert any("hash-cache remembered context hash 0123456789abcdef" in line
               for line in run.stdout.splitlines() if line.startswith("::warning"))
    again = build(emulator, workspace, tmp_path / "two")
    assert again.outputs["context-hash"] == built["contextHash"]
    assert "without compressing" in again.log


def test_a_run_that_finds_its_context_building_follows_it_without_uploading(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.config.building_seconds = 3.0
    first = start_action(workspace, tmp_path / "one", api_key=TEST_KEY,
                         api_url=emulator.api_url, region="us-west", poll_interval="0.1")
    deadline = time.monotonic() + 30
    while not any(b["status"] in ("pending", "building") for b in emulator.builds):
        assert time.monotonic() < deadline, "the first run never started its build"
        assert first.poll() is None, "the first run ended early"
        time.sleep(0.05)
    uploads = storage_requests(emulator)
    second = run_action(workspace, tmp_path / "two", api_key=TEST_KEY, api_url=emulator.api_url,
                        region="us-west", poll_interval="0.1")
    one = finish(first, tmp_path / "one")
    assert one.returncode == 0 and second.returncode == 0, second.log
    assert storage_requests(emulator) == uploads, "the second run uploaded nothing"
    assert "following it, nothing to upload" in second.log
    assert second.outputs["build-id"] == one.outputs["build-id"]
    assert len(emulator.builds) == 1


def test_the_cli_remembers_in_the_users_cache_folder_by_default(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tests.action_harness import ROOT

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PIPECAT_API_KEY": TEST_KEY,
           "PIPECAT_API_URL": emulator.api_url, "PIPECAT_REGION": "us-west",
           "PIPECAT_POLL_INTERVAL": "0.1", "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "pipecat_build.entry.cli", "--context", "."]
    for run in (1, 2):
        done = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert ("without compressing" in done.stderr) == (run == 2)
    assert any((tmp_path / "xdg" / "pipecat-build").iterdir())
