"""Checks CreateServiceRequest / UpdateServiceRequest bodies against the spec's fields.

Known fields are type-checked (400 GENERIC_BAD_REQUEST); unknown ones are dropped, as the
real service drops them silently, and returned so the emulator can record them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from .errors import bad_request

SERVICE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])$")
PROFILES = ("agent-1x", "agent-2x", "agent-3x")
AUDIO_FILTERS = ("tel", "pro", None)
Check = Callable[[str, Any], None]


def _invalid(name: str, expectation: str) -> Exception:
    return bad_request(f"Invalid parameters: '{name}' must be {expectation}")


def _string(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise _invalid(name, "a non-empty string")


def _integer(low: int | None = None, high: int | None = None) -> Check:
    def check(name: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(name, "an integer")
        if (low is not None and value < low) or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise _invalid(name, f"an integer {bound}")

    return check


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _invalid(name, "true or false")


def _one_of(*choices: str | None) -> Check:
    def check(name: str, value: Any) -> None:
        if value not in choices:
            shown = ", ".join("null" if c is None else c for c in choices)
            raise _invalid(name, f"one of {shown}")

    return check


def _service_name(name: str, value: Any) -> None:
    if not isinstance(value, str) or len(value) > 54 or not SERVICE_NAME.match(value):
        raise _invalid(
            name,
            "lowercase letters, digits and hyphens, starting and ending with a letter or "
            "digit, at most 54 characters",
        )


def _build_id(name: str, value: Any) -> None:
    try:
        uuid.UUID(str(value))
    except ValueError:
        raise _invalid(name, "a UUID") from None
    if not isinstance(value, str):
        raise _invalid(name, "a UUID")


def _node_type(name: str, value: Any) -> None:
    if value != "arm":
        raise _invalid(name, "'arm' (the only node type supported)")


# Nested objects: field -> check of each known member.
_AUTO_SCALING: dict[str, Check] = {"minAgents": _integer(0), "maxAgents": _integer(1)}
_KRISP: dict[str, Check] = {"audioFilter": _one_of(*AUDIO_FILTERS)}
_NESTED = {"autoScaling": _AUTO_SCALING, "krispViva": _KRISP}

_COMMON: dict[str, Check] = {
    "image": _string,
    "buildId": _build_id,
    "nodeType": _node_type,
    "imagePullSecretSet": _string,
    "secretSet": _string,
    "agentProfile": _one_of(*PROFILES),
    "maxSessionDuration": _integer(60, 14400),
}
CREATE_FIELDS: dict[str, Check] = {"serviceName": _service_name, "region": _string, **_COMMON}
UPDATE_FIELDS: dict[str, Check] = {**_COMMON, "forceRedeploy": _boolean}
NESTED_FIELDS = tuple(_NESTED)


def clean(payload: dict[str, Any], fields: dict[str, Check]) -> tuple[dict[str, Any], list[str]]:
    """The payload with only the spec's fields, checked; and the dropped field paths."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in payload.items():
        if name in _NESTED:
            kept[name] = _clean_nested(name, value, dropped)
        elif name in fields:
            fields[name](name, value)
            kept[name] = value
        else:
            dropped.append(name)
    if "image" in kept and "buildId" in kept:
        raise bad_request("Cannot specify both image and buildId. Use one or the other.")
    return kept, dropped


def _clean_nested(name: str, value: Any, dropped: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(name, "an object")
    members = _NESTED[name]
    kept: dict[str, Any] = {}
    for member, inner in value.items():
        if member in members:
            members[member](f"{name}.{member}", inner)
            kept[member] = inner
        else:
            dropped.append(f"{name}.{member}")
    return kept
