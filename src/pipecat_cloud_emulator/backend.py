"""What the HTTP handlers may ask of the emulator: a narrow interface, nothing more.

Handlers parse HTTP and apply faults; everything else (state, config, rules) stays behind
these protocols, so a handler cannot grow a dependency on an emulator internal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .config import Fault
from .state import RecordedRequest


@dataclass(frozen=True)
class ApiCall:
    """One API request, reduced to what an operation reads."""

    params: dict[str, str]
    query: dict[str, list[str]]
    body: bytes
    host: str | None
    method: str = ""
    path: str = ""


@dataclass(frozen=True)
class ApiAnswer:
    """An operation's result; the handler turns it into JSON."""

    status: int
    payload: Any


class HandlerBackend(Protocol):
    """What both servers need: recording, faults, and the stop signal."""

    @property
    def verbose(self) -> bool: ...

    def record(self, request: RecordedRequest) -> None: ...

    def take_fault(self, endpoint: str) -> Fault | None: ...

    def wait_stopped(self, seconds: float) -> bool:
        """Wait up to `seconds`; True when the emulator stopped meanwhile."""
        ...

    def redirect_location(self, path: str) -> str:
        """Where a `redirect` fault sends a request for `path`."""
        ...


class ApiBackend(HandlerBackend, Protocol):
    """The API server: key check and the operations behind its routes."""

    def authorized(self, token: str) -> bool: ...

    def call(self, action: str, call: ApiCall) -> ApiAnswer:
        """Run the operation named by a route; raises ApiError for an error answer."""
        ...

    def control(self, action: str, call: ApiCall) -> ApiAnswer:
        """Run a non-spec control (api.CONTROL_ROUTES); raises ApiError for an error answer."""
        ...


class StorageBackend(HandlerBackend, Protocol):
    """The storage server: where objects go and whether a form may store one."""

    @property
    def bucket_path(self) -> str: ...

    def incoming_path(self) -> str | None:
        """A fresh file to spool an arriving object into, or None to keep only its digest."""
        ...

    def accept_object(
        self, fields: Sequence[tuple[str, str]], spool_path: str | None, md5: str, size: int
    ) -> str:
        """Check the form, keep the object; returns its Location. Raises S3Error."""
        ...
