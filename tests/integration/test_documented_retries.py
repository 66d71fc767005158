"""Retry ceilings as users meet them, through the entrypoint: an outage longer than
`retry-budget` fails the step in one line naming the call (the upload, the build's creation,
an API read), and a Retry-After given as an HTTP date is waited for end to end."""

from __future__ import annotations

import math
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator, Fault
from tests.action_harness import TEST_KEY, ActionRun, finish, start_action

FOREVER = 100_000  # a fault count no run reaches
RUN_DEADLINE = 60.0  # seconds: only a run that ignores its budget gets near it


@pytest.fixture(autouse=True)
def _quick(emulator: Emulator) -> None:
    emulator.config.pending_seconds = 0.05
    emulator.config.building_seconds = 0.2


def run(workspace: Path, files: Path, api_url: str, **inputs: str) -> ActionRun:
    base = {"api_key": TEST_KEY, "api_url": api_url, "poll_interval": "0.1"}
    return finish(start_action(workspace, files, **{**base, **inputs}), files, RUN_DEADLINE)


def the_error(run: ActionRun) -> str:
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "Traceback" not in run.log
    return error


def calls(emulator: Emulator, endpoint: str) -> int:
    method, path = endpoint.split(" ", 1)
    if path == "storage":
        return len([r for r in emulator.requests if r.server == "storage"])
    return len([r for r in emulator.requests
                if r.server == "api" and r.method == method and r.path == path])


@pytest.mark.parametrize(
    ("endpoint", "inputs", "named"),
    [
        ("POST storage", {"region": "us-west"}, "upload"),
        ("POST /v1/builds", {"region": "us-west"}, "create the build"),
        ("GET /v1/builds", {"region": "us-west"}, "list builds"),
        ("GET /v1/properties", {}, "region"),
    ],
)
def test_an_outage_longer_than_the_retry_budget_fails_naming_the_call(
    emulator: Emulator,
    workspace: Path,
    files: Path,
    endpoint: str,
    inputs: dict[str, str],
    named: str,
) -> None:
    emulator.inject(Fault("503", endpoint, count=FOREVER))
    done = run(workspace, files, emulator.api_url, retry_budget="1", **inputs)
    assert done.returncode == 1
    error = the_error(done)
    assert named in error and "503" in error, error
    # It did retry (within the budget) before giving up, and then stopped.
    assert "retry-budget left" in done.log
    assert calls(emulator, endpoint) >= 2
    assert emulator.builds == [], "no build, and so no duplicate build"
    assert done.files == [], "no scratch file left behind"


# -- Retry-After as an HTTP date ---------------------------------------------------------------


class DatedRateLimit:
    """A loopback front for the emulator's API: the first POST /v1/builds/upload-url is
    answered 429 with `Retry-After: <HTTP date>` (which the emulator cannot send; it sends
    seconds), everything else is passed through unchanged. Records when each request came."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.arrivals: list[tuple[str, float]] = []
        self.retry_at = 0.0
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _pass(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                line = f"{self.command} {self.path.split('?')[0]}"
                front.arrivals.append((line, time.time()))
                if line == "POST /v1/builds/upload-url" and front.retry_at == 0.0:
                    front.retry_at = math.ceil(time.time()) + 2  # 1 to 2 s from now
                    self.send_response(429)
                    self.send_header("Retry-After", formatdate(front.retry_at, usegmt=True))
                    self.send_header("Content-Type", "application/json")
                    payload = b'{"error": "Too many requests", "code": "RATE_LIMITED"}'
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "content-length")}
                request = urllib.request.Request(
                    front.api_url + self.path, data=body if self.command != "GET" else None,
                    headers=headers, method=self.command,
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, answer_headers = answer.status, answer.headers
                        content = answer.read()
                except urllib.error.HTTPError as refused:
                    status, answer_headers = refused.code, refused.headers
                    content = refused.read()
                self.send_response(status)
                for name, value in answer_headers.items():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding",
                                            "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = _pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def dated(emulator: Emulator) -> Iterator[DatedRateLimit]:
    front = DatedRateLimit(emulator.api_url)
    yield front
    front.close()


def test_a_retry_after_http_date_is_waited_for_end_to_end(
    emulator: Emulator, dated: DatedRateLimit, workspace: Path, files: Path
) -> None:
    done = run(workspace, files, dated.url, region="us-west")
    assert done.returncode == 0, done.log
    [build] = emulator.builds
    assert done.outputs["build-id"] == build["id"]
    asks = [at for line, at in dated.arrivals if line == "POST /v1/builds/upload-url"]
    assert len(asks) == 2, "asked once, refused with the date, asked again"
    # Not before the date the server named (a lower bound: a slow machine only waits longer).
    assert asks[1] >= dated.retry_at - 0.05
    # The wait came from the date, not from the (test-shortened, 5 ms) backoff.
    [line] = [ln for ln in done.stdout.splitlines() if "HTTP 429; retrying in" in ln]
    waited = float(re.search(r"retrying in ([0-9.]+)s", line).group(1))  # type: ignore[union-attr]
    assert waited >= 0.5, line
