from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipecat_build.emulator import Emulator, EmulatorConfig

from .action_harness import ROOT, TEST_KEY

EXAMPLE_AGENT = ROOT / "examples" / "agent"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=TEST_KEY, pending_seconds=0.1, building_seconds=0.6)
    with Emulator(config) as emu:
        yield emu


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout holding the example agent at its root."""
    root = tmp_path / "workspace"
    shutil.copytree(EXAMPLE_AGENT, root)
    return root


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """Where the runner keeps GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and the container's /tmp."""
    return tmp_path / "runner"
