"""Which operations of the spec the emulator implements, read from its route table.

NOT_IMPLEMENTED is the one list of the spec's builds, agents and secrets operations the emulator
does not serve, each with why; `test_coverage.py` fails when it and the route table disagree,
in either direction. docs/contract.md shows the same list to people.
"""

from __future__ import annotations

import re

from pipecat_cloud_emulator import api as emulator_api

from .validator import contract

FAMILIES = ("/builds", "/agents", "/secrets")

NOT_IMPLEMENTED: dict[str, str] = {
    "GET /v1/agents/{}/logs": "runtime logs of a deployed agent: no client of this project "
    "reads them, and the emulator runs no containers to produce them",
    "GET /v1/agents/{}/sessions": "sessions exist only for a running bot; the emulator "
    "starts none",
    "GET /v1/agents/{}/sessions/{}": "as above: no sessions",
    "DELETE /v1/agents/{}/sessions/{}": "as above: no sessions",
}


def normalise(method: str, path: str) -> str:
    """'GET /v1/builds/{buildId}' and 'GET /v1/builds/{id}' -> 'GET /v1/builds/{}'."""
    template = re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))
    return f"{method.upper()} {template}"


def emulator_operations() -> set[str]:
    """Every 'METHOD /v1/path/{}' the emulator's API server routes."""
    found = set()
    for route in emulator_api.ROUTES:
        method, _pattern, endpoint = route[0], route[1], route[2]
        found.add(normalise(method, endpoint.split(" ", 1)[1]))
    return found


def spec_operations(families: tuple[str, ...] | None = None) -> set[str]:
    """The spec's private operations, optionally only those under the given path families."""
    return {
        normalise(op.method, op.prefix + op.template)
        for op in contract().operations
        if op.prefix == "/v1"
        and (families is None or any(op.template.startswith(f) for f in families))
    }
