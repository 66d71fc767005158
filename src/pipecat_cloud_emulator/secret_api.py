"""The secret set endpoints of openapi.json: upsert, get (names only), list, delete.

Writes are asynchronous as in the real service: 202, then the set is `pending` for
`secret_pending_seconds` before it is `ready`. Values are kept for the deployments'
sake and never rendered, logged or put in an error message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .backend import ApiAnswer, ApiCall
from .config import EmulatorConfig
from .errors import bad_request, conflict, not_found
from .request_body import json_object
from .secret_sets import SecretSetRecord
from .state import DroppedFields, EmulatorState

SET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_REGULAR_FIELDS = ("secrets", "region")
_PULL_FIELDS = ("isImagePullSecret", "host", "secretValue", "region")


def _set_name(raw: str) -> str:
    if not 3 <= len(raw) <= 63 or not SET_NAME.match(raw):
        raise bad_request("Invalid request format")
    return raw


def _regular(payload: dict[str, Any]) -> dict[str, str]:
    entries = payload.get("secrets")
    if not isinstance(entries, list) or not entries:
        raise bad_request("Invalid request format")
    values: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise bad_request("Invalid request format")
        key, value = entry.get("secretKey"), entry.get("secretValue")
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise bad_request("Invalid request format")
        values[key] = value
    return values


class SecretApi:
    """Operations of the secret set endpoints over the shared state."""

    def __init__(self, config: Callable[[], EmulatorConfig], state: EmulatorState) -> None:
        self._config = config
        self._state = state

    def _take_conflict(self, name: str) -> bool:
        conflicts = self._state.secret_conflicts
        for target in (name, None):
            if conflicts.get(target, 0) > 0:
                conflicts[target] -= 1
                return True
        return False

    def put(self, call: ApiCall) -> ApiAnswer:
        name = _set_name(call.params["set"])
        payload = json_object(call.body, code="GENERIC_BAD_REQUEST")
        config = self._config()
        pull = payload.get("isImagePullSecret") is True
        known = _PULL_FIELDS if pull else _REGULAR_FIELDS
        dropped = tuple(field for field in payload if field not in known)
        if pull:
            host, value = payload.get("host"), payload.get("secretValue")
            if not isinstance(host, str) or not host or not isinstance(value, str):
                raise bad_request(
                    "Must provide isImagePullSecret, host, and secretValue to update an "
                    "image pull secret"
                )
            values = {"secretValue": value}
        else:
            values = _regular(payload)
        region = payload.get("region", config.default_region)
        if not isinstance(region, str) or region not in config.regions:
            raise bad_request("Invalid region or organization does not have access")
        now = config.clock()
        kind = "imagePullSecret" if pull else "secret"
        with self._state.lock:
            if dropped:
                self._state.dropped_fields.append(DroppedFields(call.method, call.path, dropped))
            existing = self._state.secret_sets.get(name)
            if existing is not None:
                if "region" in payload and existing.region != region:
                    raise bad_request(
                        f"Secret already exists in region '{existing.region}'. "
                        f"Cannot change region to '{region}'."
                    )
                if existing.kind != kind:
                    raise bad_request(
                        "Cannot update existing regular secrets to image pull secrets"
                        if pull
                        else "Cannot update an existing image pull secret to regular secrets"
                    )
            busy = existing is not None and existing.status(now) == "pending"
            if self._take_conflict(name) or (busy and config.secret_conflict_while_pending):
                raise conflict(f"Secret set '{name}' was modified concurrently. Please retry.")
            if existing is None:
                existing = SecretSetRecord(name=name, kind=kind, region=region, ready_at=now)
                self._state.secret_sets[name] = existing
            if pull:
                existing.values = values
                existing.host = str(payload["host"]).rstrip("/") + "/"
            else:
                existing.values.update(values)
            existing.ready_at = now + config.secret_pending_seconds
            existing.error_message = None
            return ApiAnswer(202, {"status": "OK", "region": existing.region})

    def _find(self, raw: str) -> SecretSetRecord:
        found = self._state.secret_sets.get(raw)
        if found is None:
            raise not_found("Set not found")
        return found

    def get(self, call: ApiCall) -> ApiAnswer:
        with self._state.lock:
            record = self._find(call.params["set"])
            if record.kind == "imagePullSecret":
                raise bad_request("Cannot retrieve image pull secrets by name")
            return ApiAnswer(200, record.render(self._config().clock()))

    def list(self, _call: ApiCall) -> ApiAnswer:
        now = self._config().clock()
        with self._state.lock:
            sets = [record.summary(now) for record in self._state.secret_sets.values()]
        return ApiAnswer(200, {"sets": sets})

    def delete(self, call: ApiCall) -> ApiAnswer:
        with self._state.lock:
            self._find(call.params["set"])
            del self._state.secret_sets[call.params["set"]]
        return ApiAnswer(200, {"status": "OK"})

    def delete_key(self, call: ApiCall) -> ApiAnswer:
        with self._state.lock:
            record = self._state.secret_sets.get(call.params["set"])
            key = call.params["key"]
            if record is None or record.kind != "secret" or key not in record.values:
                raise not_found("Secret not found")
            del record.values[key]
            record.ready_at = self._config().clock() + self._config().secret_pending_seconds
        return ApiAnswer(200, {"status": "OK"})
