"""Names that usually hold credentials, so a context that would upload them can say so."""

from __future__ import annotations

import fnmatch
import re

# Matched against the file's name.
NAME_PATTERNS: tuple[str, ...] = (
    ".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ed25519*", "id_ecdsa*",
    "*.p12", "*.pfx", ".npmrc", ".pypirc", ".netrc", "_netrc", "credentials.json",
    "service-account*.json", ".git-credentials", "*.keystore", "*.jks", ".htpasswd",
    "*.kdbx", "terraform.tfstate", "*.tfstate.backup",
)  # fmt: skip
# Matched against the end of the path (these names are only secret in that folder).
PATH_PATTERNS: tuple[str, ...] = (
    ".docker/config.json", ".aws/credentials", ".aws/config", ".kube/config",
    ".ssh/*", ".gnupg/*", ".config/gcloud/*.json",
)  # fmt: skip
# Templates meant to be committed, and public halves of key pairs.
_HARMLESS = re.compile(r"^\.env\.(example|sample|template|dist|defaults)$|\.pub$", re.I)

_NAME_RES = [(p, re.compile(fnmatch.translate(p))) for p in NAME_PATTERNS]
_PATH_RES = [(p, re.compile(r"(?:^|/)" + fnmatch.translate(p))) for p in PATH_PATTERNS]


def secret_pattern(arcname: str) -> str | None:
    """The pattern that makes `arcname` look like a secret, or None."""
    name = arcname.rsplit("/", 1)[-1]
    if _HARMLESS.search(name):
        return None
    for pattern, regex in _NAME_RES:
        if regex.match(name):
            return pattern
    for pattern, regex in _PATH_RES:
        if regex.search(arcname):
            return pattern
    return None


def ignore_line(arcname: str) -> str:
    """A .dockerignore line matching this file under both rule sets, printable as is.

    `*`, `?` and `[` are put in brackets so both fnmatch and Go's matcher read them literally.
    What a line cannot hold literally becomes `?` (any one character): bytes that are not
    UTF-8 (pcc deploy reads .dockerignore as UTF-8), control characters, a backslash (an
    escape for Go, literal for fnmatch), a leading `#` or `!` (a comment, an exception) and
    spaces at either end (lines are trimmed).
    """
    line = re.sub(r"([*?\[])", r"[\1]", arcname)
    line = "".join(ch if ch.isprintable() and ch != "\\" else "?" for ch in line)
    stripped = line.strip()
    start = len(line) - len(line.lstrip())
    end = start + len(stripped)
    line = "?" * start + stripped + "?" * (len(line) - end)
    if line[:1] in ("#", "!"):
        line = "?" + line[1:]
    return line
