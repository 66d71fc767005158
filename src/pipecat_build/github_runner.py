"""The GitHub runner adapter: workflow commands on stdout, file commands for outputs/summary."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import github_action_utils as gha


class GitHubReporter:
    """Writes through github-action-utils, which escapes command data and writes the
    GITHUB_OUTPUT heredoc records; a lock keeps concurrent builds' lines whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_group = False

    def mask(self, secret: str) -> None:
        for part in secret.splitlines():
            if part.strip():
                with self._lock:
                    gha.add_mask(part)

    def line(self, text: str) -> None:
        # A log line that looks like a workflow command must not act as one.
        if text.lstrip().startswith("::"):
            text = " " + text
        with self._lock:
            gha.echo(text)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        with self._lock:
            nested = self._in_group
            if not nested:
                gha.start_group(title)
                self._in_group = True
        try:
            yield
        finally:
            if not nested:
                with self._lock:
                    gha.end_group()
                    self._in_group = False

    def notice(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        with self._lock:
            gha.notice(message, title=title, file=file)

    def warning(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        with self._lock:
            gha.warning(message, title=title, file=file)

    def error(self, message: str, *, title: str | None = None) -> None:
        with self._lock:
            gha.error(message, title=title)

    def debug(self, message: str) -> None:
        with self._lock:
            gha.debug(message)

    def set_output(self, name: str, value: str) -> None:
        if not os.environ.get("GITHUB_OUTPUT"):
            return
        with self._lock:
            gha.set_output(name, value)

    def add_summary(self, markdown: str) -> None:
        if not os.environ.get("GITHUB_STEP_SUMMARY"):
            return
        with self._lock:
            gha.append_job_summary(markdown)
