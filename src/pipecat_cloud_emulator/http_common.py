"""Plumbing shared by the API and storage servers: replies, recording, faults, resets."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .config import Fault
from .state import RecordedRequest

if TYPE_CHECKING:
    from .backend import HandlerBackend

# Faults answered instead of processing the request.
PRE_FAULTS = ("500", "502", "503", "429", "reset", "non_json", "redirect")
# Faults that let the request be processed and spoil only the answer.
POST_FAULTS = ("lost", "truncated")

_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
    b"<body><h1>We'll be right back</h1></body></html>"
)


@dataclass
class Reply:
    """An answer not yet sent, so a fault can still spoil it."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False


def json_reply(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = json.dumps(payload).encode()
    return Reply(status, body, "application/json", headers or [])


def api_error(status: int, message: str, code: str) -> Reply:
    return json_reply(status, {"error": message, "code": code})


class EmulatorServer(ThreadingHTTPServer):
    """A threading server that knows its backend and can close sockets with a reset."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        backend: HandlerBackend,
    ) -> None:
        self.backend = backend
        self._resets: set[socket.socket] = set()
        self._resets_lock = threading.Lock()
        super().__init__(address, handler)

    def mark_reset(self, sock: socket.socket) -> None:
        with self._resets_lock:
            self._resets.add(sock)

    def shutdown_request(self, request: Any) -> None:
        with self._resets_lock:
            reset = request in self._resets
            self._resets.discard(request)
        if reset:
            # No shutdown(SHUT_WR): that would send a FIN before the RST.
            self.close_request(request)
        else:
            super().shutdown_request(request)


class EmulatorHandler(BaseHTTPRequestHandler):
    """Common request handling; subclasses implement `handle_request`."""

    protocol_version = "HTTP/1.1"
    server_label = "api"
    server: EmulatorServer

    @property
    def backend(self) -> HandlerBackend:
        return self.server.backend

    def log_message(self, format: str, *args: Any) -> None:
        if self.backend.verbose:
            sys.stderr.write(f"[{self.server_label}] {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        self.url_path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.header_dict = dict(self.headers.items())
        try:
            self.handle_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self.close_connection = True

    def handle_request(self) -> None:
        raise NotImplementedError

    def record(self, status: int | str, **details: Any) -> None:
        server = details.pop("server", self.server_label)
        self.backend.record(
            RecordedRequest(
                server=server,
                method=self.command,
                path=self.url_path,
                query=self.query,
                headers=self.header_dict,
                status=status,
                **details,
            )
        )

    def send(self, reply: Reply, **details: Any) -> None:
        """Record, then answer (the record exists before the client can read the answer)."""
        details.setdefault("answer", reply.body)
        details.setdefault("answer_type", reply.content_type)
        self.record(reply.status, **details)
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(reply.body)))
        if reply.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and reply.status not in (204, 304):
            self.wfile.write(reply.body)

    def reset(self, **details: Any) -> None:
        """Record, then drop the connection with a TCP reset and no answer."""
        self.record("reset", **details)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.mark_reset(self.connection)

    def stall(self, fault: Fault) -> bool:
        """Wait as the fault says; False when the emulator stopped meanwhile."""
        stopped = self.backend.wait_stopped(fault.stall_seconds)
        if stopped:
            self.close_connection = True
        return not stopped

    def fault_reply(self, fault: Fault, xml: bool) -> Reply:
        """The answer a pre-processing fault gives (not for reset/stall)."""
        kind = fault.kind
        if kind == "502":
            return Reply(502, _BAD_GATEWAY, "text/html")
        if kind == "non_json":
            return Reply(200, _HTML_PAGE, "text/html; charset=utf-8")
        if kind == "redirect":
            return Reply(307, b"", None, [("Location", self.backend.redirect_location(self.path))])
        headers = []
        if kind == "429":
            seconds = fault.retry_after
            shown = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
            headers.append(("Retry-After", shown))
        if xml:
            from .s3_error import S3Error

            code, message = {
                "500": ("InternalError", "We encountered an internal error. Please try again."),
                "503": ("SlowDown", "Please reduce your request rate."),
                "429": ("SlowDown", "Please reduce your request rate."),
            }[kind]
            error = S3Error(int(kind), code, message)
            return Reply(error.status, error.xml(), "application/xml", headers)
        payload = {
            "500": {"error": "Internal server error", "code": "INTERNAL_SERVER_ERROR"},
            "503": {"error": "Service temporarily unavailable", "code": "SERVICE_UNAVAILABLE"},
            "429": {"error": "Too many requests", "code": "RATE_LIMITED"},
        }[kind]
        return json_reply(int(kind), payload, headers)

    def deliver(self, reply: Reply, fault: Fault | None, **details: Any) -> None:
        """Send a processed answer, unless a post-processing fault spoils it."""
        if fault is not None and fault.kind == "lost":
            self.reset(**details)
        elif fault is not None and fault.kind == "truncated":
            cut = reply.body[: len(reply.body) // 2]
            spoiled = Reply(reply.status, cut, reply.content_type, reply.headers)
            self.send(spoiled, fault=fault.kind, **details)
        else:
            self.send(reply, **details)
