"""Issue 20 §8 through the front door: a bad value of any input ends `run_job` with exit 1 and
exactly one error line naming the input, and no session is ever opened (nothing is sent)."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipecat_build.config.settings import build_settings
from pipecat_build.errors import InputError
from pipecat_build.inputs import ACTION, CLI, INPUTS, Vocabulary
from pipecat_build.job import run_job
from pipecat_build.report.reporter import ConsoleReporter
from pipecat_build.run import Run
from pipecat_build.runtime import Runtime

from .config.test_settings_security import BASELINE, hostile_text


class SessionOpened(BaseException):  # past run_job's `except Exception`
    """Raised when the job opens a session: only valid settings may get this far."""


@contextlib.contextmanager
def no_sessions(runtime: Runtime) -> Iterator[tuple[object, object]]:
    raise SessionOpened
    yield  # pragma: no cover


_WORKSPACE = Path(tempfile.mkdtemp(prefix="pb-job-property-"))
(_WORKSPACE / "Dockerfile").write_text("FROM scratch\n")


def _run(inputs: dict[str, str], vocabulary: Vocabulary) -> tuple[int, ConsoleReporter, str]:
    stream = io.StringIO()
    out = ConsoleReporter(stream)
    code = run_job(
        inputs, _WORKSPACE, out, run=Run(), vocabulary=vocabulary, sessions=no_sessions  # type: ignore[arg-type]
    )
    return code, out, stream.getvalue()


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from([spec.name for spec in INPUTS]), value=hostile_text,
       vocabulary=st.sampled_from([ACTION, CLI]))
@example(name="secret-set", value="../agents/victim", vocabulary=ACTION)
@example(name="api-url", value="http://[::1", vocabulary=CLI)
@example(name="max-agents", value="0", vocabulary=ACTION)
def test_bad_values_end_in_one_line_and_send_nothing(
    name: str, value: str, vocabulary: Vocabulary
) -> None:
    inputs = {**BASELINE, name: value}
    try:
        build_settings(inputs, _WORKSPACE)
    except InputError:
        pass
    else:
        return  # a value that builds settings would be sent: not this test's concern
    try:
        code, out, log = _run(inputs, vocabulary)
    except SessionOpened:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"{name}={value!r} was refused by the settings but a session was opened")
    assert code == 1
    assert len(out.errors) == 1
    assert out.errors[0].splitlines() == [out.errors[0]]
    assert vocabulary.name(name) in out.errors[0]
    assert "unexpected error" not in log
    assert log.count("\nerror: ") + log.startswith("error: ") == 1


def test_valid_values_do_open_a_session() -> None:
    """The guard of the property above: a good step does reach the network."""
    with pytest.raises(SessionOpened):
        _run(dict(BASELINE), ACTION)
