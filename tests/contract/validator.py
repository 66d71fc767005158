"""Hold a request or an answer of the Pipecat Cloud API against the official OpenAPI spec.

The validation itself is openapi-core's (OpenAPI 3.0: types, formats, required fields, enums,
`nullable`, parameters, documented statuses, security). This module adds what a plain OpenAPI
validator lets through and the real service would silently drop or never send:
- body fields the spec does not define (`additionalProperties: false` is injected into every
  object schema that lists its properties, since the spec leaves it open),
- query parameters the operation does not list,
- error `code` values the spec's examples never use for that status.

Allowed differences live in `deviations.py` only. The spec is loaded, patched and compiled
once per process (`contract()`).

Use:
    from tests.contract.validator import contract
    contract().check_request("POST", "/v1/builds", body=b'{"uploadId": ...}')
    contract().check_answer("GET", "/v1/builds/<id>", 200, body=b'{"build": {...}}')
    contract().check_recorded(emulator.requests[0])   # request + answer of one exchange
Each raises `ContractViolation` (an AssertionError) saying what and where.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from . import deviations

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "pipecat-cloud-openapi.json"
HOST = "https://api.pipecat.daily.co"
METHODS = ("get", "put", "post", "delete", "patch")
JSON = dict[str, Any]


class ContractViolation(AssertionError):
    """A request or an answer the official spec (plus deviations.py) does not allow."""


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    template: str  # as the spec writes it, e.g. /builds/{buildId}
    prefix: str  # the server's path: /v1 or /v1/public
    spec: JSON
    pattern: re.Pattern[str]
    literals: int

    @property
    def key(self) -> str:
        return f"{self.method} {self.prefix}{self.template}"


def _strict_schema(schema: Any) -> None:
    """Close every object schema that lists its properties; recurse through sub-schemas."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    for sub in schema.get("properties", {}).values():
        _strict_schema(sub)
    for key in ("items", "additionalProperties", "not"):
        _strict_schema(schema.get(key))
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            _strict_schema(sub)


def _nullable_refs(schema: Any, schemas: JSON) -> None:
    """`{nullable: true, allOf: [{$ref}]}` -> the referenced schema inlined with nullable.

    The spec writes nullable references that way (ServiceDetailsResponse.currentRevision and
    previousRevision) and its own examples send null there, but since OpenAPI 3.0.3 `nullable`
    without `type` has no effect, so validators (openapi-schema-validator included) refuse null.
    """
    if isinstance(schema, list):
        for item in schema:
            _nullable_refs(item, schemas)
        return
    if not isinstance(schema, dict):
        return
    for value in schema.values():
        _nullable_refs(value, schemas)
    all_of = schema.get("allOf")
    if schema.get("nullable") and isinstance(all_of, list) and len(all_of) == 1:
        ref = all_of[0].get("$ref", "")
        if ref.startswith("#/components/schemas/") and "type" not in schema:
            del schema["allOf"]
            schema.update(copy.deepcopy(schemas[ref.rsplit("/", 1)[-1]]), nullable=True)


def _media_schemas(holder: JSON) -> Iterator[Any]:
    for media in holder.get("content", {}).values():
        yield media.get("schema")


def prepare(raw: JSON) -> JSON:
    """The spec as the checks use it: deviations applied, nullable refs inlined, closed."""
    spec = copy.deepcopy(raw)
    deviations.apply_all(spec)
    components = spec["components"]
    _nullable_refs(components["schemas"], components["schemas"])
    _nullable_refs(spec["paths"], components["schemas"])
    roots: list[Any] = list(components["schemas"].values())
    for response in components.get("responses", {}).values():
        roots += _media_schemas(response)
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            if "requestBody" in operation:
                roots += _media_schemas(operation["requestBody"])
            for response in operation.get("responses", {}).values():
                roots += _media_schemas(response)
    for root in roots:
        _strict_schema(root)
    return spec


def operations(spec: JSON) -> list[Operation]:
    found = []
    default = spec["servers"][0]["url"]
    for template, item in spec["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            servers = item[method].get("servers") or item.get("servers") or [{"url": default}]
            prefix = re.sub(r"^https?://[^/]+", "", servers[0]["url"]).rstrip("/")
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(prefix + template))
            found.append(
                Operation(
                    method=method.upper(),
                    template=template,
                    prefix=prefix,
                    spec=item[method],
                    pattern=re.compile(regex + "/?"),
                    literals=len([s for s in template.split("/") if s and "{" not in s]),
                )
            )
    return found


def _schema_errors(error: BaseException) -> list[str]:
    """openapi-core's exception chain -> 'where: message' lines."""
    lines: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        for detail in getattr(seen, "schema_errors", None) or ():
            where = ".".join(str(p) for p in getattr(detail, "absolute_path", ())) or "(body)"
            lines.append(f"{where}: {getattr(detail, 'message', detail)}")
        seen = seen.__cause__ or seen.__context__
    return lines


def _describe(error: BaseException) -> str:
    details = _schema_errors(error)
    head = f"{type(error).__name__}: {error}"
    return head + "".join(f"\n    {line}" for line in details[:8])


