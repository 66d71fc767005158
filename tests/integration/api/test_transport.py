"""The libcurl transport against real servers on loopback: certificate checks, proxies from
the environment, no `.netrc`, no redirects, and what a failure says."""

from __future__ import annotations

import json
import os
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

import pipecat_build
from pipecat_build.api.builds import BuildsApi
from pipecat_build.api.connection import ApiConnection
from pipecat_build.api.storage import StorageError, upload_archive
from pipecat_build.api.transport import HttpClient, Timeouts, TransportError
from pipecat_build.errors import InputError
from pipecat_build.models import UploadTicket
from pipecat_build.runtime import Runtime
from tests.action_harness import TEST_KEY

QUICK = Timeouts(connect=2.0, total=5.0)


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with its own request line and headers as JSON."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        record = {"line": self.requestline, **{k.lower(): v for k, v in self.headers.items()}}
        self.seen.append(record)
        if self.path.endswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"properties": {"defaultRegion": "us-west"}, **record}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(tls: ssl.SSLContext | None = None) -> tuple[ThreadingHTTPServer, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture
def plain() -> Iterator[tuple[str, list[dict[str, str]]]]:
    server, seen = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https(authority: trustme.CA) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server, _ = serve(context)
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's own CA and proxy variables must not decide these tests."""
    for name in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_an_unknown_certificate_authority_is_refused_without_retries(https: str) -> None:
    with HttpClient() as client:
        with pytest.raises(TransportError) as caught:
            client.request("GET", https + "/v1/properties", timeout=QUICK)
        assert caught.value.kind == "tls"
        never_sleep = lambda seconds: pytest.fail("retried")  # noqa: E731
        api = BuildsApi(ApiConnection(client, https, TEST_KEY, sleep=never_sleep))
        with pytest.raises(InputError, match=r"api-url.*SSL_CERT_FILE"):
            api.default_region()


def test_a_ca_bundle_named_in_the_environment_is_trusted(
    https: str, authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    runtime = Runtime.from_environ(os.environ)  # as the front doors read it
    with HttpClient(ca_bundle=runtime.ca_bundle) as client:
        assert BuildsApi(ApiConnection(client, https, TEST_KEY)).default_region() == "us-west"


def test_the_proxy_variables_are_honoured(
    plain: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """For https (a CONNECT tunnel; test_transport_security.py). Plain http, which only
    reaches loopback, never goes through a proxy (issue 20 §4)."""
    proxy, seen = plain
    monkeypatch.setenv("http_proxy", proxy)
    with HttpClient() as client:
        client.request("GET", proxy + "/direct", timeout=QUICK)
    assert seen[-1]["line"] == "GET /direct HTTP/1.1"
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with HttpClient() as client:
        client.request("GET", proxy + "/direct", timeout=QUICK)
    assert seen[-1]["line"] == "GET /direct HTTP/1.1"


def test_netrc_credentials_are_never_sent(
    plain: tuple[str, list[dict[str, str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = plain
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    with HttpClient() as client:
        client.request("GET", url + "/v1/x", timeout=QUICK)
    assert "authorization" not in seen[-1]


def test_redirects_are_answers_not_followed(plain: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = plain
    with HttpClient() as client:
        answer = client.request("GET", url + "/moved", headers={"X-Probe": "1"}, timeout=QUICK)
    assert answer.status == 302 and answer.header("location").endswith("/elsewhere")
    assert len(seen) == 1


def test_a_refused_connection_says_so_and_was_not_sent() -> None:
    with HttpClient() as client, pytest.raises(TransportError) as caught:
        client.request("GET", "http://127.0.0.1:9/", timeout=QUICK)
    assert caught.value.kind == "connect" and not caught.value.sent


def test_headers_and_query_reach_the_server(plain: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = plain
    with HttpClient(user_agent="probe/1") as client:
        answer = client.request(
            "GET", url + "/q", headers={"Accept": "application/json"},
            params={"a": "x y", "b": 2}, timeout=QUICK,
        )
    assert answer.json()["line"] == "GET /q?a=x+y&b=2 HTTP/1.1"
    assert seen[-1]["user-agent"] == "probe/1" and seen[-1]["accept"] == "application/json"


def test_requests_name_the_product_and_its_version(
    plain: tuple[str, list[dict[str, str]]],
) -> None:
    url, seen = plain
    with HttpClient() as client:
        client.request("GET", url + "/ua", timeout=QUICK)
    assert seen[-1]["user-agent"] == f"pipecat-build/{pipecat_build.__version__}"


def test_a_closed_client_can_still_be_used(plain: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = plain
    client = HttpClient()
    client.request("GET", url + "/one", timeout=QUICK)
    client.close()
    assert client.request("GET", url + "/two", timeout=QUICK).status == 200
    client.close()
    assert [s["line"] for s in seen] == ["GET /one HTTP/1.1", "GET /two HTTP/1.1"]


def test_storage_behind_an_unknown_ca_is_not_retried_and_says_what_to_do(
    https: str, tmp_path: Path
) -> None:
    archive = tmp_path / "context.tar.gz"
    archive.write_bytes(b"x" * 1000)
    ticket = UploadTicket("u1", https + "/bucket", [("key", "k")], expires_at=0.0)
    with HttpClient() as client, pytest.raises(StorageError) as caught:
        upload_archive(client, ticket, archive)
    assert not caught.value.retryable
    assert "SSL_CERT_FILE" in str(caught.value)
