"""The upload progress line: a sensible rate, human units, never a repeated 100%."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipecat_build.api.builds import BuildsApi
from pipecat_build.api.connection import ApiConnection
from pipecat_build.api.storage import upload_archive
from pipecat_build.api.transport import HttpClient
from pipecat_build.flow.upload import ProgressMeter
from pipecat_cloud_emulator import Emulator, EmulatorConfig
from tests.action_harness import TEST_KEY


def test_lines_come_every_few_seconds_and_stop_before_the_end() -> None:
    now = [0.0]
    lines: list[str] = []
    meter = ProgressMeter(300 * 2**20, lines.append, every=3.0, clock=lambda: now[0])
    for second in range(1, 11):
        now[0] = float(second)
        meter.update(second * 30 * 2**20)  # 30 MiB/s: done at 10 s
    assert len(lines) == 3  # at 3, 6 and 9 seconds; the caller prints the closing line
    assert lines[0] == "uploaded 30.0%  90.0 MiB of 300.0 MiB  30.0 MiB/s  about 7.0s left"
    assert "100" not in "".join(lines)


def test_a_small_archive_prints_no_progress_line() -> None:
    lines: list[str] = []
    meter = ProgressMeter(566, lines.append)
    meter.update(566, 700)
    meter.update(700, 700)
    assert lines == []


def test_libcurl_reports_the_upload_as_it_goes(tmp_path: Path) -> None:
    """The meter is fed by libcurl's progress calls: counts only grow, end at the form's
    full size, and the stored object is the file, byte for byte."""
    archive = tmp_path / "context.tar.gz"
    archive.write_bytes(os.urandom(3 << 20))
    seen: list[tuple[int, int]] = []
    with Emulator(EmulatorConfig(api_key=TEST_KEY)) as emu, HttpClient() as http:
        ticket = BuildsApi(ApiConnection(http, emu.api_url, TEST_KEY)).request_upload("us-west")
        upload_archive(http, ticket, archive, on_progress=lambda done, total: seen.append(
            (done, total)))
        stored = emu.state.uploads[ticket.upload_id]
    assert stored.size == archive.stat().st_size
    assert stored.md5 == hashlib.md5(archive.read_bytes()).hexdigest()
    done = [d for d, _ in seen]
    assert done == sorted(done) and len(set(done)) > 1
    [total] = {t for _, t in seen}
    assert done[-1] == total > archive.stat().st_size  # the form's fields count too
