"""flow/target.py: one target from folder to image (and agent), every branch against the
in-memory service: reuse, follow, upload and create, adopt, cached, plan, failures, cancel."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from pipecat_build.api.builds import RegionRefused
from pipecat_build.api.connection import AnswerLost, ApiError
from pipecat_build.config import Settings
from pipecat_build.errors import InputError
from pipecat_build.flow.reuse import RegionResolver
from pipecat_build.flow.target import TargetFlow
from pipecat_build.flow.tools import Tools
from pipecat_build.models import Build, BuildStatus
from pipecat_build.outcome import DeployStatus, Outcome, RunStatus
from tests.unit.fakes import (
    REGION,
    FakeCloud,
    FakeRun,
    RecordingReporter,
    crashed,
    make_tools,
    settings_for,
)


def flow(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun, **kw: bool
) -> tuple[TargetFlow, Tools]:
    tools = make_tools(settings, cloud, out, run)
    return TargetFlow(tools, RegionResolver(tools.builds), **kw), tools


def context_hash(settings: Settings, cloud: FakeCloud) -> str:
    """The hash the flow computes for the target (packed once by a plan, which uploads nothing)."""
    probe = make_tools(settings, FakeCloud(), RecordingReporter(), FakeRun())
    (target,) = settings.targets
    return TargetFlow(probe, RegionResolver(probe.builds), plan=True).run(target).context_hash


def run_one(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun, **kw: bool
) -> Outcome:
    target_flow, _ = flow(settings, cloud, out, run, **kw)
    (target,) = settings.targets
    return target_flow.run(target)


def done(build_id: str, context: str, *, age: float = 60.0, **changes: object) -> Build:
    build = Build(
        build_id, BuildStatus.SUCCESS, context, REGION, image_uri=f"registry.example/{build_id}",
        created_at=time.time() - age,
    )
    return dataclasses.replace(build, **changes)  # type: ignore[arg-type]


@pytest.fixture
def settings(workspace: Path) -> Settings:
    return settings_for(workspace)


# --- reuse, follow ----------------------------------------------------------------------------


def test_reuse_hit_uploads_nothing(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    h = context_hash(settings, cloud)
    cloud.builds.add(done("old", h, age=600))
    cloud.builds.add(done("newer", h, age=60))
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.cached is True
    assert outcome.build_id == "newer"
    assert outcome.image_uri == "registry.example/newer"
    assert outcome.ok
    assert cloud.storage.posts == 0
    assert cloud.builds.created() == []
    assert "build newer already built this context: reusing registry.example/newer" in out.lines
    assert out.groups == ["Pack the build context", "Look for a build to reuse"]
    assert outcome.region == REGION
    assert outcome.file_count == 2
    assert outcome.archive_bytes > 0
    assert "Dockerfile" in outcome.context_report


def test_a_build_of_another_dockerfile_or_region_is_not_reused(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    h = context_hash(settings, cloud)
    cloud.builds.add(done("other-file", h, dockerfile="Dockerfile.dev"))
    outcome = run_one(settings, cloud, out, run)
    assert outcome.build_id != "other-file"
    assert outcome.cached is False
    assert cloud.builds.created() != []


def test_a_running_build_of_the_context_is_followed_not_uploaded(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    h = context_hash(settings, cloud)
    cloud.builds.add(
        Build("running", BuildStatus.BUILDING, h, REGION, created_at=time.time()),
        progress=[BuildStatus.BUILDING, BuildStatus.SUCCESS],
    )
    cloud.builds.logs["running"] = ["step 1", "step 2"]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.cached is False
    assert outcome.build_id == "running"
    assert cloud.storage.posts == 0
    assert cloud.builds.created() == []
    assert "build running of this context is already building: following it, nothing to upload" \
        in out.lines
    assert "Build running" in out.groups
    assert run.started_builds == ["running"]
    assert "step 1" in out.lines


def test_a_build_found_finished_at_the_second_look_is_not_followed(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    """Between the look for a success and the look for a running one, it may have ended."""
    h = context_hash(settings, cloud)
    failed = Build("ended", BuildStatus.FAILED, h, REGION, created_at=time.time())
    cloud.builds.add(failed)

    real = cloud.builds.find_builds

    def find(context: str, region: str, status: str | None = None, limit: int = 20) -> list[Build]:
        found = real(context, region, status, limit)
        if status is None:  # the second look: it is running, then ends
            return [dataclasses.replace(failed, status=BuildStatus.BUILDING)]
        return found

    cloud.builds.find_builds = find  # type: ignore[method-assign]
    cloud.builds.progress["ended"] = [BuildStatus.FAILED]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.FAILED
    assert outcome.build_id == "ended"


def test_force_skips_the_look_and_builds(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, force="true")
    h = context_hash(settings, cloud)
    cloud.builds.add(done("old", h))
    outcome = run_one(settings, cloud, out, run)
    assert "force is set: not looking for an earlier build" in out.lines
    assert outcome.build_id == "build-1"
    assert outcome.cached is False
    assert [c for c in cloud.builds.calls if c[0] == "find_builds"] == []


# --- upload and create ------------------------------------------------------------------------


def test_a_new_context_is_uploaded_built_and_followed(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.new_build_progress = [BuildStatus.BUILDING, BuildStatus.BUILDING,
                                       BuildStatus.SUCCESS]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.cached is False
    assert outcome.build_id == "build-1"
    assert cloud.storage.posts == 1
    assert cloud.storage.uploaded["upload-1"] == outcome.context_hash  # the bytes uploaded
    assert cloud.builds.created() == ["upload-1"]
    assert run.started_builds == ["build-1"]
    assert out.groups == [
        "Pack the build context", "Look for a build to reuse", "Upload the build context",
        "Start the build", "Build build-1",
    ]
    assert "build build-1: success" in out.lines
    assert outcome.outputs()["image-uri"] == "registry.example/build-1:latest"
    assert run._scratch == set()  # the archive is gone


def test_a_failed_build_fails_with_its_message_and_last_log_lines(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.new_build_progress = [BuildStatus.FAILED]
    cloud.builds.logs["build-1"] = [f"log {n}" for n in range(30)]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == "build failed"
    assert outcome.last_log_lines == tuple(f"log {n}" for n in range(10, 30))
    assert not outcome.ok
    assert outcome.image_uri == ""
    assert outcome.build_id == "build-1"


def test_a_build_timed_out_by_the_service(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.new_build_progress = [BuildStatus.TIMEOUT]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.TIMEOUT
    assert outcome.error == "build timeout"


def test_a_failed_build_without_a_message_says_its_status(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.new_build_progress = [BuildStatus.FAILED]
    real = cloud.builds._finish
    cloud.builds._finish = lambda b, s: dataclasses.replace(  # type: ignore[method-assign]
        real(b, s), error_message=""
    )
    outcome = run_one(settings, cloud, out, run)
    assert outcome.error == "the build ended with status failed"


def test_build_timeout_leaves_the_build_running(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, build_timeout="20", poll_interval="5")
    cloud.builds.new_build_progress = [BuildStatus.BUILDING]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.TIMED_OUT_WAITING
    assert outcome.build_id == "build-1"
    assert outcome.error.startswith("build build-1 did not finish within build-timeout (20s)")
    assert run.waits[-4:] == [5.0, 5.0, 5.0, 5.0]  # after the spread pause before creating


def test_a_lost_create_answer_adopts_the_build_it_made(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.fail("create_build", AnswerLost("create the build: timed out"), after=True)
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.build_id == "build-1"
    assert outcome.cached is False
    assert cloud.builds.created() == ["upload-1"]  # once: never built twice
    assert "create the build: timed out; checking whether the build was created anyway" \
        in out.lines
    assert "found build build-1: adopting it" in out.lines


def test_a_lost_create_that_made_nothing_is_tried_again(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.fail("create_build", AnswerLost("create the build: no connection"))
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.SUCCESS
    assert cloud.builds.created() == ["upload-1", "upload-1"]
    assert out.said("create the build: the build was not created; retrying in")


def test_a_server_cached_create_is_reused_without_following(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.cache_creates = True
    real = cloud.builds.find_builds
    looks = 0

    def find(context: str, region: str, status: str | None = None, limit: int = 20) -> list[Build]:
        nonlocal looks
        looks += 1
        return [] if looks <= 4 else real(context, region, status, limit)

    cloud.builds.find_builds = find  # type: ignore[method-assign]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.cached is True
    assert "Pipecat Cloud answered with its cached build of this context" in out.lines
    assert [c for c in cloud.builds.calls if c[0] == "get_build"] == []
    assert not any(g.startswith("Build ") for g in out.groups)


def test_another_run_that_started_the_build_meanwhile_is_followed(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    """Upload done, the look before creating finds the other run's build: no second build."""
    h = context_hash(settings, cloud)

    def other_run_creates(upload_id: str) -> None:
        cloud.builds.add(
            Build("theirs", BuildStatus.BUILDING, h, REGION, created_at=time.time()),
            progress=[BuildStatus.SUCCESS],
        )

    real = cloud.storage.post_form

    def post_form(*args: object, **kwargs: object) -> object:
        answer = real(*args, **kwargs)  # type: ignore[arg-type]
        other_run_creates("")
        return answer

    cloud.storage.post_form = post_form  # type: ignore[method-assign]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.build_id == "theirs"
    assert cloud.builds.created() == []
    assert "build theirs of this context is already building: following it" in out.lines


