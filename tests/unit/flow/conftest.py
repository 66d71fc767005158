"""The flow's unit tests share one in-memory Pipecat Cloud, a recording reporter and a run on
a fake clock (tests/unit/fakes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.flow.tools import Tools
from tests.unit.fakes import (
    FakeCloud,
    FakeRun,
    RecordingReporter,
    make_tools,
    settings_for,
    write_context,
)


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


@pytest.fixture
def out() -> RecordingReporter:
    return RecordingReporter()


@pytest.fixture
def run() -> FakeRun:
    return FakeRun()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_context(tmp_path / "ws")


@pytest.fixture
def tools(workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun) -> Tools:
    return make_tools(settings_for(workspace, poll_interval="5"), cloud, out, run)
