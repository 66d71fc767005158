"""flow/deploy.py: every branch of a deploy against the in-memory service, on a fake clock."""

from __future__ import annotations

import dataclasses

import pytest

from pipecat_build.api.connection import AnswerLost, ApiError
from pipecat_build.config import DeploySpec
from pipecat_build.errors import InputError
from pipecat_build.flow import deploy as deploy_module
from pipecat_build.flow.deploy import LAST_OUTPUT_LINES, deploy, request_for
from pipecat_build.flow.tools import Tools
from pipecat_build.models import Agent, Build, BuildStatus, DeployRequest
from pipecat_build.outcome import DeployStatus
from tests.unit.fakes import (
    REGION,
    FakeCloud,
    FakeRun,
    RecordingReporter,
    agent_state,
    crashed,
    pending,
    replaced_by,
    revision,
    serving,
    serving_agent,
)

BUILD = Build("build-1", BuildStatus.SUCCESS, "0123456789abcdef", REGION, image_uri="img:1")


def spec(**changes: object) -> DeploySpec:
    return dataclasses.replace(DeploySpec(agent="bot", timeout=60.0), **changes)  # type: ignore[arg-type]


def seed_deployed(cloud: FakeCloud, **spec_changes: object) -> Agent:
    """An agent that serves dep-0, deployed from BUILD with `spec(**spec_changes)`."""
    request = request_for(spec(**spec_changes), BUILD, REGION)
    return cloud.agents.add(serving_agent("bot", "dep-0"), request=request)


# --- a new agent, an updated agent -------------------------------------------------------------


