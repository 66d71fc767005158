"""The API's plumbing: the key in one header to one host, a time limit on every call, and
idempotent calls retried under the run's one retry rule (`retry_policy.retry`).

Redirects are never followed, so the key cannot reach another host, and no message built here
ever contains it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import quote

from ..errors import ActionError, InputError
from ..retry_policy import (
    RetryPolicy,
    Transient,
    budget_policy,
    is_retryable_status,
    retry,
    retry_after_seconds,
)
from .transport import TLS_HINT, HttpClient, HttpResponse, Timeouts, TransportError

API_TIMEOUT = (10.0, 30.0)  # connect, whole call (seconds)
TIMEOUT_ENV = "PIPECAT_BUILD_HTTP_TIMEOUT"  # time limit of one API call, seconds
# Statuses a gateway sends while the service behind it may still be working on the request.
MAYBE_STILL_PROCESSING = frozenset({502, 504})
Method = Literal["GET", "POST", "PUT", "DELETE"]
GARBLED_ATTEMPTS = 6
# Before the host has answered once, "cannot connect" most likely means a wrong api-url or
# network, not an outage of a service that was up: a few tries, not the whole budget.
UNREACHED_ATTEMPTS = 6


def api_timeout(environ: Mapping[str, str]) -> tuple[float, float]:
    """Connect timeout and time limit of API calls; the limit can be lowered (tests) or raised
    (slow links) with PIPECAT_BUILD_HTTP_TIMEOUT."""
    raw = environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    return API_TIMEOUT[0], value if 0 < value < 3600 else API_TIMEOUT[1]



def segment(value: str) -> str:
    """One path segment: every character that could end it or start a query is escaped, so a
    name such as `../agents/victim` stays a name (`..%2Fagents%2Fvictim`); `.` and `..`,
    which a URL parser would resolve as dot segments, are escaped too."""
    if not value:
        raise ValueError("an empty path segment")
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


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


def describe(exc: TransportError) -> str:
    return {"connect": "no connection", "timeout": "timed out"}.get(exc.kind, str(exc))


class ApiConnection:
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
        self.base = base_url.rstrip("/")
        self._key = api_key
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.policy = policy or budget_policy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.on_retry = on_retry or (lambda message: None)
        self.timeout = timeout or API_TIMEOUT
        self.reached = False  # the host has answered at least once

    def send(self, method: Method, path: str, **kwargs: Any) -> HttpResponse:
        connect, read = self.timeout
        response = self._session.request(
            method,
            self.base + path,
            headers=self._headers,
            timeout=Timeouts(connect=connect, total=read),
            **kwargs,
        )
        self.reached = True
        return response

    @staticmethod
    def decode(response: HttpResponse, what: str) -> dict[str, Any]:
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

    def tls_error(self, exc: TransportError) -> ActionError:
        """A certificate problem does not heal by retrying; say how people fix it."""
        return InputError("api-url", f"TLS with {self.base} failed ({exc}); {TLS_HINT}")

    def redact(self, text: str) -> str:
        """Server-supplied text is shown to the user; a server echoing the key must not leak it."""
        return text.replace(self._key, "***") if self._key else text

    def error(self, response: HttpResponse, what: str) -> ActionError:
        message, code = "", ""
        try:
            body = response.json()
            if isinstance(body, dict):
                message, code = str(body.get("error", "")), str(body.get("code", ""))
        except ValueError:
            pass
        detail = self.redact(message or response.reason or "no details")
        code = self.redact(code)
        status = response.status
        if status == 401:
            return InputError(
                "api-key", f"rejected by Pipecat Cloud (401: {detail}); check the key"
            )
        if status == 403:
            return InputError("api-key", f"not allowed to {what} (403: {detail})")
        if 300 <= status < 400:
            where = self.redact(response.header("Location", "?"))
            return ApiError(
                f"{what}: unexpected redirect ({status}) to {where}; check api-url", status
            )
        return ApiError(
            f"{what} failed (HTTP {status}{', ' + code if code else ''}): {detail}", status, code
        )

    def attempt(
        self,
        method: Method,
        path: str,
        what: str,
        retry_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> dict[str, Any]:
        """One try of an idempotent call; `Transient` for what may heal."""
        try:
            response = self.send(method, path, **kwargs)
        except TransportError as exc:
            if exc.kind == "tls":
                raise self.tls_error(exc) from None
            failure = ApiError(
                f"{what}: no answer from {self.base} ({describe(exc)}); check api-url or "
                "retry later"
            )
            raise Transient(failure, describe(exc)) from None
        if response.status >= 300:
            refused = self.error(response, what)
            if is_retryable_status(response.status) or response.status in retry_statuses:
                after = retry_after_seconds(response.header("Retry-After") or None)
                raise Transient(refused, f"HTTP {response.status}", after)
            raise refused
        try:
            return self.decode(response, what)
        except ApiError as exc:
            raise Transient(exc, "garbled answer") from None

    def call(
        self,
        method: Method,
        path: str,
        what: str,
        policy: RetryPolicy | None = None,
        retry_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Idempotent call: retried on 429, 5xx, timeouts, resets and garbled answers (and on
        `retry_statuses` where the endpoint says so, e.g. 409 while a set is modified)."""
        garbled = unreached = 0

        def attempt() -> dict[str, Any]:
            nonlocal garbled, unreached
            try:
                return self.attempt(method, path, what, retry_statuses, **kwargs)
            except Transient as transient:
                if transient.problem == "no connection" and not self.reached:
                    unreached += 1
                    if unreached >= UNREACHED_ATTEMPTS:
                        raise transient.failure from None
                # An answer that is not JSON again and again is a wrong api-url (a web page),
                # not an outage: a few tries, not the whole budget.
                if transient.problem == "garbled answer":
                    garbled += 1
                    if garbled >= GARBLED_ATTEMPTS:
                        raise transient.failure from None
                raise

        return retry(
            attempt,
            what=what,
            policy=policy or self.policy,
            wait=self.sleep,
            rng=self.rng,
            on_retry=self.on_retry,
        )

    def send_once(
        self, method: Method, path: str, what: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """A call that is not idempotent: one attempt; a lost answer raises AnswerLost for the
        caller to reconcile (look before trying again)."""
        try:
            response = self.send(method, path, json=body)
        except TransportError as exc:
            if exc.kind == "tls":
                raise self.tls_error(exc) from None
            if exc.kind == "timeout" and exc.sent:
                raise AnswerLost(
                    f"{what}: no answer within {self.timeout[1]:g}s", maybe_pending=True
                ) from None
            raise AnswerLost(f"{what}: the answer was lost ({describe(exc)})") from None
        if response.status >= 500 or response.status == 429:
            raise AnswerLost(
                f"{what}: HTTP {response.status}",
                maybe_pending=response.status in MAYBE_STILL_PROCESSING,
            )
        if response.status >= 300:
            raise self.error(response, what)
        try:
            return self.decode(response, what)
        except ApiError:
            raise AnswerLost(f"{what}: the answer was garbled") from None
