"""HTTP over libcurl (pycurl): the API's JSON calls and the storage upload.

Why libcurl rather than requests: it imports in about a fifth of the time (the action pays its
imports on every run, cache hits included), and its multipart form streams the archive from
disk inside C, so an upload runs at `curl -F` speed. Proxy variables (`https_proxy`,
`no_proxy`, ...) are honoured by libcurl itself; `.netrc` never is, redirects are never
followed, and only http and https are spoken. One curl handle per thread keeps connections
alive between calls; handles are not shared across threads.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import pycurl

from .. import __version__

MAX_ANSWER_BYTES = 64 << 20  # an API or storage answer larger than this is not one of theirs
UPLOAD_BUFFER = 1 << 20  # bytes per socket write: fewer, larger writes for big archives
# Where people point TLS clients at their own CA bundle (curl's, requests', OpenSSL's names).
CA_BUNDLE_VARIABLES = ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")

# What a user behind a TLS-inspecting proxy or with a private CA does about a TLS failure.
TLS_HINT = (
    "if a proxy or private CA signs its certificate, point SSL_CERT_FILE at a bundle that "
    "holds that CA"
)
FailureKind = Literal["connect", "timeout", "broken", "tls", "refused-answer"]

_CONNECT_CODES = {
    pycurl.E_COULDNT_RESOLVE_HOST,
    pycurl.E_COULDNT_RESOLVE_PROXY,
    pycurl.E_COULDNT_CONNECT,
}
_TLS_CODES = {
    pycurl.E_SSL_CONNECT_ERROR,
    pycurl.E_PEER_FAILED_VERIFICATION,
    pycurl.E_SSL_CACERT_BADFILE,
    pycurl.E_SSL_CERTPROBLEM,
    pycurl.E_SSL_CIPHER,
    pycurl.E_SSL_ENGINE_NOTFOUND,
}


class TransportError(Exception):
    """No (complete) answer arrived. `sent` says the request left this machine, so the server
    may have acted on it; `kind` says what went wrong, for the caller's retry decision."""

    def __init__(self, message: str, *, kind: FailureKind, sent: bool) -> None:
        super().__init__(message)
        self.kind = kind
        self.sent = sent


@dataclass(frozen=True)
class HttpResponse:
    status: int
    reason: str
    headers: Mapping[str, str]  # names in lower case; a repeated header keeps its last value
    content: bytes

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not."""
        return json.loads(self.content)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class Timeouts:
    """`connect` bounds the TCP and TLS handshakes. `total` bounds a whole exchange, handshakes
    included (API calls, whose answers are small); `idle` instead aborts a transfer that moved
    no byte for that long (uploads of any size)."""

    connect: float
    total: float | None = None
    idle: int | None = None


@dataclass(frozen=True)
class FileField:
    """The file part of a multipart form: libcurl reads it from disk as it sends."""

    name: str
    path: Path
    filename: str
    content_type: str


class _Answer:
    """Collects what libcurl hands the callbacks; a 100 Continue's headers are dropped."""

    def __init__(self) -> None:
        self.status_line = ""
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self.size = 0

    def on_header(self, raw: bytes) -> None:
        line = raw.decode("latin-1").rstrip("\r\n")
        if line.startswith("HTTP/"):
            self.status_line, self.headers = line, {}
        elif ":" in line:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def on_body(self, data: bytes) -> int | None:
        self.size += len(data)
        if self.size > MAX_ANSWER_BYTES:
            return 0  # libcurl ends the transfer with a write error
        self.chunks.append(data)
        return None

    def response(self, status: int) -> HttpResponse:
        parts = self.status_line.split(" ", 2)
        reason = parts[2] if len(parts) == 3 else ""
        return HttpResponse(status, reason, dict(self.headers), b"".join(self.chunks))


