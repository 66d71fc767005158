"""job.py: the front door from inputs to exit code, with the in-memory service handed in
(a tools factory makes the fakes instead of API clients; the sessions are never used)."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipecat_build import job
from pipecat_build.api.connection import ApiError
from pipecat_build.config import RunMode
from pipecat_build.flow.tools import Tools
from pipecat_build.inputs import ACTION, CLI, Vocabulary
from pipecat_build.runtime import Runtime
from tests.unit.fakes import KEY, FakeCloud, FakeRun, RecordingReporter, crashed, write_context


@contextlib.contextmanager
def no_network(runtime: Runtime) -> Iterator[tuple[Any, Any]]:
    yield None, None


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


def fake_tools(cloud: FakeCloud) -> job.ToolsFactory:
    def make(settings: Any, connection: Any, storage: Any, out: Any, run: Any,
             runtime: Runtime) -> Tools:
        return Tools(settings, connection, cloud.builds, cloud.agents, cloud.storage, out, run,
                     runtime, random.Random(7))

    return make


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_context(tmp_path / "ws")


def run_job(
    cloud: FakeCloud,
    workspace: Path,
    out: RecordingReporter,
    vocabulary: Vocabulary = ACTION,
    **inputs: str,
) -> int:
    raw = {"api-key": KEY, **{k.replace("_", "-"): v for k, v in inputs.items()}}
    return job.run_job(
        raw, workspace, out, run=FakeRun(), vocabulary=vocabulary, sessions=no_network,
        tools=fake_tools(cloud),
    )


def test_a_build_sets_its_outputs_summary_and_closing_line(
    workspace: Path, cloud: FakeCloud
) -> None:
    out = RecordingReporter()
    assert run_job(cloud, workspace, out) == 0
    assert out.masks[0] == KEY  # before anything else is printed
    assert out.events[0] == ("mask", KEY)
    assert out.outputs["build-id"] == "build-1"
    assert out.outputs["status"] == "success"
    assert out.outputs["cached"] == "false"
    assert out.outputs["image-uri"] == "registry.example/build-1:latest"
    assert len(out.outputs["context-hash"]) == 16
    assert len(out.summaries) == 1
    assert out.errors == []
    assert out.lines[-1] == (
        f"✅ built registry.example/build-1:latest (context {out.outputs['context-hash']})"
    )


def test_the_build_id_is_an_output_as_soon_as_the_build_exists(
    workspace: Path, cloud: FakeCloud
) -> None:
    out = RecordingReporter()
    run_job(cloud, workspace, out)
    first_output = next(e for e in out.events if e[0] == "output")
    assert first_output == ("output", "build-id=build-1")
    following = out.events.index(first_output)
    assert ("line", "following build build-1 (status: pending)") in out.events[following:]
    assert [c for c in out.output_calls if c[0] == "build-id"] == [("build-id", "build-1")]


def test_a_deploy_sets_the_agent_outputs_when_accepted(workspace: Path, cloud: FakeCloud) -> None:
    out = RecordingReporter()
    assert run_job(cloud, workspace, out, agent_name="bot") == 0
    accepted = out.events.index(("output", "deployment-id=dep-1"))
    assert ("line", "agent bot serves deployment dep-1") in out.events[accepted:]
    assert out.outputs["agent-name"] == "bot"
    assert out.outputs["deploy-status"] == "ready"
    assert out.lines[-1].endswith("; agent bot: ready")


def test_secret_values_are_masked_before_any_step_prints(
    workspace: Path, cloud: FakeCloud
) -> None:
    out = RecordingReporter()
    code = run_job(
        cloud, workspace, out, agent_name="bot", secret_set="bot-set",
        secrets="TOKEN=tok-value-1\nOTHER=other-value-2\n",
    )
    assert code == 0
    assert {"tok-value-1", "other-value-2"} <= set(out.masks)
    first_line = next(i for i, e in enumerate(out.events) if e[0] == "line")
    masked = [i for i, e in enumerate(out.events) if e == ("mask", "tok-value-1")]
    assert masked and masked[0] < first_line
    assert cloud.agents.values["bot-set"] == {"TOKEN": "tok-value-1", "OTHER": "other-value-2"}


def test_a_failed_build_is_one_error_and_exit_1(workspace: Path, cloud: FakeCloud) -> None:
    from pipecat_build.models import BuildStatus

    cloud.builds.new_build_progress = [BuildStatus.FAILED]
    cloud.builds.logs["build-1"] = ["RUN pip install", "error: no such package"]
    out = RecordingReporter()
    assert run_job(cloud, workspace, out) == 1
    (error,) = out.errors
    assert error.splitlines() == [
        "build failed (build build-1)", "Last log lines:", "RUN pip install",
        "error: no such package",
    ]
    assert out.error_titles == ["Pipecat Cloud build"]
    assert out.outputs["status"] == "failed"
    assert "image-uri" not in out.outputs
    assert not out.lines[-1].startswith(("✅", "❌"))  # one target's failure is its error line


def test_a_failed_deploy_is_titled_as_a_deploy(workspace: Path, cloud: FakeCloud) -> None:
    cloud.agents.rollout = [crashed(phase="Failed")]
    out = RecordingReporter()
    assert run_job(cloud, workspace, out, agent_name="bot") == 1
    assert out.error_titles == ["Pipecat Cloud deploy"]
    assert out.errors[0] == (
        "agent bot: deployment dep-1 failed: the revision failed (build build-1)"
    )
    assert out.outputs["deploy-status"] == "failed"
    assert out.outputs["image-uri"] != ""


def test_a_plan_writes_the_matrix(workspace: Path, cloud: FakeCloud) -> None:
    out = RecordingReporter()
    assert run_job(cloud, workspace, out, plan_only="true") == 0
    matrix = json.loads(out.outputs["matrix"])
    (leg,) = matrix["include"]
    assert leg["context"] == "." and leg["region"] == "us-west"
    assert out.outputs["status"] == "planned"
    assert out.lines[-1] == "✅ plan: 1 of 1 need a build, 0 already built"
    assert cloud.storage.posts == 0


def test_services_one_failing_among_many(tmp_path: Path, cloud: FakeCloud) -> None:
    ws = tmp_path / "ws"
    write_context(ws / "a")
    write_context(ws / "b", {"app.py": "no Dockerfile here\n"})
    out = RecordingReporter()
    code = run_job(cloud, ws, out, services="a: {context: a}\nb: {context: b}\n")
    assert code == 1
    assert json.loads(out.outputs["images"]) == {"a": "registry.example/build-1:latest"}
    (error,) = out.errors
    assert error.startswith("b: Input 'services': no Dockerfile at b/Dockerfile")
    assert out.lines[-1] == "❌ 2 services: 1 built, 0 reused, 1 failed"
    assert "build-id" not in out.outputs  # a one-target output


def test_a_bad_input_is_one_line_and_nothing_is_sent(workspace: Path, cloud: FakeCloud) -> None:
    out = RecordingReporter()
    assert run_job(cloud, workspace, out, poll_interval="soon") == 1
    (error,) = out.errors
    assert error.startswith("Input 'poll-interval': ")
    assert cloud.builds.calls == [] and cloud.agents.calls == []


def test_the_cli_speaks_its_own_words(workspace: Path, cloud: FakeCloud) -> None:
    out = RecordingReporter()
    assert run_job(cloud, workspace, out, CLI, poll_interval="soon") == 1
    assert out.errors[0].startswith("--poll-interval")


def test_an_api_failure_outside_a_target_is_one_line(
    workspace: Path, cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(tools: Tools, regions: Any) -> list[Any]:
        raise ApiError("list builds: HTTP 503", status=503)

    monkeypatch.setitem(job.RUNNERS, RunMode.BUILD, broken)  # type: ignore[index]
    out = RecordingReporter()
    assert run_job(cloud, workspace, out) == 1
    assert out.errors == ["list builds: HTTP 503"]


def test_a_bug_is_one_line_with_the_traceback_only_when_debugging(
    workspace: Path, cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(tools: Tools, regions: Any) -> list[Any]:
        raise RuntimeError("boom")

    monkeypatch.setitem(job.RUNNERS, RunMode.BUILD, broken)  # type: ignore[index]
    out = RecordingReporter()
    assert run_job(cloud, workspace, out) == 1
    assert out.errors == ["unexpected error (RuntimeError): boom"]
    assert out.debugs == [d for d in out.debugs if "Traceback" not in d]
    traced = RecordingReporter()
    job.run_job({"api-key": KEY}, workspace, traced, run=FakeRun(), sessions=no_network,
                tools=fake_tools(cloud), debug_traceback=True)
    assert any("Traceback" in d and "RuntimeError: boom" in d for d in traced.debugs)


def test_the_runner_is_chosen_by_the_mode(
    workspace: Path, cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[RunMode] = []

    for mode in (RunMode.BUILD, RunMode.PLAN):
        real = job.RUNNERS[mode]

        def spy(tools: Tools, regions: Any, mode: RunMode = mode, real: Any = real) -> Any:
            chosen.append(mode)
            return real(tools, regions)

        monkeypatch.setitem(job.RUNNERS, mode, spy)  # type: ignore[index]
    run_job(cloud, workspace, RecordingReporter(), plan_only="true")
    run_job(cloud, workspace, RecordingReporter())
    assert chosen == [RunMode.PLAN, RunMode.BUILD]


def test_resolved_settings_go_to_debug_and_warnings_are_spoken(
    tmp_path: Path, cloud: FakeCloud
) -> None:
    ws = tmp_path / "ws"
    write_context(ws / "a")
    out = RecordingReporter()
    run_job(cloud, ws, out, services="a: {context: a}\n", context="elsewhere")
    assert out.warnings[0].startswith("context is ignored because services is set")
    assert out.debugs  # the resolved settings of each target


def test_default_sessions_open_two_clients() -> None:
    with job.default_sessions(Runtime()) as (api, storage):
        assert api is not storage
