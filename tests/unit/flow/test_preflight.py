"""Issue 19 §3: flow/preflight.py over the in-memory service: a region the organization does
not offer, or a secret set that does not exist (and nothing writes it) or lives in another
region, ends the run before anything is packed, naming where the value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.api.connection import ApiError
from pipecat_build.errors import InputError
from pipecat_build.flow.preflight import preflight
from pipecat_build.flow.reuse import RegionResolver
from pipecat_build.models import SecretSet
from tests.unit.fakes import FakeCloud, RecordingReporter, make_tools, settings_for


def check(workspace: Path, cloud: FakeCloud, *, plan: bool = False, **inputs: str) -> None:
    if plan:
        inputs["plan_only"] = "true"
    tools = make_tools(settings_for(workspace, **inputs), cloud, RecordingReporter())
    preflight(tools, RegionResolver(tools.builds))


def test_an_offered_region_or_none_passes_and_none_needs_no_listing(
    workspace: Path, cloud: FakeCloud
) -> None:
    check(workspace, cloud)
    assert ("regions", None) not in cloud.builds.calls
    check(workspace, cloud, region="eu-central")
    assert ("regions", None) in cloud.builds.calls


@pytest.mark.parametrize("plan", [False, True])
def test_a_region_not_offered_names_the_input(
    workspace: Path, cloud: FakeCloud, plan: bool
) -> None:
    with pytest.raises(InputError) as caught:
        check(workspace, cloud, plan=plan, region="xx-north")
    assert caught.value.input_name == "region"
    assert "'xx-north' is not a region this organization offers" in caught.value.detail
    assert "us-west, eu-central" in caught.value.detail


def test_a_region_from_the_file_names_the_file(workspace: Path, cloud: FakeCloud) -> None:
    (workspace / "pcc-deploy.toml").write_text('region = "xx-north"\n')
    with pytest.raises(InputError) as caught:
        check(workspace, cloud)
    assert caught.value.is_file
    assert str(caught.value).startswith("pcc-deploy.toml: pcc-deploy.toml region 'xx-north'")


def test_a_region_listing_that_fails_is_not_a_reason_to_stop(
    workspace: Path, cloud: FakeCloud
) -> None:
    cloud.fail("regions", ApiError("HTTP 503", status=503))
    check(workspace, cloud, region="xx-north")  # the upload would say it


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
    cloud.agents.sets["eu-env"] = SecretSet("eu-env", "ready", "eu-central", ("A",))
    with pytest.raises(InputError) as caught:
        check(workspace, cloud, agent_name="bot", secret_set="eu-env")
    assert "is in region eu-central, but agent bot deploys in us-west" in caught.value.detail
    check(workspace, cloud, agent_name="bot", secret_set="eu-env", region="eu-central")
