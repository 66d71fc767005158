"""models.py: the API's answers parsed once, and the rules read from them (a build's recipe,
a revision's crash, an agent serving a deployment, the deploy request's body)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from pipecat_build.models import (
    Agent,
    Build,
    BuildStatus,
    DeployRequest,
    Revision,
    SecretSet,
    SecretSetStatus,
    SecretSetSummary,
    SecretSetType,
    UploadTicket,
    parse_time,
)

# --- parse_time -------------------------------------------------------------------------------


def test_parse_time_reads_iso_8601_with_z() -> None:
    expected = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    assert parse_time("2025-01-02T03:04:05Z") == expected
    assert parse_time("2025-01-02T03:04:05+00:00") == expected
    assert parse_time("2025-01-02T05:04:05+02:00") == expected


@pytest.mark.parametrize("value", [None, "", 12, "yesterday", "2025-13-01T00:00:00Z"])
def test_parse_time_gives_none_for_what_it_cannot_read(value: object) -> None:
    assert parse_time(value) is None


# --- BuildStatus ------------------------------------------------------------------------------


def test_build_status_of() -> None:
    assert BuildStatus.of("building") is BuildStatus.BUILDING
    assert BuildStatus.of("queued") is BuildStatus.UNKNOWN
    assert BuildStatus.of(None) is BuildStatus.UNKNOWN


def test_running_and_terminal() -> None:
    assert {s for s in BuildStatus if s.running} == {BuildStatus.PENDING, BuildStatus.BUILDING}
    assert {s for s in BuildStatus if s.terminal} == {
        BuildStatus.SUCCESS, BuildStatus.FAILED, BuildStatus.TIMEOUT
    }


# --- Build ------------------------------------------------------------------------------------

FULL_BUILD = {
    "id": "b-1",
    "status": "success",
    "contextHash": "0123456789abcdef",
    "region": "us-west",
    "dockerfilePath": "docker/Dockerfile",
    "imageUri": "registry.example/app:b-1",
    "contextSizeBytes": 1234,
    "imageSizeBytes": 56789,
    "buildDurationSeconds": 42.5,
    "logsUrl": "https://console.example/b-1",
    "errorMessage": "",
    "createdAt": "2025-01-02T03:04:05Z",
}


def test_build_parse_reads_every_field() -> None:
    assert Build.parse(FULL_BUILD) == Build(
        id="b-1",
        status=BuildStatus.SUCCESS,
        context_hash="0123456789abcdef",
        region="us-west",
        dockerfile="docker/Dockerfile",
        image_uri="registry.example/app:b-1",
        context_size_bytes=1234,
        image_size_bytes=56789,
        duration_seconds=42.5,
        logs_url="https://console.example/b-1",
        error_message="",
        created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp(),
    )


def test_build_parse_of_an_empty_answer_takes_the_defaults() -> None:
    assert Build.parse({}) == Build(id="", status=BuildStatus.UNKNOWN)
    assert Build.parse({}).dockerfile == "Dockerfile"
    assert Build.parse({"dockerfilePath": ""}).dockerfile == "Dockerfile"


def test_build_parse_keeps_only_values_of_the_right_type() -> None:
    build = Build.parse({
        "id": "b-2", "status": "failed", "contextHash": 5, "region": None,
        "contextSizeBytes": True, "imageSizeBytes": 1.5, "buildDurationSeconds": False,
        "errorMessage": "boom", "logsUrl": ["x"], "createdAt": "garbage",
    })
    assert build.context_hash == "" and build.region == "" and build.logs_url == ""
    assert build.context_size_bytes is None
    assert build.image_size_bytes is None
    assert build.duration_seconds is None
    assert build.error_message == "boom"
    assert build.created_at == 0.0
    assert Build.parse({"buildDurationSeconds": 7}).duration_seconds == 7.0
    assert isinstance(Build.parse({"buildDurationSeconds": 7}).duration_seconds, float)
    assert Build.parse({"contextSizeBytes": 0}).context_size_bytes == 0


def test_same_recipe_needs_hash_region_and_dockerfile() -> None:
    build = Build("b", BuildStatus.SUCCESS, "h", "us-west", "Dockerfile")
    assert build.same_recipe("h", "us-west", "Dockerfile")
    assert not build.same_recipe("g", "us-west", "Dockerfile")
    assert not build.same_recipe("h", "eu", "Dockerfile")
    assert not build.same_recipe("h", "us-west", "Dockerfile.dev")
    regionless = Build("b", BuildStatus.SUCCESS, "h", "", "Dockerfile")
    assert regionless.same_recipe("h", "eu", "Dockerfile")  # a build without region: any


# --- UploadTicket -----------------------------------------------------------------------------


def test_ticket_time_left_and_lifetime() -> None:
    now = time.time()
    ticket = UploadTicket("u", "https://x", [], expires_at=now + 100, received_at=now - 50)
    assert 99 <= ticket.seconds_left() <= 100
    assert ticket.lifetime == 150
    expired = UploadTicket("u", "https://x", [], expires_at=now - 10, received_at=now)
    assert expired.lifetime == 0.0
    assert expired.seconds_left() < 0
    assert abs(UploadTicket("u", "x", [], expires_at=now).received_at - now) < 5


# --- Revision ---------------------------------------------------------------------------------


def test_revision_parse() -> None:
    raw = {
        "deploymentID": "dep-1",
        "phase": "Running",
        "health": {
            "reason": "CrashLoopBackOff",
            "lastExitCode": 1,
            "lastTerminationReason": "Error",
            "message": "Traceback",
        },
    }
    assert Revision.parse(raw) == Revision("dep-1", "Running", "CrashLoopBackOff", 1, "Error",
                                           "Traceback")
    assert Revision.parse(None) is None
    assert Revision.parse("dep-1") is None
    assert Revision.parse({"deploymentID": "d", "health": "bad"}) == Revision("d")
    assert Revision.parse({"health": {"lastExitCode": True}}) == Revision()


@pytest.mark.parametrize(
    ("revision", "crash"),
    [
        (Revision("d", "Running"), ""),
        (Revision("d", "Pending", "ContainerCreating"), ""),
        (Revision("d", "Running", last_exit_code=0), ""),
        (Revision("d", "Failed"), "the revision failed"),
        (Revision("d", "Failed", "Unschedulable", termination_reason="Error"), "Unschedulable"),
        (Revision("d", "Failed", termination_reason="OOMKilled"), "OOMKilled"),
        (Revision("d", "Running", "CrashLoopBackOff"), "CrashLoopBackOff"),
        (Revision("d", "Running", "ImagePullBackOff"), "ImagePullBackOff"),
        (Revision("d", "Running", "ErrImagePull"), "ErrImagePull"),
        (Revision("d", "Running", "OOMKilled"), "OOMKilled"),
        (Revision("d", "Running", "Error"), "Error"),
        (Revision("d", "Running", last_exit_code=2), "the agent exited (exit code 2)"),
        (Revision("d", "Running", "Waiting", 137), "Waiting (exit code 137)"),
        (Revision("d", "Running", "Waiting", -1, "Killed"), "Killed (exit code -1)"),
    ],
)
def test_a_revisions_crash(revision: Revision, crash: str) -> None:
    assert revision.crash() == crash


# --- Agent ------------------------------------------------------------------------------------


def test_agent_parse() -> None:
    raw = {
        "name": "bot",
        "region": "us-west",
        "ready": True,
        "available": True,
        "desiredDeploymentId": "dep-2",
        "reconciledDeploymentId": "dep-1",
        "currentRevision": {"deploymentID": "dep-2", "phase": "Pending"},
        "previousRevision": {"deploymentID": "dep-1", "phase": "Running"},
        "errors": [{"code": "E1", "message": "bad"}, {"message": "only message"}, "plain"],
        "warning": "no changes",
    }
    agent = Agent.parse(raw)
    assert agent.name == "bot" and agent.region == "us-west"
    assert agent.ready is True and agent.available is True
    assert agent.desired_deployment == "dep-2"
    assert agent.reconciled_deployment == "dep-1"
    assert agent.current == Revision("dep-2", "Pending")
    assert agent.previous == Revision("dep-1", "Running")
    assert agent.errors == ("E1: bad", "only message", "plain")
    assert agent.warning == "no changes"


def test_agent_parse_is_strict_about_true_and_falls_back_to_the_active_deployment() -> None:
    agent = Agent.parse({"ready": "true", "available": 1, "activeDeploymentId": "dep-a",
                         "errors": "not a list"})
    assert agent.ready is False and agent.available is False
    assert agent.desired_deployment == "dep-a"
    assert agent.errors == ()
    assert Agent.parse({"desiredDeploymentId": "d", "activeDeploymentId": "a"}) \
        .desired_deployment == "d"
    assert Agent.parse({}) == Agent("")


def test_agent_parse_reads_the_secret_sets_it_runs_with() -> None:
    raw = {"deployment": {"manifest": {"spec": {
        "envFromSecretNames": ["bot-set", 3, "other"], "imagePullSecretName": "pull",
    }}}}
    agent = Agent.parse(raw)
    assert agent.secret_sets == ("bot-set", "other")
    assert agent.pull_secret_set == "pull"
    assert Agent.parse({"deployment": {"manifest": "x"}}).secret_sets == ()
    assert Agent.parse({"deployment": {"manifest": {"spec": {"envFromSecretNames": "s"}}}}) \
        .secret_sets == ()


SERVING = Agent("bot", ready=True, available=True, desired_deployment="d",
                reconciled_deployment="d")


def test_serving_needs_desired_reconciled_ready_and_available() -> None:
    assert SERVING.serves("d")
    assert not SERVING.serves("")
    assert not SERVING.serves("other")
    for change in ({"ready": False}, {"available": False}, {"desired_deployment": "x"},
                   {"reconciled_deployment": "x"}):
        import dataclasses

        assert not dataclasses.replace(SERVING, **change).serves("d"), change  # type: ignore[arg-type]


def test_serving_nothing_is_never_serving() -> None:
    empty = Agent("bot", ready=True, available=True)
    assert not empty.serves("")


def test_revision_of_matches_the_deployment_id() -> None:
    current, previous = Revision("new", "Pending"), Revision("old", "Running")
    agent = Agent("bot", current=current, previous=previous)
    assert agent.revision_of("new") is current
    assert agent.revision_of("old") is previous
    assert agent.revision_of("third") is None
    assert Agent("bot", current=None, previous=previous).revision_of("old") is previous
    assert Agent("bot").revision_of("") is None


def test_the_current_revision_is_not_ours_whatever_its_deployment_id() -> None:
    agent = Agent("bot", current=Revision("someone-else", "Failed"))
    assert agent.revision_of("ours") is None


# --- secret sets ------------------------------------------------------------------------------


def test_secret_set_parse() -> None:
    raw = {
        "status": "failed",
        "region": "eu",
        "secrets": [{"fieldName": "A"}, {"fieldName": ""}, "junk", {"other": 1},
                    {"fieldName": "B"}],
        "errorMessage": "quota",
    }
    assert SecretSet.parse("s", raw) == SecretSet(
        "s", SecretSetStatus.FAILED, "eu", ("A", "B"), "quota"
    )
    assert SecretSet.parse("s", {"secrets": "x"}) == SecretSet("s")


def test_secret_set_summary_parse() -> None:
    raw = {"name": "pull", "type": "imagePullSecret", "region": "eu", "status": "ready"}
    assert SecretSetSummary.parse(raw) == SecretSetSummary(
        "pull", SecretSetType.IMAGE_PULL_SECRET, "eu", SecretSetStatus.READY
    )
    assert SecretSetSummary.parse("x") == SecretSetSummary("")


# --- DeployRequest ----------------------------------------------------------------------------


def test_a_create_body_names_the_agent_and_region() -> None:
    request = DeployRequest("bot", "b-1", "us-west")
    assert request.body(create=True) == {
        "serviceName": "bot", "buildId": "b-1", "region": "us-west"
    }
    assert list(request.body(create=True)) == ["serviceName", "buildId", "region"]
    assert request.body(create=False) == {"buildId": "b-1"}


def test_every_setting_given_is_sent() -> None:
    request = DeployRequest(
        "bot", "b-1", "us-west", secret_set="set", min_agents=0, max_agents=4,
        agent_profile="agent-2x", max_session_duration=0, audio_filter="tel",
        force_redeploy=True,
    )
    assert request.body(create=False) == {
        "buildId": "b-1",
        "secretSet": "set",
        "autoScaling": {"minAgents": 0, "maxAgents": 4},
        "agentProfile": "agent-2x",
        "maxSessionDuration": 0,
        "krispViva": {"audioFilter": "tel"},
        "forceRedeploy": True,
    }


def test_force_redeploy_is_an_update_only_field() -> None:
    request = DeployRequest("bot", "b-1", "us-west", force_redeploy=True)
    assert "forceRedeploy" not in request.body(create=True)
    assert request.body(create=False)["forceRedeploy"] is True
    assert "forceRedeploy" not in DeployRequest("bot", "b-1", "r").body(create=False)


def test_scaling_sends_only_the_bounds_given() -> None:
    assert DeployRequest("bot", "b", "r", min_agents=1).body(create=False)["autoScaling"] == {
        "minAgents": 1
    }
    assert DeployRequest("bot", "b", "r", max_agents=2).body(create=False)["autoScaling"] == {
        "maxAgents": 2
    }


def test_an_image_is_sent_instead_of_the_build() -> None:
    request = DeployRequest("bot", "", "eu", image="registry.example/app:1",
                            image_pull_secret_set="pull")
    assert request.body(create=True) == {
        "serviceName": "bot", "image": "registry.example/app:1",
        "imagePullSecretSet": "pull", "region": "eu",
    }
    bare = DeployRequest("bot", "", "eu", image="app:1")
    assert bare.body(create=False) == {"image": "app:1"}
    unused = DeployRequest("bot", "b", "eu", image_pull_secret_set="pull")
    assert unused.body(create=False) == {"buildId": "b"}
