"""Reading request parameters and JSON bodies, with the API's 400 answers."""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError


def int_param(
    query: dict[str, list[str]], name: str, default: int, low: int, high: int | None
) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise ApiError(f"'{name}' must be an integer") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(f"'{name}' must be {bound}")
    return value


def json_object(body: bytes, code: str = "GENERIC_BAD_REQUEST") -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise ApiError("Request body must be valid JSON", code) from None
    if not isinstance(payload, dict):
        raise ApiError("Request body must be a JSON object", code)
    return payload
