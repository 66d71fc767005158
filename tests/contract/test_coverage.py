"""The emulator and the vendored spec cover the same operations for builds, agents and secrets."""

from __future__ import annotations

from pipecat_cloud_emulator import api as emulator_api

from .coverage import FAMILIES, NOT_IMPLEMENTED, emulator_operations, spec_operations


def test_every_emulator_route_is_a_spec_operation() -> None:
    extra = emulator_operations() - spec_operations()
    assert not extra, f"the emulator serves operations the spec does not have: {sorted(extra)}"


def test_every_builds_agents_secrets_operation_is_served_or_listed_as_not() -> None:
    unaccounted = spec_operations(FAMILIES) - emulator_operations() - set(NOT_IMPLEMENTED)
    assert not unaccounted, (
        f"spec operations the emulator neither serves nor lists in coverage.NOT_IMPLEMENTED: "
        f"{sorted(unaccounted)}"
    )


def test_the_not_implemented_list_is_current() -> None:
    served = set(NOT_IMPLEMENTED) & emulator_operations()
    assert not served, f"now served: remove from coverage.NOT_IMPLEMENTED: {sorted(served)}"
    unknown = set(NOT_IMPLEMENTED) - spec_operations(FAMILIES)
    assert not unknown, f"not operations of the spec: {sorted(unknown)}"


def test_the_build_flow_is_fully_served() -> None:
    assert spec_operations(("/builds",)) <= emulator_operations()


def test_non_spec_controls_live_outside_the_api() -> None:
    """The emulator's test controls (api.CONTROL_ROUTES, docs/emulator.md) are no operation of
    the spec: they sit under /_emulator/, never under /v1, so no client can take one for the
    API, and the route table above stays the spec's."""
    for method, pattern, _action in emulator_api.CONTROL_ROUTES:
        assert pattern.pattern.startswith("/_emulator/"), (method, pattern.pattern)
    assert not any(route[2].startswith("GET /_emulator") for route in emulator_api.ROUTES)
