"""flow/delete_agent.py: idempotent deletion; the agent's secret sets are kept and named,
and only the set named by `secret-set` is deleted, when asked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipecat_build.api.connection import ApiError
from pipecat_build.flow.delete_agent import delete_agent
from pipecat_build.flow.reuse import RegionResolver
from pipecat_build.models import SecretSet
from pipecat_build.outcome import DeleteStatus
from tests.unit.fakes import (
    FakeCloud,
    FakeRun,
    RecordingReporter,
    make_tools,
    serving_agent,
    settings_for,
)


def test_deletes_the_agent_and_names_the_sets_it_keeps(workspace: Path, cloud: FakeCloud) -> None:
    agent = serving_agent("bot-pr-7", "d-1")
    cloud.agents.add(dataclasses.replace(agent, secret_sets=("bot-secrets",),
                                         pull_secret_set="ghcr-pull"))
    out = RecordingReporter()
    settings = settings_for(workspace, delete_agent="true", agent_name="bot",
                            agent_name_suffix="pr-7")
    (outcome,) = delete_agent(make_tools(settings, cloud, out, FakeRun()),
                              RegionResolver(cloud.builds))
    assert outcome.ok and outcome.deletion is not None
    assert outcome.deletion.status is DeleteStatus.DELETED
    assert outcome.deletion.kept() == ("bot-secrets", "ghcr-pull")
    assert "bot-pr-7" not in cloud.agents.agents
    assert out.said("secret set bot-secrets is kept")
    assert outcome.outputs()["delete-status"] == "deleted"


def test_a_deletion_whose_answer_was_lost_is_still_deleted(
    workspace: Path, cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DELETE is retried after a lost answer; the retry's 404 is this run's own deletion."""
    cloud.agents.add(serving_agent("bot", "d-1"))

    def lost_then_404(name: str) -> bool:
        cloud.agents.agents.pop(name, None)  # the first attempt deleted it...
        return False  # ...and the retry found nothing to delete

    monkeypatch.setattr(cloud.agents, "delete", lost_then_404)
    settings = settings_for(workspace, delete_agent="true", agent_name="bot")
    (outcome,) = delete_agent(make_tools(settings, cloud, RecordingReporter(), FakeRun()),
                              RegionResolver(cloud.builds))
    assert outcome.ok and outcome.deletion is not None
    assert outcome.deletion.status is DeleteStatus.DELETED


def test_an_agent_already_gone_is_a_success_that_says_so(
    workspace: Path, cloud: FakeCloud
) -> None:
    out = RecordingReporter()
    settings = settings_for(workspace, delete_agent="true", agent_name="bot")
    (outcome,) = delete_agent(make_tools(settings, cloud, out, FakeRun()),
                              RegionResolver(cloud.builds))
    assert outcome.ok and outcome.deletion is not None
    assert outcome.deletion.status is DeleteStatus.ALREADY_GONE
    assert out.said("agent bot does not exist (already deleted?)")
    assert ("delete", "bot") not in cloud.agents.calls


def test_only_the_named_secret_set_is_deleted(workspace: Path, cloud: FakeCloud) -> None:
    agent = serving_agent("bot", "d-1")
    cloud.agents.add(dataclasses.replace(agent, secret_sets=("shared-secrets",)))
    cloud.agents.sets["bot-own"] = SecretSet("bot-own")
    cloud.agents.sets["shared-secrets"] = SecretSet("shared-secrets")
    settings = settings_for(workspace, delete_agent="true", agent_name="bot",
                            delete_secret_set="true", secret_set="bot-own")
    (outcome,) = delete_agent(make_tools(settings, cloud), RegionResolver(cloud.builds))
    assert outcome.deletion is not None and outcome.deletion.set_status is DeleteStatus.DELETED
    assert set(cloud.agents.sets) == {"shared-secrets"}
    assert outcome.deletion.kept() == ("shared-secrets",)


def test_a_failed_deletion_is_an_error(workspace: Path, cloud: FakeCloud) -> None:
    cloud.agents.add(serving_agent("bot", "d-1"))
    cloud.fail("delete", ApiError("delete agent bot: HTTP 403 forbidden", status=403))
    settings = settings_for(workspace, delete_agent="true", agent_name="bot")
    (outcome,) = delete_agent(make_tools(settings, cloud), RegionResolver(cloud.builds))
    assert not outcome.ok and outcome.error == "delete agent bot: HTTP 403 forbidden"
