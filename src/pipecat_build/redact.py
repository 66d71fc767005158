"""One place that keeps secrets out of text a person or another host will see, and makes any
text printable (file names that are not UTF-8 arrive with lone surrogates)."""

from __future__ import annotations

import re
import threading

MIN_REDACTED = 4  # shorter values would garble ordinary text; the runner still masks them
_SURROGATE = re.compile("[\udc80-\udcff]")


def printable(text: str) -> str:
    """Undecodable bytes (surrogate-escaped) shown as `\\xNN`, never an encoding error."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


class Redactor:
    """Replaces every registered secret with `***`; thread-safe, longest secret first."""

    def __init__(self) -> None:
        self._secrets: list[str] = []
        self._lock = threading.Lock()

    def add(self, secret: str) -> list[str]:
        """Registers a secret (each line of it); returns the lines the runner should mask."""
        parts = [p.strip() for p in secret.splitlines() if p.strip()]
        with self._lock:
            for part in parts:
                if len(part) >= MIN_REDACTED and part not in self._secrets:
                    self._secrets.append(part)
            self._secrets.sort(key=len, reverse=True)
        return parts

    def __call__(self, text: str) -> str:
        text = printable(text)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text