def test_the_spread_look_finds_a_build_started_during_the_pause(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    h = context_hash(settings, cloud)

    def during_pause(n: int) -> None:
        if "theirs" not in cloud.builds.builds:
            cloud.builds.add(done("theirs", h, age=1))

    run.on_wait.append(during_pause)
    outcome = run_one(settings, cloud, out, run)
    assert outcome.build_id == "theirs"
    assert outcome.cached is True
    assert cloud.builds.created() == []


def test_an_upload_url_refused_for_the_region_ends_the_run(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.fail("request_upload", InputError("region", "'mars' is not a Pipecat Cloud region"))
    with pytest.raises(InputError):
        run_one(settings, cloud, out, run)
    assert run._scratch == set()


def test_an_input_error_is_contained_for_one_service_of_many(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.fail("request_upload", InputError("region", "'mars' is not a Pipecat Cloud region"))
    outcome = run_one(settings, cloud, out, run, contain_input_errors=True)
    assert outcome.status is RunStatus.ERROR
    assert outcome.error == "Input 'region': 'mars' is not a Pipecat Cloud region"
    assert outcome.context_hash != ""


def test_an_api_failure_is_an_error_outcome_with_the_build_known(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.fail("get_build", ApiError("read build build-1: HTTP 500", status=500))
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.ERROR
    assert outcome.build_id == "build-1"  # for the outputs of a failed run
    assert "lost contact with Pipecat Cloud while following build build-1" in outcome.error


def test_the_default_region_is_asked_when_none_is_given(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.default = "eu-central"
    outcome = run_one(settings, cloud, out, run)
    assert outcome.region == "eu-central"
    assert (
        "context . (from context), Dockerfile Dockerfile (from default), region eu-central "
        "(from the organization's default region)"
    ) in out.lines


def test_an_explicit_region_is_not_asked_for(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, region="eu-central")
    outcome = run_one(settings, cloud, out, run)
    assert outcome.region == "eu-central"
    assert ("default_region", None) not in cloud.builds.calls


# --- plan -------------------------------------------------------------------------------------


def test_plan_of_a_new_context_needs_a_build_and_sends_nothing(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    outcome = run_one(settings, cloud, out, run, plan=True)
    assert outcome.status is RunStatus.PLANNED
    assert outcome.needs_build
    assert outcome.ok
    assert outcome.build is None
    assert cloud.storage.posts == 0
    assert [c[0] for c in cloud.builds.calls] == ["default_region", "find_builds"]
    assert out.groups == ["Pack the build context", "Look for an existing build"]
    assert run._scratch == set()


def test_plan_of_a_built_context_needs_none(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.add(done("b", context_hash(settings, cloud)))
    outcome = run_one(settings, cloud, out, run, plan=True)
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.cached
    assert not outcome.needs_build
    assert "build b already built this context: registry.example/b" in out.lines


def test_plan_never_deploys(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, agent_name="bot")
    cloud.builds.add(done("b", context_hash(settings, cloud)))
    outcome = run_one(settings, cloud, out, run, plan=True)
    assert outcome.deploy is None
    assert cloud.agents.requests == []


# --- deploy after the build -------------------------------------------------------------------


def test_a_successful_build_is_deployed(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, agent_name="bot")
    outcome = run_one(settings, cloud, out, run)
    assert outcome.deploy is not None
    assert outcome.deploy.status is DeployStatus.READY
    assert cloud.agents.requests[0][1].build_id == "build-1"
    assert outcome.ok


def test_a_failed_deploy_keeps_the_image(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, agent_name="bot")
    cloud.agents.rollout = [crashed(phase="Failed")]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.status is RunStatus.SUCCESS
    assert outcome.image_uri != ""
    assert outcome.deploy is not None and outcome.deploy.status is DeployStatus.FAILED
    assert not outcome.ok


def test_a_failed_build_is_not_deployed(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, agent_name="bot")
    cloud.builds.new_build_progress = [BuildStatus.FAILED]
    outcome = run_one(settings, cloud, out, run)
    assert outcome.deploy is None
    assert cloud.agents.calls == []


# --- cancellation -----------------------------------------------------------------------------


def test_cancellation_while_following_ends_the_run_and_names_the_build(
    settings: Settings, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    cloud.builds.new_build_progress = [BuildStatus.BUILDING]

    def cancel_once_built(n: int) -> None:
        if run.started_builds:
            run.cancel.set()

    run.on_wait.append(cancel_once_built)
    with pytest.raises(KeyboardInterrupt):
        run_one(settings, cloud, out, run)
    assert run.started_builds == ["build-1"]
    assert run._scratch == set()
    assert "Build build-1 keeps running on Pipecat Cloud" in run.cancel_message("SIGINT")


# --- the region: proved by a build of it, else checked before anything is uploaded -------------


def test_a_reused_build_in_an_explicit_region_costs_no_region_listing(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    settings = settings_for(workspace, region=REGION)
    cloud.builds.add(done("old", context_hash(settings, cloud)))
    outcome = run_one(settings, cloud, out, run)
    assert outcome.cached and outcome.build_id == "old"
    assert ("regions", None) not in cloud.builds.calls, "a build there proves the region"


@pytest.mark.parametrize("plan", [False, True])
def test_a_region_not_offered_fails_before_anything_is_uploaded_or_planned(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun, plan: bool
) -> None:
    settings = settings_for(workspace, region="xx-north")
    with pytest.raises(InputError) as caught:
        run_one(settings, cloud, out, run, plan=plan)
    assert caught.value.input_name == "region"
    assert "'xx-north' is not a region this organization offers" in caught.value.detail
    assert cloud.storage.posts == 0 and cloud.builds.created() == []
    assert "it needs a build" not in out.text


def test_a_region_the_service_refuses_at_upload_is_named_where_it_came_from(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    """Offered, but builds not enabled there: only the upload-url call finds out, and the error
    names the pcc-deploy.toml that set the region, not the `region` input."""
    (workspace / "pcc-deploy.toml").write_text('region = "eu-central"\n')
    cloud.fail("request_upload", RegionRefused("eu-central", "'eu-central' refused by Pipecat "
                                               "Cloud: Cloud builds are not enabled"))
    with pytest.raises(InputError) as caught:
        run_one(settings_for(workspace), cloud, out, run)
    assert caught.value.is_file
    assert str(caught.value) == (
        "pcc-deploy.toml: region 'eu-central' refused by Pipecat Cloud: Cloud builds are not "
        "enabled"
    )
