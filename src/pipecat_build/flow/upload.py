"""Step 3: send the archive to storage with a presigned POST, renewing an upload URL about to
expire, retried under the run's retry budget; progress as it goes."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..api.storage import StorageError, upload_archive
from ..models import UploadTicket
from ..redact import is_sensitive_upload_field
from ..retry_policy import Transient
from ..units import human_bytes, human_seconds
from .pack import Packed
from .tools import Tools

TICKET_MARGIN = 60.0  # seconds: a ticket about to expire is renewed before uploading


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


def new_ticket(tools: Tools, region: str) -> UploadTicket:
    """Asks for an upload URL; its credentials are masked before anything can print them."""
    ticket = tools.builds.request_upload(region)
    for name, value in ticket.fields:
        if is_sensitive_upload_field(name):
            tools.out.mask(value)
    return ticket


def upload(tools: Tools, packed: Packed, region: str) -> UploadTicket:
    out = tools.out
    archive = packed.path
    assert archive is not None, "ensure_archive comes first"
    size = packed.archive_bytes
    ticket = new_ticket(tools, region)
    started = tools.run.clock()

    def attempt() -> None:
        nonlocal ticket
        # "About to expire": within a minute, or half the lifetime of a short-lived URL.
        if ticket.seconds_left() < min(TICKET_MARGIN, ticket.lifetime / 2):
            out.line("the upload URL is about to expire; asking for a new one")
            ticket = new_ticket(tools, region)
        meter = ProgressMeter(size, out.line, clock=tools.run.clock)
        try:
            upload_archive(
                tools.storage,
                ticket,
                archive,
                on_progress=meter.update,
                timeout=tools.runtime.upload_timeout,
            )
        except StorageError as exc:
            if not exc.retryable:
                raise
            if exc.expired:
                out.line("the upload URL expired; asking for a new one")
                ticket = new_ticket(tools, region)
            raise Transient(exc, str(exc), exc.retry_after) from None

    tools.retry(attempt, "upload")
    elapsed = tools.run.clock() - started
    out.line(
        f"uploaded {human_bytes(size)} in {human_seconds(elapsed)}"
        f" ({human_bytes(size / max(elapsed, 1e-6))}/s)"
    )
    return ticket
