"""The Pipecat Cloud build API (/v1), as openapi-builds.json describes it."""

from __future__ import annotations

import dataclasses
import hmac
import json
import re
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from . import service
from .builds import STATUSES, BuildRecord
from .faults import FaultPlan
from .http_common import POST_FAULTS, EmulatorHandler, Reply, api_error, json_reply
from .state import Upload
from .timefmt import iso_ms

_MAX_BODY = 1024 * 1024
REGION_NAMES = {
    "us-west": "US West (Oregon)",
    "us-east": "US East (Virginia)",
    "eu-central": "Europe (Frankfurt)",
    "ap-south": "Asia Pacific (Mumbai)",
}
_ROUTES: list[tuple[str, re.Pattern[str], str, str]] = [
    ("POST", re.compile(r"/v1/builds/upload-url/?"), "POST /v1/builds/upload-url", "upload_url"),
    ("POST", re.compile(r"/v1/builds/?"), "POST /v1/builds", "create_build"),
    ("GET", re.compile(r"/v1/builds/?"), "GET /v1/builds", "list_builds"),
    ("GET", re.compile(r"/v1/builds/(?P<id>[^/]+)/logs/?"), "GET /v1/builds/{id}/logs", "logs"),
    ("GET", re.compile(r"/v1/builds/(?P<id>[^/]+)/?"), "GET /v1/builds/{id}", "get_build"),
    ("GET", re.compile(r"/v1/properties/?"), "GET /v1/properties", "properties"),
    ("GET", re.compile(r"/v1/regions/?"), "GET /v1/regions", "regions"),
]


class BadRequest(Exception):
    """A 400 answer with the API's error shape."""

    def __init__(self, message: str, code: str = "INVALID_REQUEST", status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _int_param(
    query: dict[str, list[str]], name: str, default: int, low: int, high: int | None
) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise BadRequest(f"'{name}' must be an integer") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"'{name}' must be {bound}")
    return value


def _build_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise BadRequest("Invalid build ID format", "INVALID_BUILD_ID") from None


