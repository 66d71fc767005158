"""A local HTTP endpoint that reads a POST body, discards it and answers 204.

It does no parsing, so an upload to it runs at the client's own speed: comparing the action's
upload with `curl -F` here separates the client from the emulator's multipart parsing.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

BLOCK = 1 << 20


class _Discard(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # answers `Expect: 100-continue` as S3 does (curl sends it)

    def do_POST(self) -> None:
        left = int(self.headers.get("Content-Length") or 0)
        buffer = memoryview(bytearray(BLOCK))
        while left > 0:
            got = self.rfile.readinto(buffer[: min(BLOCK, left)])
            if not got:
                break
            left -= got
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


class DiscardServer:
    """`with DiscardServer() as sink: sink.url` -> "http://127.0.0.1:PORT/bucket"."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Discard)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bucket"

    def __enter__(self) -> DiscardServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
