"""One place that keeps secrets out of text a person or another host will see, and makes any
text printable (file names that are not UTF-8 arrive with lone surrogates)."""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from urllib.parse import quote, quote_plus

MIN_REDACTED = 4  # shorter values are masked only where they stand alone (see Redactor)
_SURROGATE = re.compile("[\udc80-\udcff]")


def printable(text: str) -> str:
    """Undecodable bytes (surrogate-escaped) shown as `\\xNN`, never an encoding error."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def encoded_forms(secret: str) -> set[str]:
    """The ways a secret shows up in text besides itself, as GitHub's runner masks them (its
    `ValueEncoders`: base64 at the three byte offsets, standard and URL-safe; URI data, JSON,
    XML, command-line and expression escapes; surrounding quotes trimmed). The base64 forms keep
    only whole 3-byte groups, so they match inside the base64 of a longer text
    (`base64(user:secret)`), whatever follows the secret."""
    forms = {secret.strip('"')}
    raw = secret.encode("utf-8", "surrogatepass")
    for shift in (0, 1, 2):
        part = raw[shift:]
        whole = part[: len(part) // 3 * 3]
        if len(whole) >= 3:
            forms.add(base64.b64encode(whole).decode())
            forms.add(base64.urlsafe_b64encode(whole).decode())
    forms.add(quote(secret, safe=""))  # Uri.EscapeDataString
    forms.add(quote_plus(secret, safe=""))  # a form body
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    forms.add(html.escape(secret, quote=True))
    forms.add(html.escape(secret, quote=False))
    forms.add(secret.replace('"', '\\"'))
    forms.add(secret.replace("'", "''"))
    forms.discard(secret)
    return {form for form in forms if len(form) >= MIN_REDACTED}


class Redactor:
    """Replaces every registered secret, and its encoded forms, with `***`; thread-safe,
    longest first. A value shorter than MIN_REDACTED characters is masked where it stands
    alone (not inside a longer word or number): masking every `1` of a log would make it, and
    the outputs, unreadable, while a short secret printed on its own is still hidden."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._short: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, secret: str) -> list[str]:
        """Registers a secret (each line of it); returns the lines the runner should mask."""
        parts = [p.strip() for p in secret.splitlines() if p.strip()]
        whole = secret.strip()
        with self._lock:
            for part in {*parts, *([whole] if whole and len(parts) > 1 else [])}:
                if len(part) >= MIN_REDACTED:
                    self._secrets.add(part)
                    self._secrets.update(encoded_forms(part))
                else:
                    self._short.add(part)
            self._pattern = self._compile()
        return parts

    def _compile(self) -> re.Pattern[str] | None:
        long = sorted(self._secrets, key=len, reverse=True)
        short = sorted(self._short, key=len, reverse=True)
        choices = [re.escape(s) for s in long]
        if short:  # alone: no letter or digit right before or after it
            alone = "|".join(re.escape(s) for s in short)
            choices.append(rf"(?<![^\W_])(?:{alone})(?![^\W_])")
        return re.compile("|".join(choices)) if choices else None

    def __call__(self, text: str) -> str:
        text = printable(text)
        pattern = self._pattern
        return text if pattern is None else pattern.sub("***", text)


# Upload fields masked by what they are, whatever the storage's dialect (S3 SigV2/SigV4, GCS,
# Azure, a proxy): any name holding one of these words is a credential or signs one.
SENSITIVE_UPLOAD_WORDS = (
    "signature", "credential", "token", "policy", "key-id", "keyid", "accessid", "access-key",
    "accesskey", "secret", "password", "auth", "session", "sig",
)


def is_sensitive_upload_field(name: str) -> bool:
    folded = name.lower().replace("_", "-")
    return any(word in folded for word in SENSITIVE_UPLOAD_WORDS)