class ApiHandler(EmulatorHandler):
    """Routes /v1 requests; every answer goes through the fault plan first."""

    server_label = "api"

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > _MAX_BODY:
                    raise BadRequest("Request body too large", "PAYLOAD_TOO_LARGE", 413)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise BadRequest("Request body too large", "PAYLOAD_TOO_LARGE", 413)
        return self.rfile.read(length) if length else b""

    def handle_request(self) -> None:
        try:
            body = self._read_body()
        except BadRequest as error:
            reply = api_error(error.status, str(error), error.code)
            reply.close = True
            self.send(reply)
            return
        route = self._route()
        endpoint = route[0] if route else f"{self.command} {self.url_path}"
        plan: FaultPlan = self.emulator.faults
        fault = plan.take(endpoint, self.emulator.config)
        if fault is not None and fault.kind == "stall" and not self.stall(fault):
            self.record("reset", body=body)
            return
        if fault is not None and fault.kind == "reset":
            self.reset(body=body)
            return
        if fault is not None and fault.kind not in (*POST_FAULTS, "stall"):
            self.send(self.fault_reply(fault, xml=False), body=body)
            return
        self.deliver(self._answer(route, body), fault, body=body)

    def _route(self) -> tuple[str, str, dict[str, str]] | None:
        for method, pattern, endpoint, action in _ROUTES:
            match = pattern.fullmatch(self.url_path)
            if match and method == self.command:
                return endpoint, action, match.groupdict()
        return None

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expected = self.emulator.config.api_key
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), expected.encode()
        )

    def _answer(self, route: tuple[str, str, dict[str, str]] | None, body: bytes) -> Reply:
        if not self._authorized():
            return api_error(401, "Unauthorized", "UNAUTHORIZED")
        if route is None:
            return api_error(404, f"Not found: {self.command} {self.url_path}", "NOT_FOUND")
        _endpoint, action, params = route
        handler: Callable[[dict[str, str], bytes], Reply] = getattr(self, "_" + action)
        try:
            return handler(params, body)
        except BadRequest as error:
            return api_error(error.status, str(error), error.code)
        except Exception:  # a bad test hook (outcome, log_lines) must not hang the client
            traceback.print_exc()
            return api_error(500, "Internal server error", "INTERNAL_SERVER_ERROR")

    def _json_body(self, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except ValueError:
            raise BadRequest("Request body must be valid JSON", "INVALID_JSON") from None
        if not isinstance(payload, dict):
            raise BadRequest("Request body must be a JSON object", "INVALID_JSON")
        return payload

    def _enabled_region(self, payload: dict[str, Any]) -> str:
        region = payload.get("region")
        if not isinstance(region, str) or not region:
            raise BadRequest("'region' is required")
        if not self.emulator.config.regions.get(region, False):
            raise BadRequest(
                f"Cloud builds are not enabled for region '{region}'", "BUILDS_NOT_ENABLED"
            )
        return region

    def _upload_url(self, _params: dict[str, str], body: bytes) -> Reply:
        region = self._enabled_region(self._json_body(body))
        config = self.emulator.config
        upload_id = str(uuid.uuid4())
        key = f"{config.organization}/{upload_id}.tar.gz"
        now = time.time()
        expires = now + config.upload_expiry_seconds
        fields = self.emulator.signer.issue(key, config.max_upload_bytes, now, expires)
        with self.emulator.state.lock:
            self.emulator.state.uploads[upload_id] = Upload(upload_id, region, key, expires)
        return json_reply(
            200,
            {
                "uploadId": upload_id,
                "uploadUrl": self.emulator.storage_url_for(self.headers.get("Host")),
                "uploadFields": fields,
                "expiresAt": iso_ms(expires),
            },
        )

    def _create_build(self, _params: dict[str, str], body: bytes) -> Reply:
        payload = self._json_body(body)
        upload_id = payload.get("uploadId")
        if not isinstance(upload_id, str) or not upload_id:
            raise BadRequest("'uploadId' is required")
        region = self._enabled_region(payload)
        dockerfile_path = payload.get("dockerfilePath", "Dockerfile")
        if not isinstance(dockerfile_path, str) or not dockerfile_path:
            raise BadRequest("'dockerfilePath' must be a non-empty string")
        state = self.emulator.state
        with state.lock:  # a snapshot: a retried upload may replace the object meanwhile
            found = state.uploads.get(upload_id)
            upload = dataclasses.replace(found) if found is not None else None
        if upload is None:
            raise BadRequest(f"Upload '{upload_id}' not found", "UPLOAD_NOT_FOUND")
        if upload.region != region:
            raise BadRequest(
                f"Region '{region}' does not match the upload's region '{upload.region}'",
                "REGION_MISMATCH",
            )
        if upload.md5 is None:
            raise BadRequest(
                f"Upload '{upload_id}' not found: the build context has not been uploaded",
                "UPLOAD_NOT_FOUND",
            )
        record, cached = service.create_build(self.emulator.config, state, upload, dockerfile_path)
        return json_reply(
            200 if cached else 201,
            {
                "build": record.render(),
                "contextHash": record.context_hash,
                "cached": cached,
            },
        )

    def _list_builds(self, _params: dict[str, str], _body: bytes) -> Reply:
        query = self.query
        limit = _int_param(query, "limit", 20, 1, 100)
        offset = _int_param(query, "offset", 0, 0, None)
        status = query.get("status", [None])[-1]
        if status is not None and status not in STATUSES:
            raise BadRequest(f"'status' must be one of {', '.join(STATUSES)}")
        filters = {
            "region": query.get("region", [None])[-1],
            "contextHash": query.get("contextHash", [None])[-1],
            "status": status,
        }
        if self.emulator.config.honour_dockerfile_filter:
            filters["dockerfilePath"] = query.get("dockerfilePath", [None])[-1]
        now = time.time()
        with self.emulator.state.lock:
            records = list(enumerate(self.emulator.state.builds))
        records.sort(key=lambda item: (item[1].created, item[0]), reverse=True)
        builds = [record.render(now) for _index, record in records]
        builds = [
            build
            for build in builds
            if all(value is None or build[name] == value for name, value in filters.items())
        ]
        return json_reply(
            200,
            {
                "builds": builds[offset : offset + limit],
                "total": len(builds),
                "limit": limit,
                "offset": offset,
            },
        )

    def _find(self, raw_id: str) -> BuildRecord:
        build_id = _build_id(raw_id)
        with self.emulator.state.lock:
            for record in self.emulator.state.builds:
                if record.id == build_id:
                    return record
        raise BadRequest(f"Build '{build_id}' not found", "NOT_FOUND", 404)

    def _get_build(self, params: dict[str, str], _body: bytes) -> Reply:
        return json_reply(200, {"build": self._find(params["id"]).render()})

    def _logs(self, params: dict[str, str], _body: bytes) -> Reply:
        record = self._find(params["id"])
        limit = _int_param(self.query, "limit", 500, 1, 10000)
        config = self.emulator.config
        return json_reply(
            200,
            service.log_window(
                record.visible_logs(), limit, config.log_mode, config.log_answer_cap, record.id
            ),
        )

    def _properties(self, _params: dict[str, str], _body: bytes) -> Reply:
        return json_reply(
            200, {"properties": {"defaultRegion": self.emulator.config.default_region}}
        )

    def _regions(self, _params: dict[str, str], _body: bytes) -> Reply:
        return json_reply(
            200,
            {
                "regions": [
                    {"code": code, "display_name": REGION_NAMES.get(code, code)}
                    for code in self.emulator.config.regions
                ]
            },
        )
