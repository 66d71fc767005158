"""The run mode is decided in one place and every mode is handled where modes are dispatched:
a new mode cannot be added without its runner, its way of ending and its words in the docs."""

from __future__ import annotations

from pipecat_build.job import RUNNERS
from pipecat_build.mode import RunMode
from pipecat_build.report.results import REPORTS


def test_every_mode_has_a_runner_and_a_way_to_end() -> None:
    assert set(RUNNERS) == set(RunMode)
    assert set(REPORTS) == set(RunMode)


def test_every_mode_is_named_for_the_docs() -> None:
    assert all(mode.described for mode in RunMode)


def test_the_modes_facts() -> None:
    assert {m for m in RunMode if m.many} == {RunMode.SERVICES, RunMode.PLAN_SERVICES}
    assert {m for m in RunMode if m.plans} == {RunMode.PLAN, RunMode.PLAN_SERVICES}
    assert {m for m in RunMode if not m.packs} == {
        RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE, RunMode.DELETE_AGENT
    }
    assert {m for m in RunMode if m.deploys_one} == {
        RunMode.BUILD, RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE
    }
    single = {m for m in RunMode if REPORTS[m].single}
    assert single == {m for m in RunMode if not m.many}
