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


class _Masks:
    """One set of secrets as one pattern: values of at least MIN_REDACTED characters (and their
    encoded forms) wherever they appear, shorter ones only where they stand alone."""

    def __init__(self) -> None:
        self.long: set[str] = set()
        self.short: set[str] = set()
        self.pattern: re.Pattern[str] | None = None

    def add(self, part: str) -> None:
        if len(part) >= MIN_REDACTED:
            self.long.add(part)
            self.long.update(encoded_forms(part))
        else:
            self.short.add(part)
        choices = [re.escape(s) for s in sorted(self.long, key=len, reverse=True)]
        if self.short:
            alone = "|".join(re.escape(s) for s in sorted(self.short, key=len, reverse=True))
            choices.append(rf"{_ALONE_BEFORE}(?:{alone}){_ALONE_AFTER}")
        self.pattern = re.compile("|".join(choices))


# "Alone": not part of a word, a number, an identifier, a version, a path or a URL
# (`us-west-2`, `v1.2`, `a/b`, `host:1`), so a one-character value such as `1` or `2` hides
# where it is printed on its own (`TOKEN=2`, `"2"`) and nowhere else.
_ALONE_BEFORE = r"(?<![\w.\-/:@%+])"
_ALONE_AFTER = r"(?![\w\-/:@%+])(?!\.\w)"


class Redactor:
    """Replaces every registered secret, and its encoded forms, with `***`; thread-safe,
    longest first. A value shorter than MIN_REDACTED characters is masked where it stands
    alone: masking every `1` of a log would make it unreadable, while a short secret printed on
    its own is still hidden.

    Outputs (`outputs()`) are masked only by the secrets registered `in_outputs`: the run's own
    credentials. A secret-set value is hidden wherever text is shown (log, annotations,
    summary), but an output is a value the run computed, never made from a secret value; one
    that merely equals part of it (`DEBUG=true` and `cached: true`, `REGION=us-west` and an
    image URI) must stay true, or every workflow reading it breaks."""

    def __init__(self) -> None:
        self._shown = _Masks()
        self._outputs = _Masks()
        self._lock = threading.Lock()

    def add(self, secret: str, *, in_outputs: bool = True) -> list[str]:
        """Registers a secret (each line of it); returns the lines the runner should mask."""
        parts = [p.strip() for p in secret.splitlines() if p.strip()]
        whole = secret.strip()
        with self._lock:
            for part in {*parts, *([whole] if whole and len(parts) > 1 else [])}:
                self._shown.add(part)
                if in_outputs:
                    self._outputs.add(part)
        return parts

    def __call__(self, text: str) -> str:
        """Text a person sees: every secret masked."""
        return _masked(self._shown.pattern, printable(text))

    def outputs(self, value: str) -> str:
        """An output's value: only the credentials masked."""
        return _masked(self._outputs.pattern, printable(value))


def _masked(pattern: re.Pattern[str] | None, text: str) -> str:
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
