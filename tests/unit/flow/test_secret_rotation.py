"""Issue 19 §1: flow/secret_rotation.py and flow/secret_memory.py over the in-memory service.
Written secrets reach the agent (forceRedeploy) unless the run knows the deployment it has was
made with exactly those values; the memory holds keyed digests only, and distrusts an entry
that is torn, edited, made under another API key or for another deployment."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipecat_build.config import DeploySpec
from pipecat_build.flow.deploy import deploy, request_for
from pipecat_build.flow.secret_memory import SecretMemory
from pipecat_build.flow.secret_rotation import plan_rotation
from pipecat_build.flow.tools import Tools
from pipecat_build.models import Build, BuildStatus
from pipecat_build.outcome import DeployStatus
from tests.unit.fakes import (
    KEY,
    REGION,
    FakeCloud,
    FakeRun,
    RecordingReporter,
    make_tools,
    serving_agent,
    settings_for,
)

BUILD = Build("build-1", BuildStatus.SUCCESS, "0123456789abcdef", REGION, image_uri="img:1")
SECRETS = (("TOKEN", "tok-3e9d"), ("MODEL", "m-1"))


def spec(**changes: object) -> DeploySpec:
    base = DeploySpec(agent="bot", secret_set="bot-env", secrets=SECRETS, timeout=60.0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def tools_with(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, cache: Path | None
) -> Tools:
    inputs = {"hash_cache": str(cache)} if cache is not None else {}
    return make_tools(settings_for(workspace, poll_interval="5", **inputs), cloud, out, FakeRun())


def seed(cloud: FakeCloud, deployment: str = "dep-0") -> None:
    """An agent serving `deployment`, deployed from BUILD with these settings."""
    request = request_for(spec(), BUILD, REGION)
    cloud.agents.add(serving_agent("bot", deployment), request=request)


def sent_force(cloud: FakeCloud) -> bool:
    return cloud.agents.requests[-1][1].force_redeploy


# --- the decision --------------------------------------------------------------------------


def test_nothing_written_means_no_rotation(workspace: Path, cloud: FakeCloud) -> None:
    tools = tools_with(workspace, cloud, RecordingReporter(), None)
    assert plan_rotation(tools, spec(secrets=()), None) is None


def test_without_hash_cache_an_update_that_writes_secrets_redeploys_and_says_why(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter
) -> None:
    seed(cloud)
    result = deploy(tools_with(workspace, cloud, out, None), spec(), BUILD, REGION)
    assert result.status is DeployStatus.READY
    assert result.deployment_id != "dep-0"
    assert sent_force(cloud)
    assert out.said("without hash-cache this run cannot know whether deployment dep-0")


def test_a_new_agent_is_not_forced_and_is_remembered(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, cache: Path
) -> None:
    tools = tools_with(workspace, cloud, out, cache)
    result = deploy(tools, spec(), BUILD, REGION)
    assert not sent_force(cloud)
    assert out.said("the new agent's first deployment reads the values written")
    memory = SecretMemory(cache, KEY)
    assert memory.recall("bot", result.deployment_id) == memory.digest("bot-env", SECRETS)


def test_the_same_values_again_restart_nothing_new_values_redeploy(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, cache: Path
) -> None:
    tools = tools_with(workspace, cloud, out, cache)
    first = deploy(tools, spec(), BUILD, REGION)
    again = deploy(tools, spec(), BUILD, REGION)
    assert again.status is DeployStatus.UNCHANGED
    assert again.deployment_id == first.deployment_id
    assert not sent_force(cloud)
    assert out.said(f"deployment {first.deployment_id} was made with exactly these values")

    rotated = deploy(tools, spec(secrets=(("TOKEN", "tok-new"), ("MODEL", "m-1"))), BUILD, REGION)
    assert rotated.status is DeployStatus.READY
    assert rotated.deployment_id != first.deployment_id
    assert sent_force(cloud)
    assert out.said("the values written differ from those deployment")


def test_no_entry_for_the_agents_deployment_redeploys(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, cache: Path
) -> None:
    seed(cloud, "dep-0")
    SecretMemory(cache, KEY).remember("bot", "dep-other", "0" * 64)
    deploy(tools_with(workspace, cloud, out, cache), spec(), BUILD, REGION)
    assert sent_force(cloud)
    assert out.said("hash-cache has no record of the values deployment dep-0 was made with")


def test_force_redeploy_says_so(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, cache: Path
) -> None:
    seed(cloud)
    deploy(tools_with(workspace, cloud, out, cache), spec(force_redeploy=True), BUILD, REGION)
    assert sent_force(cloud) and out.said("force-redeploy is set")


def test_an_unwritable_cache_warns_and_the_deploy_goes_on(
    workspace: Path, cloud: FakeCloud, out: RecordingReporter, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")  # so the cache folder below it cannot be made
    result = deploy(tools_with(workspace, cloud, out, blocker / "cache"), spec(), BUILD, REGION)
    assert result.status is DeployStatus.READY
    [warning] = out.warnings
    assert "is not remembered, so the next run that writes them redeploys it" in warning


# --- the memory ----------------------------------------------------------------------------


def test_entries_hold_no_value_and_only_the_same_key_and_agent_read_them(cache: Path) -> None:
    memory = SecretMemory(cache, KEY)
    digest = memory.digest("bot-env", SECRETS)
    assert memory.remember("bot", "dep-1", digest) is None
    [entry] = cache.iterdir()
    text = entry.read_text()
    assert "tok-3e9d" not in text and KEY not in text and "bot-env" not in text
    assert memory.recall("bot", "dep-1") == digest
    assert memory.recall("bot", "dep-2") is None, "another deployment"
    assert memory.recall("other", "dep-1") is None, "another agent"
    assert SecretMemory(cache, "pk_another_key").recall("bot", "dep-1") is None
    entry.write_text(text.replace("dep-1", "dep-2"))
    assert memory.recall("bot", "dep-2") is None, "an edited entry"
    entry.write_text(text[:-5])
    assert memory.recall("bot", "dep-1") is None, "a torn entry"


def test_the_digest_covers_the_set_name_and_every_value(cache: Path) -> None:
    memory = SecretMemory(cache, KEY)
    base = memory.digest("bot-env", SECRETS)
    assert memory.digest("bot-env", tuple(reversed(SECRETS))) == base, "order does not matter"
    assert memory.digest("other-env", SECRETS) != base
    assert memory.digest("bot-env", (("TOKEN", "tok-3e9e"), ("MODEL", "m-1"))) != base
    assert memory.digest("bot-env", SECRETS[:1]) != base
    assert SecretMemory(cache, "pk_another_key").digest("bot-env", SECRETS) != base


@pytest.mark.parametrize("planted", ["fifo", "link"])
def test_a_fifo_or_link_planted_as_an_entry_is_a_miss_never_opened(
    cache: Path, tmp_path: Path, planted: str
) -> None:
    """Someone who can write the cache folder cannot hang the run (a FIFO blocks whoever
    opens it) or make it read another file through a link."""
    import os
    import threading

    memory = SecretMemory(cache, "pk_key")
    memory.remember("bot", "d-1", memory.digest("env", (("A", "1"),)))
    entry = memory.entry_path("bot")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(entry.read_bytes())  # a valid entry, reached through a link
    entry.unlink()
    if planted == "fifo":
        os.mkfifo(entry)
    else:
        entry.symlink_to(elsewhere)
    answers: list[str | None] = []
    reader = threading.Thread(target=lambda: answers.append(memory.recall("bot", "d-1")))
    reader.daemon = True
    reader.start()
    reader.join(timeout=30)  # only keeps a broken guard from hanging the suite
    assert answers == [None]
