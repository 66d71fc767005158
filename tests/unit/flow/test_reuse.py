"""flow/reuse.py: which earlier build a context may reuse or follow."""

from __future__ import annotations

from pipecat_build.flow.reuse import RegionResolver, find_reusable, find_running_or_done, newest
from pipecat_build.models import Build, BuildStatus
from pipecat_build.outcome import BuildKey
from tests.unit.fakes import FakeCloud

KEY = BuildKey("h", "us-west", "Dockerfile")


def b(build_id: str, status: BuildStatus, at: float, **kw: str) -> Build:
    return Build(build_id, status, kw.get("context_hash", "h"), "us-west",
                 kw.get("dockerfile", "Dockerfile"), created_at=at)


def test_newest() -> None:
    assert newest([]) is None
    assert newest([b("a", BuildStatus.SUCCESS, 1), b("c", BuildStatus.SUCCESS, 3),
                   b("b", BuildStatus.SUCCESS, 2)]).id == "c"  # type: ignore[union-attr]


def test_find_reusable_takes_the_newest_success_of_the_same_recipe(cloud: FakeCloud) -> None:
    for build in (b("old", BuildStatus.SUCCESS, 1), b("new", BuildStatus.SUCCESS, 5),
                  b("other", BuildStatus.SUCCESS, 9, dockerfile="Dockerfile.x"),
                  b("run", BuildStatus.BUILDING, 10)):
        cloud.builds.add(build)
    assert find_reusable(cloud.builds, KEY).id == "new"  # type: ignore[union-attr]
    assert cloud.builds.calls == [("find_builds", ("h", "us-west", "success"))]


def test_a_success_wins_over_a_running_build(cloud: FakeCloud) -> None:
    cloud.builds.add(b("run", BuildStatus.BUILDING, 10))
    cloud.builds.add(b("ok", BuildStatus.SUCCESS, 1))
    assert find_running_or_done(cloud.builds, KEY).id == "ok"  # type: ignore[union-attr]


def test_the_newest_running_build_is_followed(cloud: FakeCloud) -> None:
    cloud.builds.add(b("p", BuildStatus.PENDING, 3))
    cloud.builds.add(b("r", BuildStatus.BUILDING, 2))
    cloud.builds.add(b("f", BuildStatus.FAILED, 9))
    assert find_running_or_done(cloud.builds, KEY).id == "p"  # type: ignore[union-attr]


def test_a_failed_build_counts_only_when_made_since(cloud: FakeCloud) -> None:
    cloud.builds.add(b("f-old", BuildStatus.FAILED, 5))
    cloud.builds.add(b("f-new", BuildStatus.TIMEOUT, 20))
    assert find_running_or_done(cloud.builds, KEY) is None
    assert find_running_or_done(cloud.builds, KEY, since=10).id == "f-new"  # type: ignore[union-attr]
    assert find_running_or_done(cloud.builds, KEY, since=20).id == "f-new"  # type: ignore[union-attr]
    assert find_running_or_done(cloud.builds, KEY, since=21) is None


def test_the_default_region_is_asked_once(cloud: FakeCloud) -> None:
    regions = RegionResolver(cloud.builds)
    assert regions.region_for(None) == "us-west"
    assert regions.region_for("") == "us-west"
    assert regions.region_for("eu-central") == "eu-central"
    assert cloud.builds.calls == [("default_region", None)]
