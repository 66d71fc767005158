"""report/results.py: outcomes into outputs, a summary, one error line per failure, a
closing line and the exit code, as the run's mode says."""

from __future__ import annotations

import json
from pathlib import Path

from pipecat_build.config import DeploySpec, Target
from pipecat_build.inputs import ACTION, CLI, Vocabulary
from pipecat_build.mode import RunMode
from pipecat_build.models import Build, BuildStatus
from pipecat_build.outcome import DeployResult, DeployStatus, Outcome, RunStatus
from pipecat_build.report.outputs import OutputWriter
from pipecat_build.report.results import closing_line, failure_message, report_results
from tests.unit.fakes import RecordingReporter

WS = Path("/ws")


def target(name: str = "", deploy: DeploySpec | None = None) -> Target:
    return Target(name, WS / (name or ""), "Dockerfile", None, deploy=deploy)


def built(name: str = "", *, cached: bool = False, **kw: object) -> Outcome:
    build = Build(f"b-{name or 'x'}", BuildStatus.SUCCESS, "h", "us-west",
                  image_uri=f"registry.example/{name or 'x'}:1")
    return Outcome(target(name), RunStatus.SUCCESS, "us-west", "h" * 16, 10, 1, build, cached,
                   **kw)  # type: ignore[arg-type]


def failed(name: str = "", error: str = "boom", **kw: object) -> Outcome:
    build = Build(f"b-{name or 'x'}", BuildStatus.FAILED, "h", "us-west")
    return Outcome(target(name), RunStatus.FAILED, "us-west", "h" * 16, build=build,
                   error=error, **kw)  # type: ignore[arg-type]


def report(
    mode: RunMode, outcomes: list[Outcome], vocabulary: Vocabulary = ACTION
) -> tuple[int, RecordingReporter]:
    out = RecordingReporter()
    code = report_results(mode, outcomes, WS, OutputWriter(out, mode), out, vocabulary)
    return code, out


# --- failure_message --------------------------------------------------------------------------


def test_failure_message_names_the_service_and_build_on_the_first_line() -> None:
    outcome = failed("api", "the build ended\nTraceback line", last_log_lines=("l1", "l2"))
    assert failure_message(outcome) == (
        "api: the build ended (build b-api)\nTraceback line\nLast log lines:\nl1\nl2"
    )


def test_failure_message_of_a_deploy_and_of_nothing_said() -> None:
    deploy = DeployResult("bot", DeployStatus.FAILED, "dep-1", "agent bot: crashed")
    assert failure_message(built(deploy=deploy)) == "agent bot: crashed (build b-x)"
    bare = Outcome(target(), RunStatus.ERROR)
    assert failure_message(bare) == "failed"


def test_a_built_outcome_shows_no_log_lines() -> None:
    deploy = DeployResult("bot", DeployStatus.FAILED, "dep-1", "crashed")
    outcome = built(deploy=deploy, last_log_lines=("l1",))
    assert "Last log lines" not in failure_message(outcome)


# --- closing_line -----------------------------------------------------------------------------


def test_closing_line_of_a_build() -> None:
    assert closing_line([built()], RunMode.BUILD) == (
        f"✅ built registry.example/x:1 (context {'h' * 16})"
    )
    deploy = DeployResult("bot", DeployStatus.READY, "dep-1")
    assert closing_line([built(cached=True, deploy=deploy)], RunMode.BUILD) == (
        f"✅ reused registry.example/x:1 (context {'h' * 16}); agent bot: ready"
    )


def test_closing_line_of_services() -> None:
    deploy = DeployResult("bot", DeployStatus.READY, "dep-1")
    outcomes = [built("a"), built("b", cached=True, deploy=deploy), failed("c")]
    assert closing_line(outcomes, RunMode.SERVICES) == (
        "❌ 3 services: 1 built, 1 reused, 1 deployed, 1 failed"
    )
    assert closing_line([built("a")], RunMode.SERVICES) == "✅ 1 services: 1 built, 0 reused"


def test_closing_line_of_a_plan() -> None:
    planned = Outcome(target("a"), RunStatus.PLANNED, "us-west", "h" * 16)
    assert closing_line([planned, built("b", cached=True)], RunMode.PLAN_SERVICES) == (
        "✅ plan: 1 of 2 need a build, 1 already built"
    )


# --- report_results ---------------------------------------------------------------------------


def test_a_successful_build_reports_outputs_summary_and_closing_line() -> None:
    code, out = report(RunMode.BUILD, [built()])
    assert code == 0
    assert out.outputs["image-uri"] == "registry.example/x:1"
    assert out.outputs["status"] == "success"
    assert len(out.summaries) == 1
    assert out.errors == []
    assert out.lines == [f"✅ built registry.example/x:1 (context {'h' * 16})"]


def test_a_failed_build_is_its_error_line_alone() -> None:
    code, out = report(RunMode.BUILD, [failed(error="the build failed")])
    assert code == 1
    assert out.errors == ["the build failed (build b-x)"]
    assert out.error_titles == ["Pipecat Cloud build"]
    assert out.lines == []


def test_a_failed_deploy_is_titled_as_one() -> None:
    deploy = DeployResult("bot", DeployStatus.FAILED, "dep-1", "crashed")
    code, out = report(RunMode.BUILD, [built(deploy=deploy)])
    assert code == 1
    assert out.error_titles == ["Pipecat Cloud deploy"]
    assert out.outputs["deploy-status"] == "failed"


def test_services_report_images_deployments_and_each_failure() -> None:
    deploy = DeployResult("bot", DeployStatus.READY, "dep-1")
    code, out = report(RunMode.SERVICES, [built("a", deploy=deploy), failed("b", "no")])
    assert code == 1
    assert json.loads(out.outputs["images"]) == {"a": "registry.example/a:1"}
    assert json.loads(out.outputs["deployments"]) == {"a": "ready"}
    assert out.errors == ["b: no (build b-b)"]
    assert out.lines == ["❌ 2 services: 1 built, 0 reused, 1 deployed, 1 failed"]
    assert "build-id" not in out.outputs


def test_services_without_a_deploy_write_no_deployments() -> None:
    _, out = report(RunMode.SERVICES, [built("a")])
    assert "deployments" not in out.outputs


def test_a_plan_writes_its_matrix_and_status() -> None:
    planned = Outcome(target(), RunStatus.PLANNED, "us-west", "h" * 16)
    code, out = report(RunMode.PLAN, [planned])
    assert code == 0
    assert out.outputs["status"] == "planned"
    (leg,) = json.loads(out.outputs["matrix"])["include"]
    assert leg["context-hash"] == "h" * 16
    assert out.lines == ["✅ plan: 1 of 1 need a build, 0 already built"]


def test_errors_are_spoken_in_the_front_doors_words() -> None:
    outcome = Outcome(target(), error="Input 'poll-interval': bad")
    _, out = report(RunMode.BUILD, [outcome], CLI)
    assert out.errors == [CLI.speak("Input 'poll-interval': bad")]
