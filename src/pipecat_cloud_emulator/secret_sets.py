"""A secret set: names visible, values never rendered, provisioning `pending` -> `ready`."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SecretSetRecord:
    """Server-side set. `values` is kept out of repr so a failing test never prints it."""

    name: str
    kind: str  # "secret" or "imagePullSecret"
    region: str
    ready_at: float
    values: dict[str, str] = field(default_factory=dict, repr=False)
    host: str | None = None
    error_message: str | None = None

    def status(self, now: float) -> str:
        if self.error_message is not None:
            return "failed"
        return "pending" if now < self.ready_at else "ready"

    def render(self, now: float) -> dict[str, Any]:
        """The GET /v1/secrets/{set} answer: names only."""
        body: dict[str, Any] = {
            "region": self.region,
            "status": self.status(now),
            "secrets": [{"fieldName": name} for name in self.values],
        }
        if self.error_message is not None:
            body["errorMessage"] = self.error_message
        return body

    def summary(self, now: float) -> dict[str, Any]:
        """SecretSetSummary, as GET /v1/secrets lists it."""
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.kind,
            "region": self.region,
            "status": self.status(now),
        }
        if self.error_message is not None:
            body["errorMessage"] = self.error_message
        return body

    def holds(self, key: str, value: str) -> bool:
        """Whether `key` is set to `value`, compared without exposing the stored value."""
        stored = self.values.get(key)
        return stored is not None and hmac.compare_digest(stored.encode(), value.encode())
