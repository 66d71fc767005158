"""The API server's handler: reads the request, applies faults, calls the backend.

It knows routes and HTTP, nothing about builds, agents or secrets: those are operations
of the ApiBackend (backend.py).
"""

from __future__ import annotations

import re
import traceback
from typing import cast

from .backend import ApiBackend, ApiCall
from .build_api import REGION_NAMES
from .errors import ApiError, BadRequest
from .http_common import POST_FAULTS, EmulatorHandler, Reply, api_error, json_reply

__all__ = ["CONTROL_ROUTES", "REGION_NAMES", "ROUTES", "ApiHandler", "BadRequest"]

_MAX_BODY = 1024 * 1024
_NAME = r"(?P<name>[^/]+)"
_SET = r"(?P<set>[^/]+)"
# (method, path pattern, endpoint template for faults, backend action)
ROUTES: list[tuple[str, re.Pattern[str], str, str]] = [
    ("POST", re.compile(r"/v1/builds/upload-url/?"), "POST /v1/builds/upload-url", "upload_url"),
    ("POST", re.compile(r"/v1/builds/?"), "POST /v1/builds", "create_build"),
    ("GET", re.compile(r"/v1/builds/?"), "GET /v1/builds", "list_builds"),
    ("GET", re.compile(r"/v1/builds/(?P<id>[^/]+)/logs/?"), "GET /v1/builds/{id}/logs", "logs"),
    ("GET", re.compile(r"/v1/builds/(?P<id>[^/]+)/?"), "GET /v1/builds/{id}", "get_build"),
    ("GET", re.compile(r"/v1/properties/?"), "GET /v1/properties", "properties"),
    ("GET", re.compile(r"/v1/regions/?"), "GET /v1/regions", "regions"),
    ("POST", re.compile(r"/v1/agents/?"), "POST /v1/agents", "create_agent"),
    ("GET", re.compile(r"/v1/agents/?"), "GET /v1/agents", "list_agents"),
    ("POST", re.compile(rf"/v1/agents/{_NAME}/?"), "POST /v1/agents/{name}", "update_agent"),
    ("GET", re.compile(rf"/v1/agents/{_NAME}/?"), "GET /v1/agents/{name}", "get_agent"),
    ("DELETE", re.compile(rf"/v1/agents/{_NAME}/?"), "DELETE /v1/agents/{name}", "delete_agent"),
    ("GET", re.compile(r"/v1/secrets/?"), "GET /v1/secrets", "list_secret_sets"),
    ("PUT", re.compile(rf"/v1/secrets/{_SET}/?"), "PUT /v1/secrets/{set}", "put_secret_set"),
    ("GET", re.compile(rf"/v1/secrets/{_SET}/?"), "GET /v1/secrets/{set}", "get_secret_set"),
    (
        "DELETE",
        re.compile(rf"/v1/secrets/{_SET}/?"),
        "DELETE /v1/secrets/{set}",
        "delete_secret_set",
    ),
    (
        "DELETE",
        re.compile(rf"/v1/secrets/{_SET}/(?P<key>[^/]+)/?"),
        "DELETE /v1/secrets/{set}/{key}",
        "delete_secret",
    ),
]


# Non-spec controls for tests that reach the emulator only over HTTP (a subprocess, a
# container): (method, path pattern, backend control). Outside /v1, never subject to faults,
# recorded with server "control" so the contract checks leave them alone. docs/emulator.md.
CONTROL_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(rf"/_emulator/agents/{_NAME}/running/?"), "running"),
]


class ApiHandler(EmulatorHandler):
    """Routes /v1 requests, every answer through the fault plan first; and the non-spec
    controls (CONTROL_ROUTES), which take no faults."""

    server_label = "api"

    @property
    def api(self) -> ApiBackend:
        return cast(ApiBackend, self.backend)

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
                    raise ApiError("Request body too large", "PAYLOAD_TOO_LARGE", 413)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ApiError("Request body too large", "PAYLOAD_TOO_LARGE", 413)
        return self.rfile.read(length) if length else b""

    def handle_request(self) -> None:
        try:
            body = self._read_body()
        except ApiError as error:
            reply = api_error(error.status, str(error), error.code)
            reply.close = True
            self.send(reply)
            return
        control = self._control_route()
        if control is not None:
            self.send(self._control_answer(*control), body=body, server="control")
            return
        route = self._route()
        endpoint = route[0] if route else f"{self.command} {self.url_path}"
        fault = self.api.take_fault(endpoint)
        if fault is not None and fault.kind == "stall" and not self.stall(fault):
            self.record("reset", body=body)
            return
        if fault is not None and fault.kind == "reset":
            self.reset(body=body)
            return
        if fault is not None and fault.kind not in (*POST_FAULTS, "stall"):
            self.send(self.fault_reply(fault, xml=False), body=body, fault=fault.kind)
            return
        self.deliver(self._answer(route, body), fault, body=body)

    def _route(self) -> tuple[str, str, dict[str, str]] | None:
        for method, pattern, endpoint, action in ROUTES:
            match = pattern.fullmatch(self.url_path)
            if match and method == self.command:
                return endpoint, action, match.groupdict()
        return None

    def _control_route(self) -> tuple[str, dict[str, str]] | None:
        for method, pattern, action in CONTROL_ROUTES:
            match = pattern.fullmatch(self.url_path)
            if match and method == self.command:
                return action, match.groupdict()
        return None

    def _control_answer(self, action: str, params: dict[str, str]) -> Reply:
        if not self._authorized():
            return api_error(401, "Unauthorized", "UNAUTHORIZED")
        call = ApiCall(params, self.query, b"", None, self.command, self.url_path)
        try:
            answer = self.api.control(action, call)
        except ApiError as error:
            return api_error(error.status, str(error), error.code)
        return json_reply(answer.status, answer.payload)

    def _authorized(self) -> bool:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.api.authorized(token.strip())

    def _answer(self, route: tuple[str, str, dict[str, str]] | None, body: bytes) -> Reply:
        if not self._authorized():
            return api_error(401, "Unauthorized", "UNAUTHORIZED")
        if route is None:
            return api_error(404, f"Not found: {self.command} {self.url_path}", "NOT_FOUND")
        _endpoint, action, params = route
        call = ApiCall(
            params=params,
            query=self.query,
            body=body,
            host=self.headers.get("Host"),
            method=self.command,
            path=self.url_path,
        )
        try:
            answer = self.api.call(action, call)
        except ApiError as error:
            return api_error(error.status, str(error), error.code)
        except Exception:  # a bad test hook (outcome, log_lines) must not hang the client
            traceback.print_exc()
            return api_error(500, "Internal server error", "INTERNAL_SERVER_ERROR")
        return json_reply(answer.status, answer.payload)
