"""Uploads the archive to the storage host with the presigned POST fields, streamed from disk.

The storage session is not the API's: it never carries the API key. requests-toolbelt's
MultipartEncoder streams the file, so memory stays flat whatever its size.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .api_client import UploadTicket, retry_after_seconds
from .errors import ActionError
from .units import human_bytes, human_seconds

UPLOAD_TIMEOUT = (10.0, 120.0)
_CHUNK = 1 << 20  # bytes per socket write: large chunks keep Python out of the hot path


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


class _LargeBlockAdapter(HTTPAdapter):
    """urllib3 reads a streamed body in 16 KiB blocks by default; 1 MiB makes a 300 MB upload
    run at the speed of the socket rather than of the Python loop."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["blocksize"] = _CHUNK
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def storage_session() -> requests.Session:
    session = requests.Session()
    adapter = _LargeBlockAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def parse_storage_error(status: int, body: bytes) -> str:
    """S3 explains a refusal in XML `<Error><Code/><Message/></Error>`."""
    try:
        root = ET.fromstring(body)
        code = root.findtext("Code") or ""
        message = root.findtext("Message") or ""
    except ET.ParseError:
        code, message = "", body[:200].decode("utf-8", "replace").strip()
    return f"storage refused the upload (HTTP {status}{', ' + code if code else ''}): {message}"


class ProgressMeter:
    """Turns byte counts into a line every few seconds: percent, rate and time left."""

    def __init__(
        self,
        total: int,
        emit: Callable[[str], None],
        every: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._total = max(total, 1)
        self._emit = emit
        self._every = every
        self._clock = clock
        self._start = clock()
        self._last = self._start

    def update(self, done: int, total: int | None = None) -> None:
        """Intermediate lines only: the caller prints the closing line once it is done."""
        if total:
            self._total = total
        now = self._clock()
        if now - self._last < self._every or done >= self._total:
            return
        self._last = now
        rate = done / max(now - self._start, 1e-6)
        left = (self._total - done) / rate if rate > 0 else 0.0
        self._emit(
            f"uploaded {done / self._total:5.1%}  {human_bytes(done)} of {human_bytes(self._total)}"
            f"  {human_bytes(rate)}/s  about {human_seconds(left)} left"
        )


def _keep_freed_chunks() -> None:
    """The encoder allocates and frees a 1 MiB buffer per socket write; glibc would hand each
    back to the kernel and page the next one in afresh (one fault per 4 KiB: ~75,000 for
    300 MB). Serving such buffers from the heap and trimming it only past 16 MiB keeps a few
    chunks' worth of pages warm: the upload then runs at socket speed."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols include libc's
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 4 * _CHUNK)
    mallopt(m_trim_threshold, 16 * _CHUNK)


def upload_archive(
    session: requests.Session,
    ticket: UploadTicket,
    archive: Path,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    """One attempt; raises StorageError (retryable or not) on refusal or network failure."""
    from requests_toolbelt.multipart.encoder import (  # type: ignore[import-untyped]
        MultipartEncoder,
        MultipartEncoderMonitor,
    )

    _keep_freed_chunks()
    with archive.open("rb") as fh:
        fields: list[tuple[str, object]] = list(ticket.fields)
        fields.append(("file", ("context.tar.gz", fh, "application/gzip")))
        encoder = MultipartEncoder(fields=fields)
        total = encoder.len
        report = on_progress or (lambda done, total: None)
        body = MultipartEncoderMonitor(encoder, lambda monitor: report(monitor.bytes_read, total))
        try:
            response = session.post(
                ticket.url,
                data=body,
                headers={"Content-Type": body.content_type},
                timeout=UPLOAD_TIMEOUT,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise StorageError(
                f"upload to storage failed ({type(exc).__name__})", retryable=True
            ) from None
    if response.status_code in (201, 204):
        return
    if response.status_code == 200:
        if not _looks_like_a_web_page(response):
            return
        # A proxy or captive portal answered, not the bucket: the object is not stored.
        raise StorageError(
            "storage answered HTTP 200 with a web page instead of accepting the upload",
            retryable=True,
        )
    message = parse_storage_error(response.status_code, response.content)
    expired = "expired" in message.lower()
    retryable = response.status_code >= 500 or response.status_code in (408, 429) or expired
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    raise StorageError(message, retryable=retryable, expired=expired, retry_after=retry_after)


def _looks_like_a_web_page(response: requests.Response) -> bool:
    """S3 answers a browser POST with 204 (or an empty 200); a page means someone else did."""
    kind = response.headers.get("Content-Type", "").lower()
    start = response.content[:512].lstrip().lower()
    return "html" in kind or start.startswith((b"<!doctype html", b"<html"))
