"""Sizes and durations in the units a person reads."""

from __future__ import annotations


def human_bytes(count: int | float) -> str:
    """Binary units with one decimal: 532 B, 12.3 KiB, 4.0 MiB (one spelling everywhere)."""
    if abs(count) < 1024:
        return f"{count:.0f} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if abs(value) < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"


def human_seconds(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"