def test_a_new_agent_is_created_and_waited_for_until_it_serves(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert result.deployment_id == "dep-1"
    assert result.error == ""
    assert result.phases == ("Pending", "Running")
    assert cloud.agents.deployed() == ["create"]
    (_kind, request), = cloud.agents.requests
    assert request == DeployRequest("bot", BUILD.id, REGION)
    assert out.groups == ["Deploy to agent bot"]
    assert "creating agent bot (us-west) from build build-1" in out.lines
    assert "agent bot: deployment dep-1 accepted" in out.lines
    assert "agent bot: deployment dep-1 is Pending" in out.lines
    assert out.lines[-1] == "agent bot serves deployment dep-1"
    assert tools.run.deployments == [("bot", "dep-1")]


def test_an_existing_agent_is_updated(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    seed_deployed(cloud)
    result = deploy(tools, spec(min_agents=2), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert result.deployment_id == "dep-1"
    assert cloud.agents.deployed() == ["update"]
    assert "updating agent bot (us-west) from build build-1" in out.lines


def test_a_phase_is_printed_once_however_many_polls_show_it(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    cloud.agents.rollout = [pending, pending, pending, serving]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.phases == ("Pending", "Running")
    assert out.lines.count("agent bot: deployment dep-1 is Pending") == 1


def test_the_wait_polls_at_the_poll_interval(tools: Tools, cloud: FakeCloud, run: FakeRun) -> None:
    cloud.agents.rollout = [pending, pending, serving]
    deploy(tools, spec(), BUILD, REGION)
    assert run.waits == [5.0, 5.0]


def test_not_waiting_when_wait_for_ready_is_false(
    tools: Tools, cloud: FakeCloud, run: FakeRun
) -> None:
    result = deploy(tools, spec(wait_for_ready=False), BUILD, REGION)
    assert result.status is DeployStatus.NOT_WAITED
    assert result.deployment_id == "dep-1"
    assert run.waits == []
    assert [c for c in cloud.agents.calls if c[0] == "get"] == [("get", "bot")]


def test_ids_are_announced_as_soon_as_the_deployment_is_accepted(
    tools: Tools, cloud: FakeCloud
) -> None:
    seen: list[tuple[str, str]] = []
    tools.run.on_deployment_started = lambda agent, dep: seen.append((agent, dep))
    cloud.agents.rollout = [crashed(phase="Failed")]
    deploy(tools, spec(), BUILD, REGION)
    assert seen == [("bot", "dep-1")]


# --- serving means desired == reconciled == ours, ready and available -------------------------


def test_ready_but_not_available_is_not_serving(
    tools: Tools, cloud: FakeCloud, run: FakeRun
) -> None:
    cloud.agents.rollout = [
        agent_state(reconciled_deployment="dep-1", ready=True, available=False,
                    current=revision("dep-1"))
    ]
    result = deploy(tools, spec(timeout=30.0), BUILD, REGION)
    assert result.status is DeployStatus.TIMED_OUT_WAITING
    assert "did not serve deployment dep-1 within deploy-timeout (30s)" in result.error


def test_available_after_a_while_is_serving(tools: Tools, cloud: FakeCloud, run: FakeRun) -> None:
    not_yet = agent_state(reconciled_deployment="dep-1", ready=True, available=False)
    cloud.agents.rollout = [not_yet, not_yet, serving]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert len(run.waits) == 2


def test_the_old_deployment_serving_during_a_rolling_update_is_not_ours(
    tools: Tools, cloud: FakeCloud
) -> None:
    seed_deployed(cloud)
    cloud.agents.rollout = [pending]  # the old one stays ready and available
    result = deploy(tools, spec(min_agents=1, timeout=20.0), BUILD, REGION)
    assert result.status is DeployStatus.TIMED_OUT_WAITING


def test_deploy_timeout_bounds_the_wait(tools: Tools, cloud: FakeCloud, run: FakeRun) -> None:
    cloud.agents.rollout = [pending]
    result = deploy(tools, spec(timeout=12.0), BUILD, REGION)
    assert result.status is DeployStatus.TIMED_OUT_WAITING
    assert run.waits == [5.0, 5.0, 2.0]
    assert result.error == (
        "agent bot did not serve deployment dep-1 within deploy-timeout (12s); it may still "
        "come up. Raise deploy-timeout, or check the agent's status."
    )


def test_another_deployment_replacing_ours_while_waiting_fails_at_once(
    tools: Tools, cloud: FakeCloud, run: FakeRun
) -> None:
    cloud.agents.rollout = [pending, replaced_by("dep-other")]
    result = deploy(tools, spec(timeout=600.0), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == (
        "agent bot: another deployment (dep-other) replaced ours (dep-1) while waiting"
    )
    assert len(run.waits) == 1


def test_the_agent_disappearing_while_waiting_fails(tools: Tools, cloud: FakeCloud) -> None:
    deploy_accepted = cloud.agents.create

    def create(request: DeployRequest) -> Agent:
        agent = deploy_accepted(request)
        del cloud.agents.agents["bot"]
        return agent

    cloud.agents.create = create  # type: ignore[method-assign]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "agent bot disappeared while deploying"


# --- crashes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health", "reason"),
    [
        ({"last_exit_code": 3, "termination_reason": "Completed"}, "Completed (exit code 3)"),
        ({"last_exit_code": 1}, "the agent exited (exit code 1)"),
        ({"phase": "Failed"}, "the revision failed"),
        ({"phase": "Failed", "termination_reason": "OOMKilled"}, "OOMKilled"),
        ({"health_reason": "CrashLoopBackOff"}, "CrashLoopBackOff"),
        ({"errors": ["ImagePull: cannot pull image"]}, "ImagePull: cannot pull image"),
    ],
    ids=["exit-code-only", "exit-code-no-reason", "failed-phase-only", "failed-phase-reason",
         "crash-reason-only", "errors-only"],
)
def test_a_crash_shown_by_one_sign_alone_fails_at_once(
    tools: Tools, cloud: FakeCloud, run: FakeRun, health: dict[str, object], reason: str
) -> None:
    cloud.agents.rollout = [crashed(**health)]
    result = deploy(tools, spec(timeout=600.0), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == f"agent bot: deployment dep-1 failed: {reason}"
    assert run.waits == []


def test_a_crash_with_errors_too_names_both(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.rollout = [crashed(health_reason="CrashLoopBackOff", errors=["E1: boom", "E2"])]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.error == "agent bot: deployment dep-1 failed: CrashLoopBackOff (E1: boom; E2)"


def test_a_crash_shows_the_last_15_lines_of_the_agents_output(
    tools: Tools, cloud: FakeCloud
) -> None:
    output = "\n".join(f"line {n}" for n in range(1, 21)) + "\n\n  \n"
    cloud.agents.rollout = [crashed(health_reason="CrashLoopBackOff", message=output)]
    result = deploy(tools, spec(), BUILD, REGION)
    first, *rest = result.error.splitlines()
    assert first == "agent bot: deployment dep-1 failed: CrashLoopBackOff"
    assert rest[0] == "Agent output (last lines):"
    assert rest[1:] == [f"line {n}" for n in range(6, 21)]
    assert len(rest[1:]) == LAST_OUTPUT_LINES == 15


def test_a_short_output_is_shown_whole(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.rollout = [crashed(phase="Failed", message="Traceback:\n  boom\n")]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.error.splitlines()[1:] == ["Agent output (last lines):", "Traceback:", "  boom"]


def test_a_reason_with_line_breaks_stays_on_the_first_line(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.rollout = [crashed(phase="Failed", health_reason="bad\nthing\r\nhere")]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.error == "agent bot: deployment dep-1 failed: bad thing here"


def test_a_healthy_revision_of_another_deployment_is_not_ours(
    tools: Tools, cloud: FakeCloud
) -> None:
    """The previous revision crashing is not our crash: only our deployment's revision counts."""

    def old_crashed(deployment: str, before: Agent) -> Agent:
        return dataclasses.replace(
            before, desired_deployment=deployment, current=revision(deployment, "Pending"),
            previous=revision("dep-0", "Failed", health_reason="CrashLoopBackOff"),
        )

    cloud.agents.rollout = [old_crashed, serving]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.READY


# --- nothing changed --------------------------------------------------------------------------


def test_unchanged_and_serving(tools: Tools, cloud: FakeCloud, out: RecordingReporter) -> None:
    seed_deployed(cloud)
    cloud.agents.unchanged_warning = "no changes detected"
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.UNCHANGED
    assert result.deployment_id == "dep-0"
    assert "agent bot: nothing changed (no changes detected); deployment dep-0" in out.lines
    assert "agent bot does not serve it yet: waiting" not in out.lines
    assert tools.run.deployments == [("bot", "dep-0")]


def test_unchanged_but_still_rolling_out_is_waited_for(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    request = request_for(spec(), BUILD, REGION)
    cloud.agents.add(
        Agent("bot", REGION, desired_deployment="dep-0", current=revision("dep-0", "Pending")),
        request=request,
        rolling=True,
    )
    cloud.agents.rollout = [pending, pending, pending, serving]  # the first read is `existing`
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.UNCHANGED
    assert "agent bot does not serve it yet: waiting" in out.lines
    assert out.lines[-1] == "agent bot serves deployment dep-0"
    assert len(run.waits) == 2


def test_unchanged_and_never_serving_times_out(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.add(
        Agent("bot", REGION, desired_deployment="dep-0", current=revision("dep-0", "Pending")),
        request=request_for(spec(), BUILD, REGION),
    )
    result = deploy(tools, spec(timeout=15.0), BUILD, REGION)
    assert result.status is DeployStatus.TIMED_OUT_WAITING
    assert result.deployment_id == "dep-0"


def test_unchanged_but_crashed_fails_without_waiting(
    tools: Tools, cloud: FakeCloud, run: FakeRun, out: RecordingReporter
) -> None:
    crashed_agent = Agent(
        "bot", REGION, desired_deployment="dep-0",
        current=revision("dep-0", "Running", health_reason="CrashLoopBackOff"),
    )
    cloud.agents.add(crashed_agent, request=request_for(spec(), BUILD, REGION))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "agent bot: deployment dep-0 failed: CrashLoopBackOff"
    assert run.waits == []
    assert "agent bot does not serve it yet: waiting" not in out.lines


def test_unchanged_not_serving_and_not_waited(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.add(
        Agent("bot", REGION, desired_deployment="dep-0", current=revision("dep-0", "Pending")),
        request=request_for(spec(), BUILD, REGION),
    )
    result = deploy(tools, spec(wait_for_ready=False), BUILD, REGION)
    assert result.status is DeployStatus.NOT_WAITED


# --- force-redeploy ---------------------------------------------------------------------------


def test_force_redeploy_is_sent_and_makes_a_new_deployment(
    tools: Tools, cloud: FakeCloud
) -> None:
    seed_deployed(cloud)
    result = deploy(tools, spec(force_redeploy=True), BUILD, REGION)
    (_, request), = cloud.agents.requests
    assert request.force_redeploy is True
    assert request.body(create=False)["forceRedeploy"] is True
    assert result.status is DeployStatus.READY
    assert result.deployment_id == "dep-1"


def test_request_for_carries_every_setting() -> None:
    full = spec(
        secret_set="bot-set", min_agents=1, max_agents=3, agent_profile="agent-2x",
        max_session_duration=600, audio_filter="tel", force_redeploy=True,
    )
    assert request_for(full, dataclasses.replace(BUILD, id="b-9"), "eu") == DeployRequest(
        agent="bot", build_id="b-9", region="eu", secret_set="bot-set", min_agents=1,
        max_agents=3, agent_profile="agent-2x", max_session_duration=600, audio_filter="tel",
        force_redeploy=True,
    )


# --- region and secrets -----------------------------------------------------------------------


def test_an_agent_in_another_region_is_refused_before_secrets_are_written(
    tools: Tools, cloud: FakeCloud
) -> None:
    cloud.agents.add(serving_agent("bot", "dep-0", region="eu-central"))
    result = deploy(
        tools, spec(secret_set="bot-set", secrets=(("TOKEN", "s3cret"),)), BUILD, REGION
    )
    assert result.status is DeployStatus.FAILED
    assert result.error == (
        "agent bot is in region eu-central but the build is in us-west; build in eu-central "
        "(set region) or use another agent"
    )
    assert [c for c in cloud.agents.calls if c[0] == "put_secrets"] == []
    assert cloud.agents.values == {}
    assert cloud.agents.requests == []


def test_an_agent_without_a_region_is_not_refused(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.add(serving_agent("bot", "dep-0", region=""))
    assert deploy(tools, spec(), BUILD, REGION).status is DeployStatus.READY


def test_secrets_are_written_before_the_deploy_and_only_keys_are_kept(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    result = deploy(
        tools, spec(secret_set="bot-set", secrets=(("A", "1"), ("B", "2"))), BUILD, REGION
    )
    assert result.status is DeployStatus.READY
    assert result.secret_keys == ("A", "B")
    assert cloud.agents.values == {"bot-set": {"A": "1", "B": "2"}}
    names = [c[0] for c in cloud.agents.calls]
    assert names.index("put_secrets") < names.index("create")
    assert cloud.agents.requests[0][1].secret_set == "bot-set"
    assert "1" not in "".join(out.lines).replace("dep-1", "").replace("build-1", "")


def test_a_failing_secret_set_ends_the_deploy(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.secret_statuses = ["pending", "failed"]
    result = deploy(tools, spec(secret_set="bot-set", secrets=(("A", "1"),)), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "secret set bot-set could not be provisioned: provisioning failed: quota"
    assert result.secret_keys == ()
    assert cloud.agents.requests == []


def test_a_secret_set_never_ready_is_bounded_by_deploy_timeout(
    tools: Tools, cloud: FakeCloud, run: FakeRun
) -> None:
    cloud.agents.secret_statuses = ["pending"]
    result = deploy(
        tools, spec(secret_set="bot-set", secrets=(("A", "1"),), timeout=10.0), BUILD, REGION
    )
    assert result.status is DeployStatus.FAILED
    assert result.error == "secret set bot-set was still pending after deploy-timeout"
    assert 10.0 <= run.waited <= 12.0
    assert cloud.agents.requests == []


# --- submitting: 409, lost answers, errors ----------------------------------------------------


def test_a_deploy_answered_409_is_retried(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    seed_deployed(cloud)
    cloud.fail("update", ApiError("update agent bot: HTTP 409", status=409))
    result = deploy(tools, spec(min_agents=2), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert cloud.agents.deployed() == ["update", "update"]
    assert out.said("deploy to agent bot: HTTP 409 (secret set busy); retrying in")


def test_a_409_that_never_ends_fails_with_the_servers_answer(
    tools: Tools, cloud: FakeCloud
) -> None:
    for _ in range(10):
        cloud.fail("create", ApiError("create the agent: HTTP 409: busy", status=409))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "create the agent: HTTP 409: busy"
    assert len(cloud.agents.requests) == 5  # the policy's attempts


def test_another_api_error_is_not_retried(tools: Tools, cloud: FakeCloud) -> None:
    cloud.fail("create", ApiError("create the agent: HTTP 400: bad profile", status=400))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "create the agent: HTTP 400: bad profile"
    assert len(cloud.agents.requests) == 1


def test_a_lost_answer_adopts_the_deployment_that_appeared(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    seed_deployed(cloud)
    cloud.fail("update", AnswerLost("update agent bot: timed out"), after=True)
    result = deploy(tools, spec(min_agents=2), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert result.deployment_id == "dep-1"
    assert cloud.agents.deployed() == ["update"]
    assert "update agent bot: timed out; checking whether the deployment was accepted anyway" \
        in out.lines
    assert "found deployment dep-1: adopting it" in out.lines


def test_a_lost_answer_with_nothing_accepted_is_tried_again(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    seed_deployed(cloud)
    cloud.fail("update", AnswerLost("update agent bot: timed out"))
    result = deploy(tools, spec(min_agents=2), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert cloud.agents.deployed() == ["update", "update"]
    assert out.said("the deployment was not accepted; retrying in")


def test_a_lost_create_with_no_agent_yet_is_tried_again(tools: Tools, cloud: FakeCloud) -> None:
    cloud.fail("create", AnswerLost("create the agent: timed out"))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert cloud.agents.deployed() == ["create", "create"]


def test_an_api_failure_reading_the_agent_is_a_failed_deploy(
    tools: Tools, cloud: FakeCloud
) -> None:
    cloud.fail("get", ApiError("read agent bot: HTTP 500", status=500))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "read agent bot: HTTP 500"
    assert result.deployment_id == ""


def test_an_input_error_is_a_failed_deploy_too(tools: Tools, cloud: FakeCloud) -> None:
    cloud.fail("create", InputError("agent-name", "refused"))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "Input 'agent-name': refused"


def test_cancellation_while_waiting_ends_the_deploy(
    tools: Tools, cloud: FakeCloud, run: FakeRun
) -> None:
    cloud.agents.rollout = [pending]
    run.on_wait.append(lambda n: run.cancel.set() if n == 2 else None)
    with pytest.raises(KeyboardInterrupt):
        deploy(tools, spec(), BUILD, REGION)
    assert run.deployments == [("bot", "dep-1")]
    assert "Agent bot: deployment dep-1 was accepted" in run.cancel_message("SIGTERM")


def test_deploy_failed_keeps_its_status() -> None:
    failed = deploy_module.DeployFailed("x", DeployStatus.TIMED_OUT_WAITING)
    assert failed.status is DeployStatus.TIMED_OUT_WAITING
    assert deploy_module.DeployFailed("y").status is DeployStatus.FAILED


# --- what the mutation run asked for --------------------------------------------------------


def test_errors_alone_are_joined_in_the_reason(tools: Tools, cloud: FakeCloud) -> None:
    cloud.agents.rollout = [crashed(errors=["E1: bad", "E2: worse"])]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.error == "agent bot: deployment dep-1 failed: E1: bad; E2: worse"


def test_the_last_wait_is_cut_to_the_time_left(tools: Tools, cloud: FakeCloud,
                                               run: FakeRun) -> None:
    cloud.agents.rollout = [pending]
    result = deploy(tools, spec(timeout=11.0), BUILD, REGION)
    assert result.status is DeployStatus.TIMED_OUT_WAITING
    assert run.waits == [5.0, 5.0, 1.0]


def test_a_phase_seen_again_is_printed_again(tools: Tools, cloud: FakeCloud) -> None:
    running_not_ready = agent_state(current=revision("dep-1", "Running"))
    cloud.agents.rollout = [pending, running_not_ready, pending, serving]
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.phases == ("Pending", "Running", "Pending", "Running")


def test_the_result_names_the_build_deployed(tools: Tools) -> None:
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.build_id == "build-1"
    assert result.image == ""


def test_an_image_is_deployed_by_its_reference(tools: Tools, cloud: FakeCloud,
                                               out: RecordingReporter) -> None:
    from pipecat_build.flow.deploy import described
    from pipecat_build.models import RegistryImage

    image = RegistryImage("registry.example/app:1", "pull-set")
    assert described(image) == "image registry.example/app:1 (pulled with pull-set)"
    assert described(RegistryImage("app:1")) == "image app:1"
    assert described(BUILD) == "build build-1"
    request = request_for(spec(), image, REGION)
    assert request.build_id == "" and request.image == "registry.example/app:1"
    assert request.image_pull_secret_set == "pull-set"
    result = deploy(tools, spec(), image, REGION)
    assert result.image == "registry.example/app:1" and result.build_id == ""


def test_secrets_are_written_in_the_deploys_region(tools: Tools, cloud: FakeCloud) -> None:
    deploy(tools, spec(secret_set="bot-set", secrets=(("A", "1"),)), BUILD, REGION)
    assert ("put_secrets", ("bot-set", ("A",), REGION)) in cloud.agents.calls


def test_unchanged_without_a_warning_says_nothing_more(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter
) -> None:
    seed_deployed(cloud)
    deploy(tools, spec(), BUILD, REGION)
    assert "agent bot: nothing changed; deployment dep-0" in out.lines


def test_unchanged_and_crashed_shows_the_agents_output(tools: Tools, cloud: FakeCloud) -> None:
    crashed_agent = Agent(
        "bot", REGION, desired_deployment="dep-0",
        current=revision("dep-0", "Running", health_reason="CrashLoopBackOff",
                         message="Traceback\nValueError: x"),
    )
    cloud.agents.add(crashed_agent, request=request_for(spec(), BUILD, REGION))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.error.splitlines()[1:] == [
        "Agent output (last lines):", "Traceback", "ValueError: x"
    ]


def test_lost_answers_to_the_end_fail_with_the_lost_answer(
    tools: Tools, cloud: FakeCloud
) -> None:
    for _ in range(10):
        cloud.fail("create", AnswerLost("create the agent: timed out"))
    result = deploy(tools, spec(), BUILD, REGION)
    assert result.status is DeployStatus.FAILED
    assert result.error == "create the agent: timed out"
