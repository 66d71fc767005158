"""Which secret values an agent's deployment was made with, remembered as a keyed digest in the
hash-cache folder, so a run that writes the same values again can know that the running
deployment already has them (and restarts nothing).

Never the values: an entry holds the deployment id and an HMAC-SHA256 of the set's name and
the pairs written, under a key derived from the API key (HMAC of a fixed label), so an entry
says nothing about a value to whoever reads the cache, and cannot be forged or moved to
another agent without the key. One file per agent, `<HMAC of the agent's name>.secrets`,
written to a temporary file and moved into place (a reader sees a whole old or a whole new
entry); its last line is an HMAC of the others, so a torn, edited or foreign entry is a miss.
Like the hash cache, no method raises for a problem of the folder: `recall` answers None (the
run cannot know: it redeploys), `remember` returns one warning line.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from pathlib import Path

from ..archive.hash_cache import read_regular

ENTRY_SUFFIX = ".secrets"
TEMP_PREFIX = ".tmp-"
MAX_ENTRY_BYTES = 1024
_MAGIC = "pipecat-build secret-memory 1"
_LABEL = b"pipecat-build secret-memory key v1"


def derive_key(api_key: str) -> bytes:
    """The memory's key: bound to the API key (another organization's runs share nothing)
    and different from it (an entry never carries a digest of the API key itself)."""
    return hmac.new(api_key.encode("utf-8"), _LABEL, hashlib.sha256).digest()


def values_digest(key: bytes, secret_set: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """A keyed digest of the set name and the pairs written; the last value of a key counts."""
    written = dict(pairs)
    canonical = json.dumps([secret_set, sorted(written.items())], ensure_ascii=True)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


class SecretMemory:
    """Per agent: the deployment it was last deployed into by a run that wrote its secrets,
    and the digest of what that run wrote."""

    def __init__(self, folder: Path, api_key: str) -> None:
        self.folder = Path(folder)
        self._key = derive_key(api_key)

    def digest(self, secret_set: str, pairs: tuple[tuple[str, str], ...]) -> str:
        return values_digest(self._key, secret_set, pairs)

    def _mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode("ascii"), hashlib.sha256).hexdigest()

    def entry_path(self, agent: str) -> Path:
        return self.folder / f"{self._mac('agent ' + agent)}{ENTRY_SUFFIX}"

    def _body(self, agent: str, deployment: str, digest: str) -> str:
        return (
            f"{_MAGIC}\nagent {self._mac('agent ' + agent)}\ndeployment {deployment}\n"
            f"values {digest}\n"
        )

    def recall(self, agent: str, deployment: str) -> str | None:
        """The digest remembered for this agent's deployment, or None (not known)."""
        data = read_regular(self.entry_path(agent), MAX_ENTRY_BYTES)  # never a FIFO or link
        if data is None:
            return None
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            return None
        lines = text.split("\n")
        if len(data) > MAX_ENTRY_BYTES or len(lines) != 6 or lines[5] != "":
            return None
        fields = dict(line.partition(" ")[::2] for line in lines[1:4])
        digest = fields.get("values", "")
        body = self._body(agent, fields.get("deployment", ""), digest)
        if not hmac.compare_digest(text, f"{body}check {self._mac(body)}\n"):
            return None  # torn, edited, another key's, or another agent's
        if not deployment or fields.get("deployment") != deployment:
            return None  # made for another deployment: says nothing about this one
        return digest

    def remember(self, agent: str, deployment: str, digest: str) -> str | None:
        """Records that `deployment` was made with the values of `digest`; None, or one
        warning line when the folder cannot be written (the next run then redeploys)."""
        if not deployment or "\n" in deployment or " " in deployment:
            return None
        body = self._body(agent, deployment, digest)
        data = f"{body}check {self._mac(body)}\n".encode("ascii", "replace")
        path = self.entry_path(agent)
        temp = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            os.replace(temp, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            reason = error.strerror or str(error)
            return (
                f"cannot write the hash-cache folder {self.folder} ({reason}); which secret values "
                f"agent {agent} runs with is not remembered, so the next run that writes them "
                "redeploys it"
            )
        return None
