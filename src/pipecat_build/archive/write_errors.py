"""Errors the archive writer raises besides InputError for an unreadable file."""

from __future__ import annotations

from ..errors import ActionError
from .display import display_path


class ArchiveCancelled(Exception):
    """The caller's cancel event was set; the partial output must be discarded."""


class ContextChangedError(ActionError):
    """A file's size differs from the one selected: the archive would not match the hash."""

    def __init__(self, arcname: str, expected: int, detail: str) -> None:
        super().__init__(
            "The build context changed while it was being archived: "
            f"'{display_path(arcname)}' was "
            f"{expected} bytes when selected but {detail} when read. "
            "Run again once the files are no longer being written."
        )
        self.arcname = arcname
