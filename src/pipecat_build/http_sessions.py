"""The two HTTP sessions a run uses: one for the API (whose requests carry the key), one for
storage (whose requests never do). TLS verification stays on for both; proxy settings from
the environment are honoured, but `.netrc` credentials never are (requests would otherwise
put them in an Authorization header, even to the storage host)."""

from __future__ import annotations

import requests
from requests.auth import AuthBase

from .upload import storage_session as _storage_session


class _NoNetrc(AuthBase):
    """A session-level auth that adds nothing, so requests never consults .netrc."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def _identify(session: requests.Session) -> requests.Session:
    session.verify = True  # explicit: no code path may turn certificate checks off
    session.auth = _NoNetrc()
    session.headers["User-Agent"] = "pipecat-cloud-build-action"
    return session


def api_session() -> requests.Session:
    return _identify(requests.Session())


def storage_session() -> requests.Session:
    return _identify(_storage_session())
