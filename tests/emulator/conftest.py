"""Fixtures of the agent and secret set tests: an emulator on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from pipecat_cloud_emulator import Emulator, EmulatorConfig

from .client import FakeClock, session

# Phase durations under the fake clock: reconcile 1, Creating 2, Validating 4, draining 8.
RECONCILE, CREATING, VALIDATING, DRAINING = 1.0, 2.0, 4.0, 8.0
PENDING = 3.0  # a secret set's provisioning


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    config = EmulatorConfig(
        pending_seconds=0.0,
        building_seconds=0.05,
        deploy_reconcile_seconds=RECONCILE,
        deploy_creating_seconds=CREATING,
        deploy_validating_seconds=VALIDATING,
        deploy_draining_seconds=DRAINING,
        crash_restart_seconds=0.5,
        secret_pending_seconds=PENDING,
        clock=clock,
    )
    with Emulator(config) as emulator:
        yield emulator


@pytest.fixture
def api() -> requests.Session:
    return session()
