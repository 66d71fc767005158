"""The two HTTP clients a run uses: one for the API (whose requests carry the key), one for
storage (whose requests never do). Both verify TLS, honour the proxy variables and never read
`.netrc` (see http_transport)."""

from __future__ import annotations

from .http_transport import HttpClient


def api_session() -> HttpClient:
    return HttpClient()


def storage_session() -> HttpClient:
    return HttpClient()
