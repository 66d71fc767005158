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
from .contract.validator import ContractViolation, contract

# A test that sends requests the spec does not allow, on purpose (a malformed body, an unknown
# path, a bad id, a missing key): its requests are not held against the spec, but the answers
# the emulator gives them still are (a documented status, or an ErrorResponse with a spec code).
BAD_REQUESTS = "contract_bad_requests"
# A test that sends the API key to the storage host itself, to see storage refuse it.
KEY_TO_STORAGE = "key_sent_to_storage_on_purpose"

EXAMPLE_AGENT = ROOT / "examples" / "agent"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=TEST_KEY, pending_seconds=0.1, building_seconds=0.6)
    with Emulator(config) as emu:
        yield emu


@pytest.fixture
def deploy_emulator(emulator: Emulator) -> Iterator[Emulator]:
    """The suite's emulator with short build, deploy and secret-set timings; after the test,
    the service dropped no body field (the client sent only fields the spec defines)."""
    config = emulator.config
    config.pending_seconds, config.building_seconds = 0.05, 0.2
    config.deploy_reconcile_seconds = 0.3
    config.deploy_creating_seconds = 0.1
    config.deploy_validating_seconds = 0.2
    config.deploy_draining_seconds = 0.1
    config.crash_restart_seconds = 0.05
    config.secret_pending_seconds = 0.3
    yield emulator
    assert emulator.dropped_fields == []


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{BAD_REQUESTS}(reason): the test sends requests the OpenAPI spec does not allow on "
        "purpose; only the emulator's answers to them are checked against the spec",
    )
    config.addinivalue_line(
        "markers",
        f"{KEY_TO_STORAGE}(reason): the test itself sends the API key to the storage host, so "
        "the check that storage never sees it is skipped (the contract checks still run)",
    )


@pytest.fixture(autouse=True)
def _emulators_started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Emulator]]:
    """Every Emulator started during the test, by the fixture or by the test itself."""
    started: list[Emulator] = []
    original = Emulator.start

    def start(self: Emulator) -> Emulator:
        if not any(emu is self for emu in started):
            started.append(self)
        return original(self)

    monkeypatch.setattr(Emulator, "start", start)
    yield started


def _key_leaks(emu: Emulator) -> list[str]:
    """Storage requests that carried the API key or any Authorization header."""
    keys = {TEST_KEY, emu.config.api_key}
    leaks = []
    for seen in emu.requests:
        if seen.server != "storage":
            continue
        carried = [*seen.headers.values(), *(value for _, value in seen.form_fields)]
        carried += [seen.path, str(seen.query)]
        if any(name.lower() == "authorization" for name in seen.headers) or any(
            key in value for key in keys for value in carried
        ):
            leaks.append(f"{seen.method} {seen.path}")
    return leaks


def _contract_problems(emu: Emulator, check_requests: bool) -> list[str]:
    problems = []
    checker = contract()
    for seen in emu.requests:
        if seen.server != "api":
            continue
        try:
            checker.check_recorded(seen, request=check_requests)
        except ContractViolation as violation:
            problems.append(str(violation))
    return problems


@pytest.fixture(autouse=True)
def _emulator_checks(
    request: pytest.FixtureRequest, _emulators_started: list[Emulator]
) -> Iterator[None]:
    """After every test, for every emulator it started:
    - the storage host never received the API key, in a header, a form field or the URL, nor
      any Authorization header (unless marked key_sent_to_storage_on_purpose);
    - every request the client sent to the API conforms to the official OpenAPI spec
      (spec/pipecat-cloud-openapi.json, operation, parameters, body; tests/contract/), unless
      the test is marked contract_bad_requests;
    - every answer the emulator gave conforms to the documented response of its status,
      errors included, except answers into which a fault was injected on purpose.
    """
    yield
    check_requests = request.node.get_closest_marker(BAD_REQUESTS) is None
    check_key = request.node.get_closest_marker(KEY_TO_STORAGE) is None
    leaks: list[str] = []
    problems: list[str] = []
    for emu in _emulators_started:
        leaks += _key_leaks(emu) if check_key else []
        problems += _contract_problems(emu, check_requests)
    assert not leaks, f"storage saw the API key or an Authorization header: {leaks}"
    if problems:
        unique = list(dict.fromkeys(problems))
        shown = "\n".join(f"- {problem}" for problem in unique[:10])
        more = f"\n(and {len(unique) - 10} more)" if len(unique) > 10 else ""
        pytest.fail(f"not what the OpenAPI spec allows:\n{shown}{more}", pytrace=False)

