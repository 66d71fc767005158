"""flow/many.py: several targets at once; one failing (a bad input, an API failure, a bug)
does not stop the others, lines carry the service's name, outcomes keep the input order."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.flow import many
from pipecat_build.flow.many import run_all
from pipecat_build.flow.reuse import RegionResolver
from pipecat_build.outcome import RunStatus
from tests.unit.fakes import (
    FakeCloud,
    FakeRun,
    RecordingReporter,
    make_tools,
    settings_for,
    write_context,
)

SERVICES = "alpha: {context: alpha}\nbeta: {context: beta}\ngamma: {context: gamma}\n"


@pytest.fixture
def services_ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    for name in ("alpha", "beta", "gamma"):
        write_context(ws / name, {"Dockerfile": "FROM scratch\n", "main.py": f"# {name}\n"})
    return ws


def test_every_service_is_built_in_input_order(
    services_ws: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    tools = make_tools(settings_for(services_ws, services=SERVICES), cloud, out, run)
    outcomes = run_all(tools, RegionResolver(tools.builds), plan=False)
    assert [o.target.name for o in outcomes] == ["alpha", "beta", "gamma"]
    assert all(o.status is RunStatus.SUCCESS for o in outcomes)
    assert len(set(cloud.builds.created())) == 3
    assert all(line.startswith(("[alpha] ", "[beta] ", "[gamma] ")) for line in out.lines)
    assert out.groups == []  # groups do not nest: shown as prefixed lines instead
    assert "[beta] -- Pack the build context" in out.lines
    assert [c for c in cloud.builds.calls if c[0] == "default_region"] == [
        ("default_region", None)
    ]  # asked once for every service


def test_one_service_failing_among_many_does_not_stop_the_others(
    services_ws: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    (services_ws / "beta" / "Dockerfile").unlink()
    tools = make_tools(settings_for(services_ws, services=SERVICES), cloud, out, run)
    outcomes = run_all(tools, RegionResolver(tools.builds), plan=False)
    alpha, beta, gamma = outcomes
    assert alpha.ok and gamma.ok
    assert beta.status is RunStatus.ERROR
    assert beta.error.startswith("Input 'services': no Dockerfile at beta/Dockerfile")
    assert not beta.ok


def test_a_bug_in_one_service_is_its_error_not_the_runs(
    services_ws: Path,
    cloud: FakeCloud,
    out: RecordingReporter,
    run: FakeRun,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = many.TargetFlow.run

    def run_target(self: many.TargetFlow, target: many.Target) -> many.Outcome:
        if target.name == "beta":
            raise ZeroDivisionError("division by zero")
        return real(self, target)

    monkeypatch.setattr(many.TargetFlow, "run", run_target)
    tools = make_tools(settings_for(services_ws, services=SERVICES), cloud, out, run)
    alpha, beta, gamma = run_all(tools, RegionResolver(tools.builds), plan=False)
    assert beta.error == "unexpected error (ZeroDivisionError): division by zero"
    assert alpha.ok and gamma.ok


def test_a_plan_of_many_uploads_nothing(
    services_ws: Path, cloud: FakeCloud, out: RecordingReporter, run: FakeRun
) -> None:
    tools = make_tools(
        settings_for(services_ws, services=SERVICES, plan_only="true"), cloud, out, run
    )
    outcomes = run_all(tools, RegionResolver(tools.builds), plan=True)
    assert [o.status for o in outcomes] == [RunStatus.PLANNED] * 3
    assert cloud.storage.posts == 0


def test_max_parallel_bounds_the_pool(
    services_ws: Path,
    cloud: FakeCloud,
    out: RecordingReporter,
    run: FakeRun,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes: list[int] = []
    real = many.ThreadPoolExecutor

    def pool(max_workers: int, thread_name_prefix: str) -> many.ThreadPoolExecutor:
        sizes.append(max_workers)
        return real(max_workers=max_workers, thread_name_prefix=thread_name_prefix)

    monkeypatch.setattr(many, "ThreadPoolExecutor", pool)
    settings = settings_for(services_ws, services=SERVICES, max_parallel="2", plan_only="true")
    run_all(make_tools(settings, cloud, out, run), RegionResolver(cloud.builds), plan=True)
    assert sizes == [2]
