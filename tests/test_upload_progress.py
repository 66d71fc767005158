"""The upload progress line: a sensible rate, human units, never a repeated 100%."""

from __future__ import annotations

from pipecat_build.upload import ProgressMeter


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
