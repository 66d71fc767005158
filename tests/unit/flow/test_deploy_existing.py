"""flow/deploy_existing.py: a build by id or a registry image, checked, then deployed by
`deploy.deploy`; what cannot be deployed ends with one line before anything is written."""

from __future__ import annotations

from pathlib import Path

from pipecat_build.api.connection import ApiError
from pipecat_build.flow.deploy_existing import deploy_build, deploy_image
from pipecat_build.flow.reuse import RegionResolver
from pipecat_build.flow.tools import Tools
from pipecat_build.models import (
    Build,
    BuildStatus,
    SecretSetStatus,
    SecretSetSummary,
    SecretSetType,
)
from pipecat_build.outcome import DeployStatus, RunStatus
from tests.unit.fakes import (
    FakeCloud,
    FakeRun,
    RecordingReporter,
    make_tools,
    serving_agent,
    settings_for,
)

BUILD = "5d1a4b1e-2222-4000-8000-000000000000"
IMAGE_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/pipecat-cloud/org:0123456789abcdef"


PULL, READY = SecretSetType.IMAGE_PULL_SECRET, SecretSetStatus.READY

def build(status: BuildStatus = BuildStatus.SUCCESS, region: str = "us-west") -> Build:
    return Build(BUILD, status, "0123456789abcdef", region, image_uri=IMAGE_URI)


def tools_for(workspace: Path, cloud: FakeCloud, **inputs: str) -> Tools:
    settings = settings_for(workspace, poll_interval="5", **inputs)
    return make_tools(settings, cloud, RecordingReporter(), FakeRun())


def test_a_successful_build_is_deployed_by_its_id_with_its_outputs(
    workspace: Path, cloud: FakeCloud
) -> None:
    cloud.builds.add(build())
    tools = tools_for(workspace, cloud, build_id=BUILD, agent_name="bot")
    (outcome,) = deploy_build(tools, RegionResolver(cloud.builds))
    assert outcome.ok and outcome.status is RunStatus.SUCCESS and outcome.cached
    assert (outcome.build_id, outcome.image_uri, outcome.context_hash) == (
        BUILD, IMAGE_URI, "0123456789abcdef")
    assert outcome.deploy is not None and outcome.deploy.status is DeployStatus.READY
    assert outcome.deploy.build_id == BUILD
    [(kind, request)] = cloud.agents.requests
    assert kind == "create" and request.build_id == BUILD and request.region == "us-west"


def test_a_failed_build_is_refused_before_any_deploy(workspace: Path, cloud: FakeCloud) -> None:
    cloud.builds.add(build(BuildStatus.FAILED))
    tools = tools_for(workspace, cloud, build_id=BUILD, agent_name="bot")
    (outcome,) = deploy_build(tools, RegionResolver(cloud.builds))
    assert not outcome.ok and outcome.deploy is None
    assert outcome.error == (
        f"build {BUILD} is failed, not success: only a successful build can be deployed"
    )
    assert cloud.agents.requests == []


def test_an_unknown_build_says_so(workspace: Path, cloud: FakeCloud) -> None:
    cloud.fail("get_build", ApiError("read build: HTTP 404", status=404))
    tools = tools_for(workspace, cloud, build_id=BUILD, agent_name="bot")
    (outcome,) = deploy_build(tools, RegionResolver(cloud.builds))
    assert outcome.error.startswith(f"build {BUILD} does not exist (build-id)")
    assert outcome.build is None and cloud.agents.requests == []


def test_a_build_of_another_region_than_the_agent_or_the_region_input_is_refused(
    workspace: Path, cloud: FakeCloud
) -> None:
    cloud.builds.add(build(region="eu-central"))
    cloud.agents.add(serving_agent("bot", "d-1", region="us-west"))
    tools = tools_for(workspace, cloud, build_id=BUILD, agent_name="bot")
    (outcome,) = deploy_build(tools, RegionResolver(cloud.builds))
    assert "is in region eu-central but agent bot is in region us-west" in outcome.error
    tools = tools_for(workspace, cloud, build_id=BUILD, agent_name="new", region="us-west")
    (outcome,) = deploy_build(tools, RegionResolver(cloud.builds))
    assert "is in region eu-central but region us-west is asked (from region)" in outcome.error
    assert cloud.agents.requests == []


def test_an_image_goes_to_the_existing_agents_region_with_its_pull_secret(
    workspace: Path, cloud: FakeCloud
) -> None:
    cloud.agents.add(serving_agent("bot", "d-1", region="eu-central"))
    cloud.agents.summaries["ghcr-pull"] = SecretSetSummary(
        "ghcr-pull", PULL, "eu-central", READY)
    tools = tools_for(workspace, cloud, image="ghcr.io/acme/bot:2", image_credentials="ghcr-pull",
                      agent_name="bot")
    (outcome,) = deploy_image(tools, RegionResolver(cloud.builds))
    assert outcome.ok, outcome.error
    assert outcome.image_uri == "ghcr.io/acme/bot:2" and outcome.region == "eu-central"
    [(kind, request)] = cloud.agents.requests
    assert kind == "update"
    assert request.body(create=False) == {"image": "ghcr.io/acme/bot:2",
                                          "imagePullSecretSet": "ghcr-pull"}


def test_a_pull_secret_that_is_missing_of_another_type_or_region_is_refused(
    workspace: Path, cloud: FakeCloud
) -> None:
    inputs = {"image": "ghcr.io/acme/bot:2", "image_credentials": "ghcr-pull", "agent_name": "bot",
              "region": "us-west"}
    expected = [
        (None, "image pull secret set ghcr-pull does not exist"),
        (SecretSetSummary("ghcr-pull", SecretSetType.SECRET, "us-west", READY),
         "secret set ghcr-pull is a secret set, not an image pull secret set"),
        (SecretSetSummary("ghcr-pull", PULL, "eu-central", READY),
         "image pull secret set ghcr-pull is in region eu-central but the agent is in us-west"),
    ]
    for summary, says in expected:
        cloud.agents.summaries.clear()
        if summary is not None:
            cloud.agents.summaries["ghcr-pull"] = summary
        (outcome,) = deploy_image(tools_for(workspace, cloud, **inputs),
                                  RegionResolver(cloud.builds))
        assert outcome.error.startswith(says), outcome.error
    assert cloud.agents.requests == []
