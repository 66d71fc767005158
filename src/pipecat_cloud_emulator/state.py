"""What the emulator remembers: uploads, builds and the requests it has seen."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .builds import BuildRecord

if TYPE_CHECKING:
    from .agents import AgentRecord
    from .deployments import Crash
    from .secret_sets import SecretSetRecord


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, for tests to inspect."""

    server: str  # "api", "storage", or "control" (the non-spec controls, api.CONTROL_ROUTES)
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    # Kept out of repr: a secret set's body holds values, and a failing test prints reprs.
    body: bytes = field(default=b"", repr=False)
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


@dataclass(frozen=True)
class DroppedFields:
    """Body fields the API dropped because the spec does not know them (as the real
    service does, silently); tests assert a client sent none."""

    method: str
    path: str
    fields: tuple[str, ...]


class EmulatorState:
    """Shared server-side records; hold `lock` while reading or changing them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.uploads: dict[str, Upload] = {}
        self.builds: list[BuildRecord] = []
        self.requests: list[RecordedRequest] = []
        self.agents: dict[str, AgentRecord] = {}
        self.secret_sets: dict[str, SecretSetRecord] = {}
        self.dropped_fields: list[DroppedFields] = []
        # agent name -> crashes to apply to its next deployments, in order
        self.crash_next: dict[str, list[Crash]] = {}
        # secret set name (None: any) -> how many more writes get 409 CONFLICT
        self.secret_conflicts: dict[str | None, int] = {}

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)
