"""Issue 19 §3: flow/preflight.py over the in-memory service: a region the organization does
not offer, or a secret set that does not exist (and nothing writes it) or lives in another
region, ends the run before anything is uploaded (a set: before anything is packed), naming
where the value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.api.connection import ApiError
from pipecat_build.errors import InputError
from pipecat_build.flow.preflight import check_region, preflight
from pipecat_build.flow.reuse import RegionResolver
from pipecat_build.models import SecretSet, SecretSetStatus
from tests.unit.fakes import (
    FakeCloud,
    RecordingReporter,
    make_tools,
    serving_agent,
    settings_for,
)


def check(workspace: Path, cloud: FakeCloud, *, plan: bool = False, **inputs: str) -> None:
    if plan:
        inputs["plan_only"] = "true"
    tools = make_tools(settings_for(workspace, **inputs), cloud, RecordingReporter())
    preflight(tools, RegionResolver(tools.builds))


def check_regions(workspace: Path, cloud: FakeCloud, **inputs: str) -> None:
    tools = make_tools(settings_for(workspace, **inputs), cloud, RecordingReporter())
    regions = RegionResolver(tools.builds)
    for target in tools.settings.targets:
        check_region(tools, regions, target)


def test_an_offered_region_or_none_passes_and_none_needs_no_listing(
    workspace: Path, cloud: FakeCloud
) -> None:
    check_regions(workspace, cloud)
    assert ("regions", None) not in cloud.builds.calls
    check_regions(workspace, cloud, region="eu-central")
    assert ("regions", None) in cloud.builds.calls


def test_a_run_that_packs_leaves_regions_to_the_flow_one_that_deploys_a_build_checks_them(
    workspace: Path, cloud: FakeCloud
) -> None:
    """A build of the context proves its region, so a reuse stays one request: the flow
    checks the region only when the context has no build (tests/unit/flow/test_target.py)."""
    check(workspace, cloud, region="xx-north")
    check(workspace, cloud, plan=True, region="xx-north")
    assert ("regions", None) not in cloud.builds.calls
    with pytest.raises(InputError) as caught:
        check(
            workspace, cloud, region="xx-north", agent_name="bot",
            build_id="01234567-89ab-cdef-0123-456789abcdef",
        )
    assert caught.value.input_name == "region"


@pytest.mark.parametrize("plan", [False, True])
def test_a_region_not_offered_names_the_input(
    workspace: Path, cloud: FakeCloud, plan: bool
) -> None:
    with pytest.raises(InputError) as caught:
        check_regions(workspace, cloud, plan_only=str(plan).lower(), region="xx-north")
    assert caught.value.input_name == "region"
    assert "'xx-north' is not a region this organization offers" in caught.value.detail
    assert "us-west, eu-central" in caught.value.detail


def test_a_region_from_the_file_names_the_file(workspace: Path, cloud: FakeCloud) -> None:
    (workspace / "pcc-deploy.toml").write_text('region = "xx-north"\n')
    with pytest.raises(InputError) as caught:
        check_regions(workspace, cloud)
    assert caught.value.is_file
    assert str(caught.value).startswith("pcc-deploy.toml: region 'xx-north'")


def test_a_region_listing_that_fails_is_not_a_reason_to_stop(
    workspace: Path, cloud: FakeCloud
) -> None:
    cloud.fail("regions", ApiError("HTTP 503", status=503))
    check_regions(workspace, cloud, region="xx-north")  # the upload would say it


def test_a_missing_set_without_secrets_fails_naming_set_and_fix(
    workspace: Path, cloud: FakeCloud
) -> None:
    with pytest.raises(InputError) as caught:
        check(workspace, cloud, agent_name="bot", secret_set="bot-env")
    assert caught.value.input_name == "secret-set"
    detail = caught.value.detail
    assert "secret set 'bot-env' does not exist" in detail
    assert "pcc secrets set bot-env" in detail and "give `secrets` to write it" in detail


def test_a_missing_set_is_fine_when_secrets_create_it_or_in_a_plan(
    workspace: Path, cloud: FakeCloud
) -> None:
    check(workspace, cloud, agent_name="bot", secret_set="bot-env", secrets="A=1\n")
    check(workspace, cloud, plan=True, agent_name="bot", secret_set="bot-env")
    assert ("get_secret_set", "bot-env") in cloud.agents.calls  # asked once, by the deploy run


def test_a_set_from_the_file_names_the_file(workspace: Path, cloud: FakeCloud) -> None:
    (workspace / "pcc-deploy.toml").write_text('secret_set = "toml-env"\n')
    with pytest.raises(InputError) as caught:
        check(workspace, cloud, agent_name="bot")
    assert caught.value.is_file
    assert "'toml-env' (from pcc-deploy.toml secret_set) does not exist" in caught.value.detail


def test_a_set_in_another_region_than_the_agent_fails(
    workspace: Path, cloud: FakeCloud
) -> None:
    cloud.agents.sets["eu-env"] = SecretSet("eu-env", SecretSetStatus.READY, "eu-central", ("A",))
    with pytest.raises(InputError) as caught:
        check(workspace, cloud, agent_name="bot", secret_set="eu-env")
    assert "is in region eu-central, but agent bot deploys in us-west" in caught.value.detail
    check(workspace, cloud, agent_name="bot", secret_set="eu-env", region="eu-central")


def test_an_agent_in_another_region_fails_before_anything_is_built(
    workspace: Path, cloud: FakeCloud
) -> None:
    """The agent deploys only builds of its region: found before packing, not after a build."""
    cloud.agents.add(serving_agent("bot", "d-1", region="eu-central"))
    with pytest.raises(InputError) as caught:
        check(workspace, cloud, agent_name="bot")
    assert caught.value.input_name == "region"
    assert "organization's default region" in caught.value.detail
    assert "not the region of agent bot (eu-central)" in caught.value.detail
    (workspace / "pcc-deploy.toml").write_text('region = "us-west"\n')
    with pytest.raises(InputError) as caught:
        check(workspace, cloud, agent_name="bot")
    assert str(caught.value).startswith("pcc-deploy.toml: region 'us-west' is not the region")
    check(workspace, cloud, agent_name="bot", region="eu-central")  # its own region: fine
    check(workspace, cloud, agent_name="bot", plan_only="true")  # a plan deploys nothing
