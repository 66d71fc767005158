"""The Pipecat Cloud build API over HTTP: timeouts on every call, retries for idempotent ones.

The session is passed in (tests and the CLI bring their own). The key travels only in the
`Authorization` header of requests to the API host; redirects are never followed, so it cannot
reach another host, and no message built here ever contains it.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .errors import ActionError, InputError
from .http_transport import TLS_HINT, HttpClient, HttpResponse, Timeouts, TransportError
from .retry_policy import RetryPolicy, is_retryable_status, parse_retry_after

API_TIMEOUT = (10.0, 30.0)  # connect, whole call (seconds)
LOG_LIMIT = 10_000  # the endpoint's maximum: a whole log up to this size fits one answer
API_ATTEMPTS = 8  # with full jitter these fit well inside the policy's 120 s deadline
BASE_DELAY = 0.5
TIMEOUT_ENV = "PIPECAT_BUILD_HTTP_TIMEOUT"  # time limit of one API call, seconds
BASE_DELAY_ENV = "PIPECAT_BUILD_RETRY_BASE_DELAY"  # first backoff ceiling, seconds
# Statuses a gateway sends while the service behind it may still be working on the request.
_MAYBE_STILL_PROCESSING = frozenset({502, 504})


def _env_seconds(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    """A positive number of seconds from the environment; anything else means the default."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if 0 < value < 3600 else default


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: the RFC's integer or HTTP-date, and also a decimal number
    (some services and proxies send "0.5"); None when absent or unusable."""
    text = (value or "").strip()
    try:
        seconds = float(text)
    except ValueError:
        return parse_retry_after(value, datetime.now(UTC))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def api_timeout(environ: Mapping[str, str] | None = None) -> tuple[float, float]:
    """Connect timeout and time limit of API calls; the limit can be lowered (tests) or raised
    (slow links) with PIPECAT_BUILD_HTTP_TIMEOUT."""
    return API_TIMEOUT[0], _env_seconds(TIMEOUT_ENV, API_TIMEOUT[1], environ)


def api_retry_policy(environ: Mapping[str, str] | None = None) -> RetryPolicy:
    """The production policy, except that PIPECAT_BUILD_RETRY_BASE_DELAY may shorten the
    first backoff (tests inject hundreds of faults and must not sleep for real)."""
    base = min(_env_seconds(BASE_DELAY_ENV, BASE_DELAY, environ), 20.0)
    return RetryPolicy(max_attempts=API_ATTEMPTS, base_delay=base, max_delay=20.0)


class ApiError(ActionError):
    """The API answered with an error we cannot recover from."""

    def __init__(self, message: str, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AnswerLost(ActionError):
    """A request may have been processed but its answer never arrived (5xx, reset, timeout).

    `maybe_pending` says the service may still be working on it (a timeout, or a gateway's
    502/504), so the result can appear a while later.
    """

    def __init__(self, message: str, *, maybe_pending: bool = False) -> None:
        super().__init__(message)
        self.maybe_pending = maybe_pending


@dataclass(frozen=True)
class UploadTicket:
    upload_id: str
    url: str
    fields: list[tuple[str, str]]  # in the order the API gave them
    expires_at: float  # epoch seconds
    received_at: float = field(default_factory=time.time)  # with expires_at: its lifetime

    def seconds_left(self) -> float:
        return self.expires_at - time.time()

    @property
    def lifetime(self) -> float:
        return max(0.0, self.expires_at - self.received_at)


@dataclass(frozen=True)
class CreateAnswer:
    build: dict[str, Any]
    context_hash: str
    cached: bool


def _describe(exc: TransportError) -> str:
    return {"connect": "no connection", "timeout": "timed out"}.get(exc.kind, str(exc))


def _iso_to_epoch(value: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return time.time() + 600  # unknown expiry: assume the documented 15 minutes, minus margin


class PipecatApi:
    def __init__(
        self,
        session: HttpClient,
        base_url: str,
        api_key: str,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        on_retry: Callable[[str], None] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._key = api_key
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.policy = policy or api_retry_policy()
        # Log lines are a nicety: a failed fetch is tried once more, then the next poll comes.
        self._log_policy = RetryPolicy(
            max_attempts=2,
            base_delay=self.policy.base_delay,
            max_delay=self.policy.max_delay,
            total_deadline=self.policy.total_deadline,
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._on_retry = on_retry or (lambda message: None)
        self.timeout = timeout or api_timeout()
        self.request_count = 0

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, method: Literal["GET", "POST"], path: str, **kwargs: Any) -> HttpResponse:
        self.request_count += 1
        connect, read = self.timeout
        return self._session.request(
            method,
            self._base + path,
            headers=self._headers,
            timeout=Timeouts(connect=connect, total=read),
            **kwargs,
        )

    @staticmethod
    def _decode(response: HttpResponse, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            kind = response.header("Content-Type", "unknown type")
            raise ApiError(
                f"Pipecat Cloud answered {what} with a body that is not JSON "
                f"(HTTP {response.status}, {kind}, {len(response.content)} bytes); "
                "check api-url, or retry later",
                response.status,
            ) from None
        if not isinstance(body, dict):
            raise ApiError(f"Pipecat Cloud answered {what} with unexpected JSON", response.status)
        return body

    def _tls_error(self, exc: TransportError) -> ActionError:
        """A certificate problem does not heal by retrying; say how people fix it."""
        return InputError("api-url", f"TLS with {self._base} failed ({exc}); {TLS_HINT}")

    def _redact(self, text: str) -> str:
        """Server-supplied text is shown to the user; a server echoing the key must not leak it."""
        return text.replace(self._key, "***") if self._key else text

    def _error(self, response: HttpResponse, what: str) -> ActionError:
        message, code = "", ""
        try:
            body = response.json()
            if isinstance(body, dict):
                message, code = str(body.get("error", "")), str(body.get("code", ""))
        except ValueError:
            pass
        detail = self._redact(message or response.reason or "no details")
        code = self._redact(code)
        status = response.status
        if status == 401:
            return InputError(
                "api-key", f"rejected by Pipecat Cloud (401: {detail}); check the key"
            )
        if status == 403:
            return InputError("api-key", f"not allowed to {what} (403: {detail})")
        if 300 <= status < 400:
            where = self._redact(response.header("Location", "?"))
            return ApiError(
                f"{what}: unexpected redirect ({status}) to {where}; check api-url", status
            )
        return ApiError(
            f"{what} failed (HTTP {status}{', ' + code if code else ''}): {detail}", status, code
        )

    def _call(
        self,
        method: Literal["GET", "POST"],
        path: str,
        what: str,
        policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Idempotent call: retried on 429, 5xx, timeouts, resets and garbled answers."""
        policy = policy or self.policy
        deadline = policy.deadline()
        for attempt in policy.attempts():
            retry_after: float | None = None
            try:
                response = self._send(method, path, **kwargs)
                if response.status < 300:
                    return self._decode(response, what)
                if not is_retryable_status(response.status):
                    raise self._error(response, what)
                retry_after = retry_after_seconds(response.header("Retry-After") or None)
                problem = f"HTTP {response.status}"
                failure: ActionError = self._error(response, what)
            except TransportError as exc:
                if exc.kind == "tls":
                    raise self._tls_error(exc) from None
                problem = _describe(exc)
                failure = ApiError(
                    f"{what}: no answer from {self._base} ({problem}); check api-url or retry later"
                )
            except ApiError as exc:
                if exc.status is None or exc.status >= 300:
                    raise
                problem, failure = "garbled answer", exc
            decision = policy.plan(
                attempt, retryable=True, retry_after=retry_after, deadline=deadline, rng=self._rng
            )
            if not decision.retry:
                raise failure
            self._on_retry(f"{what}: {problem}; retrying in {decision.delay:.1f}s")
            self._sleep(decision.delay)
        raise AssertionError("unreachable: the policy ends the loop")

    # -- endpoints --------------------------------------------------------------------------

    def default_region(self) -> str:
        body = self._call("GET", "/v1/properties", "read the organization's default region")
        region = body.get("properties", {}).get("defaultRegion")
        if not isinstance(region, str) or not region:
            raise InputError(
                "region", "is empty and the organization has no default region; set it"
            )
        return region

    def find_builds(
        self, context_hash: str, region: str, status: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {
            "contextHash": context_hash,
            "region": region,
            "limit": limit,
        }
        if status:
            params["status"] = status
        body = self._call("GET", "/v1/builds", "list builds", params=params)
        builds = body.get("builds", [])
        return [b for b in builds if isinstance(b, dict)] if isinstance(builds, list) else []

    def request_upload(self, region: str) -> UploadTicket:
        try:
            body = self._call(
                "POST", "/v1/builds/upload-url", "get an upload URL", json={"region": region}
            )
        except ApiError as exc:
            if exc.status == 400:
                detail = str(exc).split(": ", 1)[-1]
                raise InputError(
                    "region", f"'{region}' refused by Pipecat Cloud: {detail}"
                ) from None
            raise
        fields = body.get("uploadFields")
        if not isinstance(fields, Mapping) or not isinstance(body.get("uploadUrl"), str):
            raise ApiError("the upload-url answer has no uploadUrl/uploadFields")
        return UploadTicket(
            upload_id=str(body.get("uploadId", "")),
            url=body["uploadUrl"],
            fields=[(str(k), str(v)) for k, v in fields.items()],
            expires_at=_iso_to_epoch(str(body.get("expiresAt", ""))),
        )

    def create_build(self, upload_id: str, region: str, dockerfile: str) -> CreateAnswer:
        """Not idempotent: one attempt; a lost answer raises AnswerLost, for the caller to
        reconcile by looking for the build before trying again."""
        what = "create the build"
        try:
            response = self._send(
                "POST",
                "/v1/builds",
                json={"uploadId": upload_id, "region": region, "dockerfilePath": dockerfile},
            )
        except TransportError as exc:
            if exc.kind == "tls":
                raise self._tls_error(exc) from None
            if exc.kind == "timeout" and exc.sent:
                raise AnswerLost(
                    f"{what}: no answer within {self.timeout[1]:g}s", maybe_pending=True
                ) from None
            raise AnswerLost(f"{what}: the answer was lost ({_describe(exc)})") from None
        if response.status >= 500 or response.status == 429:
            raise AnswerLost(
                f"{what}: HTTP {response.status}",
                maybe_pending=response.status in _MAYBE_STILL_PROCESSING,
            )
        if response.status >= 300:
            raise self._error(response, what)
        try:
            body = self._decode(response, what)
        except ApiError:
            raise AnswerLost(f"{what}: the answer was garbled") from None
        build = body.get("build")
        if not isinstance(build, dict) or not build.get("id"):
            raise AnswerLost(f"{what}: the answer holds no build")
        return CreateAnswer(build, str(body.get("contextHash", "")), bool(body.get("cached")))

    def get_build(self, build_id: str) -> dict[str, Any]:
        body = self._call("GET", f"/v1/builds/{build_id}", f"read build {build_id}")
        build = body.get("build")
        if not isinstance(build, dict):
            raise ApiError(f"read build {build_id}: the answer holds no build")
        return build

    def get_logs(self, build_id: str, limit: int = LOG_LIMIT) -> tuple[list[str], bool]:
        """The current log window and whether the server left lines out (nextToken)."""
        body = self._call(
            "GET",
            f"/v1/builds/{build_id}/logs",
            f"read logs of build {build_id}",
            self._log_policy,
            params={"limit": limit},
        )
        logs = body.get("logs", [])
        lines = [str(line) for line in logs] if isinstance(logs, list) else []
        return lines, bool(body.get("nextToken"))
