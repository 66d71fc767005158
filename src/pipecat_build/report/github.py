"""The GitHub runner adapter: workflow commands on stdout, file commands for outputs/summary.

Masked values are also replaced by `***` here before anything is written: the runner masks
only what reaches its log, not what a step writes to GITHUB_OUTPUT or the summary, and a
server that echoes a secret in an error message must not get it printed either.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import github_action_utils as gha

from ..redact import Redactor, printable


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _may_act_as_command(text: str) -> bool:
    """Whether any line the runner would read in `text` is a workflow command: one text may
    hold several (a log entry with a newline or carriage return inside), each read alone."""
    return "##[" in text or any(part.lstrip().startswith("::") for part in text.splitlines())



class GitHubReporter:
    """Writes through github-action-utils, which escapes command data and writes the
    GITHUB_OUTPUT heredoc records; a lock keeps concurrent builds' lines whole (re-entrant,
    so the cancellation handler can still write after interrupting a write)."""

    def __init__(
        self,
        redactor: Redactor | None = None,
        *,
        outputs: bool = True,
        summary: bool = True,
    ) -> None:
        """`outputs` / `summary`: whether the runner gave GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
        files (github-action-utils writes to them; without them there is nowhere to write)."""
        self._outputs = outputs
        self._summary = summary
        self._lock = threading.RLock()
        self._in_group = False
        self._clean = redactor or Redactor()

    def mask(self, secret: str, *, in_outputs: bool = True) -> None:
        for part in self._clean.add(secret, in_outputs=in_outputs):
            with self._lock:
                # The canonical `::add-mask::V` form (github-action-utils writes
                # `::add-mask ::V`, which the runner also reads): log scanners and
                # other tools recognise this spelling as the mask command.
                gha.echo("::add-mask::" + _escape_data(printable(part)))

    def line(self, text: str) -> None:
        text = self._clean(text)
        with self._lock:
            if not _may_act_as_command(text):
                gha.echo(text)
                return
            # A build log line such as `::add-mask::x`, `  ::error::x` or `##[group]x` would
            # act as a workflow command (the runner strips leading space first): suspend
            # command processing around it with a one-time token.
            token = os.urandom(16).hex()  # what secrets.token_hex does, without its imports
            gha.echo(f"::stop-commands::{token}")
            gha.echo(text)
            gha.echo(f"::{token}::")

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        with self._lock:
            nested = self._in_group
            if not nested:
                gha.start_group(self._clean(title))
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
            gha.notice(self._clean(message), title=title, file=file)

    def warning(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        with self._lock:
            gha.warning(self._clean(message), title=title, file=file)

    def error(self, message: str, *, title: str | None = None) -> None:
        with self._lock:
            gha.error(self._clean(message), title=title)

    def debug(self, message: str) -> None:
        with self._lock:
            gha.debug(self._clean(message))

    def set_output(self, name: str, value: str) -> None:
        if not self._outputs:
            return
        with self._lock:
            gha.set_output(name, self._clean.outputs(value))

    def add_summary(self, markdown: str) -> None:
        if not self._summary:
            return
        with self._lock:
            gha.append_job_summary(self._clean(markdown))
