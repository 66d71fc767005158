"""flow/follow.py: poll until the build ends, each log line once, bounded by build-timeout."""

from __future__ import annotations

import pytest

from pipecat_build.api.connection import ApiError
from pipecat_build.errors import InputError
from pipecat_build.flow.follow import LOG_LINE_LIMIT, BuildTimedOut, Follower
from pipecat_build.flow.tools import Tools
from pipecat_build.models import Build, BuildStatus, ServerAnswerError
from tests.unit.fakes import FakeCloud, FakeRun, RecordingReporter


def building(cloud: FakeCloud, *progress: BuildStatus) -> Build:
    return cloud.builds.add(Build("b1", BuildStatus.PENDING, "h", "us-west"), list(progress))


def test_follows_to_the_end_printing_each_line_once(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    build = building(cloud, BuildStatus.BUILDING, BuildStatus.BUILDING, BuildStatus.SUCCESS)
    cloud.builds.logs["b1"] = ["one"]

    def more_log(n: int) -> None:
        cloud.builds.logs["b1"].append(f"line after wait {n}")

    run.on_wait.append(more_log)
    ended = Follower(tools).follow(build)
    assert ended.status is BuildStatus.SUCCESS
    assert out.lines == [
        "following build b1 (status: pending)",
        "one",
        "build b1: building",
        "line after wait 1",
        "line after wait 2",
        "build b1: success",
    ]
    assert run.waits == [5.0, 5.0]


def test_a_finished_build_is_not_polled(tools: Tools, cloud: FakeCloud) -> None:
    build = cloud.builds.add(Build("b1", BuildStatus.FAILED, "h", "us-west"))
    cloud.builds.logs["b1"] = [f"l{n}" for n in range(25)]
    follower = Follower(tools)
    assert follower.follow(build) is build
    assert ("get_build", "b1") not in cloud.builds.calls
    assert list(follower.last_lines) == [f"l{n}" for n in range(5, 25)]


def test_build_timeout(tools: Tools, cloud: FakeCloud, run: FakeRun) -> None:
    build = building(cloud, BuildStatus.BUILDING)
    with pytest.raises(BuildTimedOut) as caught:
        Follower(tools).follow(build)
    assert str(caught.value).startswith("build b1 did not finish within build-timeout (30m00s)")
    assert run.waited == 1800.0


def test_a_failing_log_fetch_is_said_once_and_never_decides(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    build = building(cloud, BuildStatus.BUILDING, BuildStatus.BUILDING, BuildStatus.SUCCESS)
    for _ in range(2):
        cloud.fail("get_logs", ApiError("read logs of build b1: HTTP 502", status=502))
    assert Follower(tools).follow(build).status is BuildStatus.SUCCESS
    said = [line for line in out.lines if line.startswith("could not read the build log")]
    assert said == ["could not read the build log (read logs of build b1: HTTP 502); "
                    "will try again"]


def test_losing_contact_says_the_build_may_still_run(tools: Tools, cloud: FakeCloud) -> None:
    build = building(cloud, BuildStatus.BUILDING)
    cloud.fail("get_build", ApiError("read build b1: no connection"))
    with pytest.raises(Exception) as caught:
        Follower(tools).follow(build)
    assert str(caught.value) == (
        "lost contact with Pipecat Cloud while following build b1: read build b1: no "
        "connection. The build may still be running on Pipecat Cloud."
    )


def test_an_input_error_while_following_passes_unchanged(tools: Tools, cloud: FakeCloud) -> None:
    build = building(cloud, BuildStatus.BUILDING)
    cloud.fail("get_build", InputError("api-url", "wrong"))
    with pytest.raises(InputError):
        Follower(tools).follow(build)


def test_an_answer_refused_while_following_is_not_called_lost_contact(
    tools: Tools, cloud: FakeCloud
) -> None:
    build = building(cloud, BuildStatus.BUILDING)
    refused = ServerAnswerError("build b1: Pipecat Cloud's imageUri '$(x)' is not a reference")
    cloud.fail("get_build", refused)
    with pytest.raises(ServerAnswerError) as caught:
        Follower(tools).follow(build)
    assert "lost contact" not in str(caught.value)


def test_a_huge_log_line_is_shown_cut_and_counted(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    build = cloud.builds.add(Build("b1", BuildStatus.SUCCESS, "h", "us-west"))
    cloud.builds.logs["b1"] = ["x" * 200_000, "next"]
    follower = Follower(tools)
    follower.follow(build)
    [huge] = [line for line in out.lines if line.startswith("xxx")]
    assert huge == "x" * LOG_LINE_LIMIT + f"... ({200_000 - LOG_LINE_LIMIT:,} more characters)"
    assert "next" in out.lines and huge in follower.last_lines
