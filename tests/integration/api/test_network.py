"""What the README and docs/reliability.md promise about the network, against real loopback
servers: `https_proxy` (CONNECT), proxies whose certificate comes from a private CA, which CA
bundle variable wins, the upload's idle limit, and storage redirects that are not followed."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from pipecat_build.api.storage import UPLOAD_IDLE_ENV, StorageError, upload_archive, upload_timeout
from pipecat_build.api.transport import CA_BUNDLE_VARIABLES, HttpClient, Timeouts, TransportError
from pipecat_build.api.transport import ca_bundle as ca_bundle_of
from pipecat_build.models import UploadTicket

QUICK = Timeouts(connect=5.0, total=10.0)
DEADLINE = 30.0  # seconds: far beyond any limit under test, so only a hang reaches it
API_HOST = "api.example.invalid"  # resolvable only by the proxy: proves the request went there


@pytest.fixture(autouse=True)
def no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's own CA and proxy variables must not decide these tests."""
    for name in (*CA_BUNDLE_VARIABLES, "SSL_CERT_DIR", UPLOAD_IDLE_ENV):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def front_door_client() -> HttpClient:
    """A client as the front doors make one: its CA bundle read from the environment."""
    return HttpClient(ca_bundle=ca_bundle_of(os.environ))


# -- loopback servers -------------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Answers every request 200 with a small JSON body; remembers each request line."""

    protocol_version = "HTTP/1.1"
    seen: list[str]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append(self.requestline)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class Redirector(Recorder):
    """Storage that answers every POST 307 to `target` (where S3 would send a wrong region)."""

    target = ""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append(self.requestline)
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def http_server(
    handler: type[Recorder] = Recorder, tls: ssl.SSLContext | None = None, **attributes: str
) -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    bound = type("Handler", (handler,), {"seen": seen, **attributes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def tls_context(authority: trustme.CA, *hosts: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*hosts).configure_cert(context)
    return context


class ConnectProxy:
    """A CONNECT proxy on loopback that sends every tunnel to `upstream` (whatever host the
    client named) and relays bytes both ways. `tls` makes it an https:// proxy (the client
    speaks TLS to the proxy itself); `intercept` makes it a TLS-inspecting proxy: it ends the
    client's TLS with a certificate for the requested host signed by that CA, and relays the
    plain text to `upstream`."""

    def __init__(
        self,
        upstream: int,
        *,
        tls: ssl.SSLContext | None = None,
        intercept: trustme.CA | None = None,
    ) -> None:
        self.upstream = upstream
        self.tls = tls
        self.intercept = intercept
        self.requests: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            stack.callback(conn.close)
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                    stack.callback(conn.close)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                self.requests.append(line)
                method, target, _ = line.split(" ", 2)
                if method != "CONNECT":
                    conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                    return
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
                stack.callback(upstream.close)
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if self.intercept is not None:
                    host = target.rpartition(":")[0]
                    conn = tls_context(self.intercept, host).wrap_socket(conn, server_side=True)
                    stack.callback(conn.close)
                _relay(conn, upstream)
            except (OSError, ValueError):
                return  # the client gave up (a refused certificate): nothing to relay


def _relay(a: socket.socket, b: socket.socket) -> None:
    """Both directions in one thread (an SSL socket must not be used by two at once)."""
    while True:
        ready = [s for s in (a, b) if isinstance(s, ssl.SSLSocket) and s.pending()]
        if not ready:
            ready, _, _ = select.select([a, b], [], [], DEADLINE)
            if not ready:
                return
        for source in ready:
            data = source.recv(65536)
            if not data:
                return
            (b if source is a else a).sendall(data)


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def bundle(authority: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "private-ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return path


# -- https_proxy ------------------------------------------------------------------------------


def test_https_proxy_tunnels_to_a_tls_server_with_connect(
    authority: trustme.CA, bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with http_server(tls=tls_context(authority, API_HOST)) as (port, seen):
        proxy = ConnectProxy(port)
        try:
            monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
            monkeypatch.setenv("https_proxy", proxy.url)
            with front_door_client() as client:
                answer = client.request("GET", f"https://{API_HOST}/v1/x", timeout=QUICK)
        finally:
            proxy.close()
    assert answer.status == 200 and answer.json() == {"ok": True}
    assert proxy.requests == [f"CONNECT {API_HOST}:443 HTTP/1.1"]
    assert seen == ["GET /v1/x HTTP/1.1"], "the server got the request through the tunnel"


def test_a_tls_inspecting_proxy_signed_by_a_private_ca_is_trusted_through_ssl_cert_file(
    authority: trustme.CA, bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy answers TLS for the API host itself, with a certificate from the private CA.
    with http_server() as (port, seen):
        proxy = ConnectProxy(port, intercept=authority)
        try:
            monkeypatch.setenv("https_proxy", proxy.url)
            with front_door_client() as client, pytest.raises(TransportError) as refused:
                client.request("GET", f"https://{API_HOST}/v1/x", timeout=QUICK)
            assert refused.value.kind == "tls" and seen == []
            monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
            with front_door_client() as client:
                answer = client.request("GET", f"https://{API_HOST}/v1/x", timeout=QUICK)
        finally:
            proxy.close()
    assert answer.status == 200
    assert proxy.requests == [f"CONNECT {API_HOST}:443 HTTP/1.1"] * 2
    assert seen == ["GET /v1/x HTTP/1.1"]


def test_an_https_proxy_whose_own_certificate_comes_from_a_private_ca(
    authority: trustme.CA, bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # https_proxy=https://...: the proxy's own certificate is checked against the same bundle.
    with http_server(tls=tls_context(authority, API_HOST)) as (port, seen):
        proxy = ConnectProxy(port, tls=tls_context(authority, "127.0.0.1"))
        try:
            monkeypatch.setenv("https_proxy", proxy.url)
            with front_door_client() as client, pytest.raises(TransportError) as refused:
                client.request("GET", f"https://{API_HOST}/v1/x", timeout=QUICK)
            assert refused.value.kind == "tls" and proxy.requests == []
            monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
            with front_door_client() as client:
                answer = client.request("GET", f"https://{API_HOST}/v1/x", timeout=QUICK)
        finally:
            proxy.close()
    assert answer.status == 200
    assert proxy.requests == [f"CONNECT {API_HOST}:443 HTTP/1.1"]
    assert seen == ["GET /v1/x HTTP/1.1"]


def test_the_upload_goes_through_https_proxy_too(
    authority: trustme.CA, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "context.tar.gz"
    archive.write_bytes(b"x" * 5000)
    with http_server(tls=tls_context(authority, "bucket.example.invalid")) as (port, seen):
        proxy = ConnectProxy(port)
        try:
            monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
            monkeypatch.setenv("https_proxy", proxy.url)
            ticket = UploadTicket("u1", "https://bucket.example.invalid/", [("key", "k")], 0.0)
            with front_door_client() as client:
                upload_archive(client, ticket, archive)
        finally:
            proxy.close()
    assert proxy.requests == ["CONNECT bucket.example.invalid:443 HTTP/1.1"]
    assert seen == ["POST / HTTP/1.1"]


# -- which CA bundle variable wins ------------------------------------------------------------


def test_the_ca_bundle_variables_in_their_documented_order() -> None:
    # CURL_CA_BUNDLE, then REQUESTS_CA_BUNDLE, then SSL_CERT_FILE; empty values do not count.
    every = {"CURL_CA_BUNDLE": "/c", "REQUESTS_CA_BUNDLE": "/r", "SSL_CERT_FILE": "/s"}
    assert ca_bundle_of(every) == "/c"
    assert ca_bundle_of({**every, "CURL_CA_BUNDLE": "  "}) == "/r"
    assert ca_bundle_of({"REQUESTS_CA_BUNDLE": "/r", "SSL_CERT_FILE": "/s"}) == "/r"
    assert ca_bundle_of({"SSL_CERT_FILE": " /s "}) == "/s"
    assert ca_bundle_of({"SSL_CERT_DIR": "/d"}) is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"),
        ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"),
        ("CURL_CA_BUNDLE", "SSL_CERT_FILE"),
    ],
)
def test_the_variable_that_comes_first_decides_which_ca_is_trusted(
    first: str,
    second: str,
    authority: trustme.CA,
    bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with http_server(tls=tls_context(authority, "127.0.0.1")) as (port, _):
        url = f"https://127.0.0.1:{port}/v1/x"
        monkeypatch.setenv(first, str(bundle))
        monkeypatch.setenv(second, str(other))
        with front_door_client() as client:
            assert client.request("GET", url, timeout=QUICK).status == 200
        monkeypatch.setenv(first, str(other))
        monkeypatch.setenv(second, str(bundle))
        with front_door_client() as client, pytest.raises(TransportError) as refused:
            client.request("GET", url, timeout=QUICK)
        assert refused.value.kind == "tls"


# -- the upload's idle limit ------------------------------------------------------------------


def test_the_upload_idle_limit_defaults_to_two_minutes_and_can_be_lowered() -> None:
    assert upload_timeout({}).idle == 120
    assert upload_timeout({UPLOAD_IDLE_ENV: "1"}).idle == 1
    for junk in ("", "0", "-3", "abc", "1.5", "100000"):
        assert upload_timeout({UPLOAD_IDLE_ENV: junk}).idle == 120
    assert upload_timeout({}).total is None, "an upload of any size may take as long as it needs"


def test_storage_that_stops_reading_fails_the_attempt_as_retryable_after_the_idle_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More than the loopback buffers hold, so the upload is stuck mid-body, not only waiting.
    # (libcurl judges speed over its last ~5 s, so a 1 s limit ends the attempt in ~6-7 s.)
    archive = tmp_path / "context.tar.gz"
    with archive.open("wb") as fh:
        fh.truncate(64 << 20)
    monkeypatch.setenv(UPLOAD_IDLE_ENV, "1")
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    ticket = UploadTicket("u1", f"http://127.0.0.1:{listener.getsockname()[1]}/", [], 0.0)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            with front_door_client() as client:
                upload_archive(client, ticket, archive, timeout=upload_timeout(os.environ))
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(DEADLINE)
    hung = worker.is_alive()
    listener.close()
    for conn in accepted:
        conn.close()  # lets a hung attempt end
    assert not hung, "the upload kept waiting on a storage that stopped reading"
    [failure] = outcome
    assert isinstance(failure, StorageError), failure
    assert failure.retryable
    assert str(failure).startswith("upload to storage failed:") and "curl error 28" in str(failure)
    assert accepted, "the storage accepted the connection"


# -- storage redirects ------------------------------------------------------------------------


def test_a_storage_redirect_is_not_followed_and_fails_the_upload_clearly(tmp_path: Path) -> None:
    archive = tmp_path / "context.tar.gz"
    archive.write_bytes(b"x" * 5000)
    with http_server() as (elsewhere, elsewhere_saw):
        target = f"http://127.0.0.1:{elsewhere}/other-bucket"
        with http_server(Redirector, target=target) as (storage, storage_saw):
            ticket = UploadTicket("u1", f"http://127.0.0.1:{storage}/", [("key", "k")], 0.0)
            with front_door_client() as client, pytest.raises(StorageError) as refused:
                upload_archive(client, ticket, archive)
    assert storage_saw == ["POST / HTTP/1.1"]
    assert elsewhere_saw == [], "the redirect was followed"
    assert not refused.value.retryable
    assert "storage refused the upload (HTTP 307" in str(refused.value)