def ca_bundle(environ: Mapping[str, str]) -> str | None:
    """A CA bundle the user named, else None: libcurl then uses the system's store. When
    several are set, the first non-blank one of CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE,
    SSL_CERT_FILE wins. It is trusted for the API, storage and an https:// proxy."""
    for name in CA_BUNDLE_VARIABLES:
        path = environ.get(name, "").strip()
        if path:
            return path
    return None


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (localhost, 127.0.0.0/8, ::1): the only hosts that
    plain http may reach, since nothing of the request leaves the machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_allowed(url: str) -> bool:
    """https, or plain http to a loopback host; nothing else may carry a key or an upload."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback(parts.hostname or "")


class HttpClient:
    """A small session: fixed User-Agent, per-call headers, no cookies, no credentials of its
    own. Use it as a context manager (or call close) to release the connections."""

    def __init__(
        self, user_agent: str = f"pipecat-build/{__version__}", *, ca_bundle: str | None = None
    ) -> None:
        """`ca_bundle`: a PEM file trusted instead of the system's store (see `ca_bundle()`)."""
        self._user_agent = user_agent
        self._local = threading.local()
        self._handles: list[pycurl.Curl] = []
        self._lock = threading.Lock()
        self._ca_bundle = ca_bundle

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
            self._local = threading.local()  # a later call starts a new handle
        for handle in handles:
            handle.close()

    # -- the two kinds of exchange ------------------------------------------------------------

    def request(
        self,
        method: Literal["GET", "POST", "PUT", "DELETE"],
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        timeout: Timeouts,
    ) -> HttpResponse:
        """One exchange with a small body (JSON) or none."""
        lines = _header_lines(headers)
        bodyless = method in ("GET", "DELETE")
        if not bodyless:
            lines.append(_JSON_TYPE)
        handle = self._handle(url + ("?" + urlencode(params) if params else ""), timeout, lines)
        if not bodyless:
            # libcurl silently sends a request again when a reused connection closes before any
            # answer; for a POST (a build's creation) that could act twice, so use a new one.
            handle.setopt(pycurl.FRESH_CONNECT, 1)
            handle.setopt(pycurl.POSTFIELDS, b"" if json is None else _json_bytes(json))
            if method == "PUT":
                handle.setopt(pycurl.CUSTOMREQUEST, "PUT")
        else:
            handle.setopt(pycurl.HTTPGET, 1)
            if method == "DELETE":  # idempotent, no body: a reused connection is fine
                handle.setopt(pycurl.CUSTOMREQUEST, "DELETE")
        return self._perform(handle)

    def post_form(
        self,
        url: str,
        fields: Sequence[tuple[str, str]],
        file: FileField,
        *,
        timeout: Timeouts,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> HttpResponse:
        """A multipart/form-data POST: the fields in order, then the file, streamed from disk."""
        # No `Expect: 100-continue` round trip: storage reads the whole form before judging it.
        handle = self._handle(url, timeout, ["Expect:"])
        form = pycurl.CurlMime(handle)
        for name, value in fields:
            form.add_field(name, value)
        form.add_file(file.name, str(file.path), file.filename, file.content_type)
        handle.setopt(pycurl.MIMEPOST, form)
        handle.setopt(pycurl.UPLOAD_BUFFERSIZE, UPLOAD_BUFFER)
        if on_progress is not None:
            handle.setopt(pycurl.XFERINFOFUNCTION, _upload_progress(on_progress))
        return self._perform(handle)

    # -- plumbing -----------------------------------------------------------------------------

    def _handle(self, url: str, timeout: Timeouts, header_lines: list[str]) -> pycurl.Curl:
        handle: pycurl.Curl | None = getattr(self._local, "handle", None)
        if handle is None:
            handle = pycurl.Curl()
            self._local.handle = handle
            with self._lock:
                self._handles.append(handle)
        else:
            handle.reset()  # options go; the connection cache stays
        handle.setopt(pycurl.URL, url)
        if url[:7].lower() == "http://":
            # Plain http reaches loopback only (api-url, the emulator): a proxy from
            # http_proxy would receive the request, Authorization header included, in clear.
            handle.setopt(pycurl.NOPROXY, "*")
        handle.setopt(pycurl.USERAGENT, self._user_agent)
        handle.setopt(pycurl.HTTPHEADER, header_lines)
        handle.setopt(pycurl.NOSIGNAL, 1)  # threads: no SIGALRM for name look-ups
        handle.setopt(pycurl.FOLLOWLOCATION, 0)
        handle.setopt(pycurl.NETRC, pycurl.NETRC_IGNORED)
        handle.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        handle.setopt(pycurl.SSL_VERIFYPEER, 1)  # explicit: no path may turn checks off
        handle.setopt(pycurl.SSL_VERIFYHOST, 2)
        handle.setopt(pycurl.PROXY_SSL_VERIFYPEER, 1)  # an https:// proxy's certificate too
        handle.setopt(pycurl.PROXY_SSL_VERIFYHOST, 2)
        if self._ca_bundle:
            handle.setopt(pycurl.CAINFO, self._ca_bundle)
            # libcurl checks an https:// proxy against its own CA setting, not CAINFO: the
            # bundle the user named must vouch for the proxy as well (a corporate proxy).
            handle.setopt(pycurl.PROXY_CAINFO, self._ca_bundle)
        handle.setopt(pycurl.CONNECTTIMEOUT_MS, _ms(timeout.connect))
        if timeout.total is not None:
            handle.setopt(pycurl.TIMEOUT_MS, _ms(timeout.total))
        if timeout.idle is not None:
            handle.setopt(pycurl.LOW_SPEED_LIMIT, 1)
            handle.setopt(pycurl.LOW_SPEED_TIME, timeout.idle)
        # Progress calls give Python a moment every second or so: a SIGINT/SIGTERM handler
        # runs there (raising out of perform) instead of after the transfer.
        handle.setopt(pycurl.NOPROGRESS, 0)
        handle.setopt(pycurl.XFERINFOFUNCTION, _keep_going)
        return handle

    def _perform(self, handle: pycurl.Curl) -> HttpResponse:
        answer = _Answer()
        handle.setopt(pycurl.HEADERFUNCTION, answer.on_header)
        handle.setopt(pycurl.WRITEFUNCTION, answer.on_body)
        try:
            handle.perform()
        except pycurl.error as exc:
            details: tuple[Any, ...] = tuple(exc.args)
            raise _failure(int(details[0]), str(details[-1]), handle) from None
        return answer.response(int(handle.getinfo(pycurl.RESPONSE_CODE)))


_JSON_TYPE = "Content-Type: application/json"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _header_lines(headers: Mapping[str, str] | None) -> list[str]:
    return [f"{name}: {value}" for name, value in (headers or {}).items()]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _keep_going(download_total: int, downloaded: int, upload_total: int, uploaded: int) -> int:
    return 0


def _upload_progress(report: Callable[[int, int], None]) -> Callable[[int, int, int, int], int]:
    def progress(download_total: int, downloaded: int, upload_total: int, uploaded: int) -> int:
        if upload_total:
            report(uploaded, upload_total)
        return 0

    return progress


def _failure(code: int, message: str, handle: pycurl.Curl) -> TransportError:
    sent = code not in _CONNECT_CODES and int(handle.getinfo(pycurl.REQUEST_SIZE)) > 0
    if code in _CONNECT_CODES:
        kind: FailureKind = "connect"
    elif code == pycurl.E_OPERATION_TIMEDOUT:
        kind = "timeout"
    elif code in _TLS_CODES:
        kind = "tls"
    elif code == pycurl.E_WRITE_ERROR:
        kind = "refused-answer"
        message = f"the answer exceeded {MAX_ANSWER_BYTES >> 20} MiB"
    else:
        kind = "broken"
    return TransportError(f"{message} (curl error {code})", kind=kind, sent=sent)
