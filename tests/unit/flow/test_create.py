"""flow/create.py: creating is not idempotent, so a lost answer is looked for before trying
again (for as long as a request may take), and a found build is adopted."""

from __future__ import annotations

import time

import pytest

from pipecat_build.api.connection import AnswerLost
from pipecat_build.flow.create import create, spread_then_look
from pipecat_build.flow.tools import Tools
from pipecat_build.models import Build, BuildStatus, UploadTicket
from pipecat_build.outcome import BuildKey
from tests.unit.fakes import FakeCloud, FakeRun, RecordingReporter, make_tools

KEY = BuildKey("h", "us-west", "Dockerfile")
TICKET = UploadTicket("upload-1", "https://storage.example", [], time.time() + 900)


@pytest.fixture
def uploaded(cloud: FakeCloud) -> FakeCloud:
    cloud.storage.uploaded["upload-1"] = "h"
    return cloud


def test_create_answers_the_new_build(tools: Tools, uploaded: FakeCloud) -> None:
    answer = create(tools, TICKET, KEY)
    assert answer.build.id == "build-1" and not answer.cached
    assert uploaded.builds.calls == [("create_build", ("upload-1", "us-west", "Dockerfile"))]


def test_a_lost_answer_is_adopted(
    tools: Tools, uploaded: FakeCloud, out: RecordingReporter
) -> None:
    uploaded.fail("create_build", AnswerLost("create the build: timed out"), after=True)
    answer = create(tools, TICKET, KEY)
    assert answer.build.id == "build-1" and not answer.cached
    assert uploaded.builds.created() == ["upload-1"]
    assert out.lines == [
        "create the build: timed out; checking whether the build was created anyway",
        "found build build-1: adopting it",
    ]


def test_an_adopted_old_success_is_the_services_cache(tools: Tools, uploaded: FakeCloud) -> None:
    """A lost answer to a create the service answered from its cache: the build found is a
    success made before this run's window."""
    uploaded.builds.cache_creates = True
    uploaded.fail("create_build", AnswerLost("timed out"), after=True)
    # find_running_or_done with `since` only sees the success (success wins, whatever its age)
    answer = create(tools, TICKET, KEY)
    assert answer.cached is True


def test_a_lost_answer_that_may_still_be_pending_is_looked_for_a_read_timeout(
    workspace: object, uploaded: FakeCloud, run: FakeRun
) -> None:
    from tests.unit.fakes import settings_for

    tools = make_tools(settings_for(workspace), uploaded, run=run, read_timeout=6.0)  # type: ignore[arg-type]
    uploaded.fail("create_build", AnswerLost("timed out", maybe_pending=True))
    answer = create(tools, TICKET, KEY)
    assert answer.build.id == "build-1"
    looks = [w for w in run.waits if w <= 1.0]
    assert sum(looks[:6]) == pytest.approx(6.0)  # kept looking for the read timeout (6 x 1 s)
    assert uploaded.builds.created() == ["upload-1", "upload-1"]


def test_a_build_appearing_while_looking_is_adopted(
    workspace: object, uploaded: FakeCloud, run: FakeRun
) -> None:
    from tests.unit.fakes import settings_for

    tools = make_tools(settings_for(workspace), uploaded, run=run)  # type: ignore[arg-type]
    uploaded.fail("create_build", AnswerLost("timed out", maybe_pending=True))

    def appears(n: int) -> None:
        if n == 3:
            uploaded.builds.add(Build("late", BuildStatus.PENDING, "h", "us-west",
                                      created_at=time.time()))

    run.on_wait.append(appears)
    assert create(tools, TICKET, KEY).build.id == "late"
    assert uploaded.builds.created() == ["upload-1"]


def test_spread_then_look_pauses_at_most_a_second(tools: Tools, cloud: FakeCloud,
                                                  run: FakeRun) -> None:
    assert spread_then_look(tools, KEY) is None
    (pause,) = run.waits
    assert 0.0 <= pause <= 1.0
