"""Timestamps in the two formats the emulated services speak."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(epoch: float) -> str:
    """ISO 8601 with milliseconds and Z, as the Pipecat Cloud API writes dates."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Inverse of iso_ms (also accepts no fraction); raises ValueError on anything else."""
    if not text.endswith("Z"):
        raise ValueError(f"not a UTC timestamp: {text!r}")
    return datetime.fromisoformat(text[:-1] + "+00:00").timestamp()


def amz_date(epoch: float) -> str:
    """SigV4 request date, e.g. 20260220T120000Z."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def log_stamp(epoch: float) -> str:
    """CodeBuild's container log timestamp, e.g. 2026/11/23 10:00:01."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y/%m/%d %H:%M:%S")
