"""report/outputs.py: the one writer of outputs: each written once, only in the modes the
outputs table lists for it."""

from __future__ import annotations

import threading

import pytest

from pipecat_build.mode import RunMode
from pipecat_build.outputs import OUTPUTS
from pipecat_build.report.outputs import OutputWriter
from tests.unit.fakes import RecordingReporter


def test_an_output_is_written_once_per_value() -> None:
    out = RecordingReporter()
    writer = OutputWriter(out, RunMode.BUILD)
    writer.set("build-id", "b1")
    writer.set("build-id", "b1")  # set early, then again with the outcome: not rewritten
    writer.set("build-id", "b2")  # a new value is
    assert out.output_calls == [("build-id", "b1"), ("build-id", "b2")]


def test_an_output_its_mode_does_not_set_is_refused() -> None:
    writer = OutputWriter(RecordingReporter(), RunMode.PLAN)
    with pytest.raises(AssertionError, match="output deployment-id is not set in plan mode"):
        writer.set("deployment-id", "dep-1")


def test_an_unknown_output_is_refused() -> None:
    with pytest.raises(KeyError):
        OutputWriter(RecordingReporter(), RunMode.BUILD).set("no-such-output", "x")


def test_set_all_writes_each_in_order() -> None:
    out = RecordingReporter()
    OutputWriter(out, RunMode.SERVICES).set_all({"images": "{}", "deployments": "{}"})
    assert out.output_calls == [("images", "{}"), ("deployments", "{}")]


def test_every_mode_may_write_exactly_its_outputs() -> None:
    for mode in RunMode:
        writer = OutputWriter(RecordingReporter(), mode)
        for spec in OUTPUTS:
            if mode in spec.modes:
                writer.set(spec.name, "v")
            else:
                with pytest.raises(AssertionError):
                    writer.set(spec.name, "v")


def test_threads_writing_one_output_write_it_once() -> None:
    out = RecordingReporter()
    writer = OutputWriter(out, RunMode.BUILD)
    threads = [threading.Thread(target=writer.set, args=("build-id", "b1")) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert out.output_calls == [("build-id", "b1")]
