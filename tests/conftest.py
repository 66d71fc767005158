from __future__ import annotations

import sys
from pathlib import Path as _Path

# Test the checkout, not a (possibly stale, non-editable) copy installed in the venv: the
# entrypoint subprocesses already import from src/, in-process tests must see the same code.
sys.path.insert(0, str(_Path(__file__).resolve().parent.parent / "src"))

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator, EmulatorConfig

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


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production backoff starts at 0.5 s; hundreds of injected faults must not sleep that
    long. Entrypoint subprocesses inherit it (the harness copies the environment)."""
    monkeypatch.setenv("PIPECAT_BUILD_RETRY_BASE_DELAY", "0.005")


@pytest.fixture(autouse=True)
def _storage_never_sees_the_key(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that runs against the emulator also checks that the storage host never
    received the API key, in a header or a form field, nor any Authorization header."""
    emu = request.getfixturevalue("emulator") if "emulator" in request.fixturenames else None
    yield
    if emu is None:
        return
    for seen in emu.requests:
        if seen.server != "storage":
            continue
        assert not any(name.lower() == "authorization" for name in seen.headers), seen.path
        carried = [*seen.headers.values(), *(value for _, value in seen.form_fields)]
        assert not any(TEST_KEY in value for value in carried), seen.path
        assert TEST_KEY not in seen.path and TEST_KEY not in str(seen.query)
