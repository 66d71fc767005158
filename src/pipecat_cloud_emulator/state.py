"""What the emulator remembers: uploads, builds and the requests it has seen."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .builds import BuildRecord


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, for tests to inspect."""

    server: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    form_fields: list[tuple[str, str]] = field(default_factory=list)
    file_size: int | None = None
    status: int | str = 0
    # The answer as sent (body and Content-Type), and the fault kind if one was injected
    # into it: the contract tests hold every genuine answer against the OpenAPI spec.
    answer: bytes | None = None
    answer_type: str | None = None
    fault: str | None = None


@dataclass
class Upload:
    """An issued upload URL and, once received, the object stored under it."""

    id: str
    region: str
    key: str
    expires: float
    md5: str | None = None
    size: int | None = None
    path: str | None = None


class EmulatorState:
    """Shared server-side records; hold `lock` while reading or changing them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.uploads: dict[str, Upload] = {}
        self.builds: list[BuildRecord] = []
        self.requests: list[RecordedRequest] = []

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)