class Contract:
    """The compiled spec; one per process via `contract()`."""

    def __init__(self, raw: JSON) -> None:
        self.raw = raw
        self.spec = prepare(raw)
        self.openapi = OpenAPI.from_dict(self.spec)
        self.operations = operations(self.spec)
        self.error_codes = deviations.error_codes(raw)

    # -- lookup ---------------------------------------------------------------------------
    def operation(self, method: str, path: str) -> Operation | None:
        """The spec's operation for a concrete request path (literal segments win)."""
        matches = [
            op
            for op in self.operations
            if op.method == method.upper() and op.pattern.fullmatch(path)
        ]
        return max(matches, key=lambda op: op.literals) if matches else None

    def _require(self, method: str, path: str) -> Operation:
        found = self.operation(method, path)
        if found is None:
            raise ContractViolation(f"{method} {path}: no such operation in the spec")
        return found

    @staticmethod
    def _mock_request(
        method: str,
        path: str,
        query: Mapping[str, list[str]] | None,
        headers: Mapping[str, str] | None,
        body: bytes,
    ) -> MockRequest:
        headers = dict(headers or {})
        content_type = next(
            (v for k, v in headers.items() if k.lower() == "content-type"), "application/json"
        )
        return MockRequest(
            HOST,
            method.lower(),
            path,
            args={name: list(values) for name, values in (query or {}).items()},
            headers=headers,
            data=body or None,
            content_type=content_type.split(";")[0].strip(),
        )

    # -- checks ---------------------------------------------------------------------------
    def check_request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        """A request as a client sent it: operation, parameters, security and body."""
        op = self._require(method, path)
        where = f"request {method} {path}"
        documented = {p["name"] for p in op.spec.get("parameters", []) if p.get("in") == "query"}
        unknown = sorted(set(query or {}) - documented)
        if unknown:
            raise ContractViolation(
                f"{where}: query parameter(s) {unknown} not in the spec "
                f"(documented: {sorted(documented)})"
            )
        if body and op.spec.get("requestBody") is None:
            raise ContractViolation(f"{where}: a body, but the operation takes none")
        request = self._mock_request(method, path, query, headers, body)
        try:
            self.openapi.validate_request(request)
        except Exception as error:
            raise ContractViolation(f"{where}: {_describe(error)}") from error

    def check_answer(
        self,
        method: str,
        path: str,
        status: int,
        *,
        body: bytes,
        content_type: str | None = "application/json",
    ) -> None:
        """An answer as the service (emulator) gave it to a request for `method path`."""
        op = self._require(method, path)
        where = f"answer {status} to {method} {path}"
        if str(status) not in op.spec.get("responses", {}):
            raise ContractViolation(
                f"{where}: status {status} not documented "
                f"(documented: {sorted(op.spec.get('responses', {}))})"
            )
        request = MockRequest(HOST, method.lower(), path)
        response = MockResponse(
            body, status_code=status, content_type=(content_type or "").split(";")[0].strip()
        )
        try:
            self.openapi.validate_response(request, response)
        except Exception as error:
            raise ContractViolation(f"{where}: {_describe(error)}") from error
        self.check_error_code(where, status, body)

    def check_error_shape(self, where: str, status: int, body: bytes) -> None:
        """An error answer to a request the spec has no operation for: ErrorResponse shape."""
        try:
            payload = json.loads(body)
        except ValueError:
            raise ContractViolation(f"{where}: not JSON: {body[:80]!r}") from None
        if not isinstance(payload, dict) or set(payload) != {"error", "code"}:
            raise ContractViolation(f"{where}: not an ErrorResponse {{error, code}}: {payload!r}")
        if not all(isinstance(value, str) for value in payload.values()):
            raise ContractViolation(f"{where}: error and code must be strings: {payload!r}")
        self.check_error_code(where, status, body)

    def check_error_code(self, where: str, status: int, body: bytes) -> None:
        if status < 400:
            return
        payload = json.loads(body)
        if not isinstance(payload, dict) or "code" not in payload:
            return
        allowed = self.error_codes.get(status, set())
        if payload["code"] not in allowed:
            raise ContractViolation(
                f"{where}: error code {payload['code']!r} is not one the spec uses for "
                f"{status} (spec's examples: {sorted(allowed) or 'none'})"
            )

    def check_recorded(self, seen: Any, *, request: bool = True) -> None:
        """One exchange an emulator recorded (a RecordedRequest of server 'api').

        The request is checked unless `request` is False (a test that sends bad requests on
        purpose); the answer always, unless a fault was injected into it or there was none.
        An answer to a request that matches no operation must still be an ErrorResponse.
        """
        if request:
            self.check_request(
                seen.method, seen.path, query=seen.query, headers=seen.headers, body=seen.body
            )
        if getattr(seen, "fault", None) or not isinstance(seen.status, int):
            return
        content_type = getattr(seen, "answer_type", None)
        answer = getattr(seen, "answer", None)
        if answer is None:
            raise ContractViolation("the emulator did not record its answer's body")
        op = self.operation(seen.method, seen.path)
        where = f"answer {seen.status} to {seen.method} {seen.path}"
        if op is None or (
            not request and str(seen.status) not in op.spec.get("responses", {})
        ):
            if seen.status < 400:
                raise ContractViolation(f"{where}: success for a request the spec does not know")
            self.check_error_shape(where, seen.status, answer)
            return
        self.check_answer(
            seen.method, seen.path, seen.status, body=answer, content_type=content_type
        )


@functools.cache
def contract() -> Contract:
    return Contract(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
