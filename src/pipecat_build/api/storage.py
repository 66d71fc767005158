"""Uploads the archive to the storage host with the presigned POST fields, streamed from disk.

The storage client is not the API's: it never carries the API key. libcurl's multipart form
(what `curl -F` uses) reads the file from disk as it sends, so memory stays flat whatever its
size and no Python runs per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import ActionError
from ..models import UploadTicket
from ..retry_policy import is_retryable_status, retry_after_seconds
from .transport import (
    TLS_HINT,
    FileField,
    HttpClient,
    HttpResponse,
    Timeouts,
    TransportError,
)

# Any size uploads; a transfer that moves no byte for two minutes is dead.
UPLOAD_TIMEOUT = Timeouts(connect=10.0, idle=120)
UPLOAD_IDLE_ENV = "PIPECAT_BUILD_UPLOAD_IDLE"  # whole seconds without a byte moving (tests)


def upload_timeout(environ: Mapping[str, str]) -> Timeouts:
    """UPLOAD_TIMEOUT, with its idle limit lowered (tests) or raised (odd networks) by
    PIPECAT_BUILD_UPLOAD_IDLE, whole seconds from 1 to 3600; anything else keeps 120."""
    raw = environ.get(UPLOAD_IDLE_ENV, "").strip()
    try:
        idle = int(raw)
    except ValueError:
        return UPLOAD_TIMEOUT
    if not 0 < idle <= 3600:
        return UPLOAD_TIMEOUT
    return Timeouts(connect=UPLOAD_TIMEOUT.connect, idle=idle)


class StorageError(ActionError):
    """Storage refused the upload; `retryable` tells whether sending it again may help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        expired: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.expired = expired
        self.retry_after = retry_after


def parse_storage_error(status: int, body: bytes) -> str:
    """S3 explains a refusal in XML `<Error><Code/><Message/></Error>`."""
    import xml.etree.ElementTree as ET  # only refusals are parsed

    try:
        root = ET.fromstring(body)
        code = root.findtext("Code") or ""
        message = root.findtext("Message") or ""
    except ET.ParseError:
        code, message = "", body[:200].decode("utf-8", "replace").strip()
    return f"storage refused the upload (HTTP {status}{', ' + code if code else ''}): {message}"


def upload_archive(
    session: HttpClient,
    ticket: UploadTicket,
    archive: Path,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    timeout: Timeouts = UPLOAD_TIMEOUT,
) -> None:
    """One attempt; raises StorageError (retryable or not) on refusal or network failure."""
    try:
        response = session.post_form(
            ticket.url,
            ticket.fields,
            FileField("file", archive, "context.tar.gz", "application/gzip"),
            timeout=timeout,
            on_progress=on_progress,
        )
    except TransportError as exc:
        if exc.kind == "tls":
            message = f"TLS with storage failed ({exc}); {TLS_HINT}"
            raise StorageError(message, retryable=False) from None
        raise StorageError(f"upload to storage failed: {exc}", retryable=True) from None
    if response.status in (201, 204):
        return
    if response.status == 200:
        if not _looks_like_a_web_page(response):
            return
        # A proxy or captive portal answered, not the bucket: the object is not stored.
        raise StorageError(
            "storage answered HTTP 200 with a web page instead of accepting the upload",
            retryable=True,
        )
    message = parse_storage_error(response.status, response.content)
    expired = "expired" in message.lower()
    retryable = is_retryable_status(response.status) or response.status == 408 or expired
    retry_after = retry_after_seconds(response.header("Retry-After") or None)
    raise StorageError(message, retryable=retryable, expired=expired, retry_after=retry_after)


def _looks_like_a_web_page(response: HttpResponse) -> bool:
    """S3 answers a browser POST with 204 (or an empty 200); a page means someone else did."""
    kind = response.header("Content-Type").lower()
    start = response.content[:512].lstrip().lower()
    return "html" in kind or start.startswith((b"<!doctype html", b"<html"))
