"""Issue 20 §4: the key never travels in clear. Plain http (accepted for a loopback api-url)
never goes through a proxy from the environment; https still does (a CONNECT tunnel, inside
which the proxy sees nothing)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from pipecat_build.api.transport import HttpClient, Timeouts, TransportError

from .test_transport import serve

QUICK = Timeouts(connect=2.0, total=5.0)


class ProxyRecorder:
    """A proxy that records the first line of every request and answers nothing useful."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(65536)
                except OSError:
                    continue
                self.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxyRecorder]:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    recorder = ProxyRecorder()
    for name in ("http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, recorder.url)
    yield recorder
    recorder.close()


def test_plain_http_to_loopback_never_goes_through_the_proxy(proxy: ProxyRecorder) -> None:
    server, seen = serve()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with HttpClient() as client:
            answer = client.request(
                "GET", origin + "/v1/properties", headers={"Authorization": "Bearer k"},
                timeout=QUICK,
            )
    finally:
        server.shutdown()
    assert answer.status == 200
    assert seen[-1]["line"] == "GET /v1/properties HTTP/1.1"  # straight to the origin
    assert proxy.lines == []


def test_localhost_by_name_is_not_proxied_either(proxy: ProxyRecorder) -> None:
    server, seen = serve()
    try:
        with HttpClient() as client:
            client.request(
                "GET", f"http://localhost:{server.server_address[1]}/x", timeout=QUICK
            )
    finally:
        server.shutdown()
    assert proxy.lines == [] and seen


def test_https_still_honours_the_proxy(proxy: ProxyRecorder) -> None:
    with HttpClient() as client, pytest.raises(TransportError):
        client.request("GET", "https://api.example.invalid/v1/x", timeout=QUICK)
    assert proxy.lines == ["CONNECT api.example.invalid:443 HTTP/1.1"]
