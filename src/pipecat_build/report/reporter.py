"""Where a run's log lines, annotations, outputs and summary go.

The flow talks to a `Reporter`; the GitHub runner and a plain console (other CI systems) are
its two adapters, so the core never knows which one it is writing to.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

from ..redact import Redactor

# What CI systems obey in a job's log, wherever our text lands in it: Azure Pipelines
# (`##vso[...]`, found anywhere in a line), TeamCity (`##teamcity[...]`), GitHub's and others'
# `##[group]` and `::command::` lines (at the start of a line, after white space).
_HASH_COMMAND = re.compile(r"##(?=vso\[|teamcity\[|\[)", re.IGNORECASE)
_LINE_COMMAND = re.compile(r"(^|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029])([^\S\n\r]*)::")


# GitLab folds a log into sections at `section_start:` / `section_end:` markers; a terminal
# (and GitLab's log view) obeys ANSI escapes, which can erase or overwrite a line just shown.
_SECTION_MARKER = re.compile(r"section_(start|end):", re.IGNORECASE)
# Control characters a terminal acts on (a carriage return overwrites the line shown, ESC and
# CSI start escape sequences, NUL and the rest are not text): shown as `\xNN`. Tab and the
# line breaks between a message's own lines stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def neutralise_commands(text: str) -> str:
    """`text` as it should be shown, never obeyed: `##vso[` becomes `#|#vso[`, a line
    starting with `::` is prefixed with `| `, a GitLab section marker reads `section_start|:`
    and a control character (an escape, a carriage return) reads `\\x1b`, `\\x0d`, so a build
    log line (or a server's message) cannot set a variable, mask or unmask text, fail the job,
    fold or hide lines, or overwrite what was printed, whichever CI system prints it."""
    text = _HASH_COMMAND.sub("#|#", text)
    text = _SECTION_MARKER.sub(lambda m: f"section_{m.group(1)}|:", text)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)  # ESC, CSI, CR, NUL...
    return _LINE_COMMAND.sub(r"\1\2| ::", text)


class Reporter(Protocol):
    def mask(self, secret: str, *, in_outputs: bool = True) -> None: ...
    def line(self, text: str) -> None: ...
    def group(self, title: str) -> contextlib.AbstractContextManager[None]: ...
    def notice(
        self, message: str, *, title: str | None = None, file: str | None = None
    ) -> None: ...
    def warning(
        self, message: str, *, title: str | None = None, file: str | None = None
    ) -> None: ...
    def error(self, message: str, *, title: str | None = None) -> None: ...
    def debug(self, message: str) -> None: ...
    def set_output(self, name: str, value: str) -> None: ...
    def add_summary(self, markdown: str) -> None: ...


class ConsoleReporter:
    """Human-readable progress for other CI systems; outputs are collected, not printed."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        verbose: bool = False,
        redactor: Redactor | None = None,
    ) -> None:
        self._stream = stream or sys.stderr
        self._verbose = verbose
        self.masked = redactor or Redactor()
        self._lock = threading.Lock()
        self.outputs: dict[str, str] = {}
        self.summaries: list[str] = []
        self.errors: list[str] = []  # masked, for the CLI's JSON result

    def _write(self, text: str) -> None:
        text = neutralise_commands(self.masked(text))
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def mask(self, secret: str, *, in_outputs: bool = True) -> None:
        self.masked.add(secret, in_outputs=in_outputs)

    def line(self, text: str) -> None:
        self._write(text)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._write(f"== {title}")
        yield

    def notice(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self._write(f"note: {message}")

    def warning(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self._write(f"warning: {message}")

    def error(self, message: str, *, title: str | None = None) -> None:
        with self._lock:
            self.errors.append(self.masked(message))
        self._write(f"error: {message}")

    def debug(self, message: str) -> None:
        if self._verbose:
            self._write(f"debug: {message}")

    def set_output(self, name: str, value: str) -> None:
        with self._lock:
            self.outputs[name] = self.masked.outputs(value)

    def add_summary(self, markdown: str) -> None:
        self.summaries.append(markdown)


class PrefixedReporter:
    """Lets several builds share one log: every line names its service; no groups (they do not
    nest and would interleave), outputs and summaries go to the caller instead."""

    def __init__(self, inner: Reporter, prefix: str) -> None:
        self._inner = inner
        self._prefix = f"[{prefix}] "
        self.outputs: dict[str, str] = {}

    def mask(self, secret: str, *, in_outputs: bool = True) -> None:
        self._inner.mask(secret, in_outputs=in_outputs)

    def line(self, text: str) -> None:
        self._inner.line(self._prefix + text)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._inner.line(f"{self._prefix}-- {title}")
        yield

    def notice(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self._inner.notice(self._prefix + message, title=title, file=file)

    def warning(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self._inner.warning(self._prefix + message, title=title, file=file)

    def error(self, message: str, *, title: str | None = None) -> None:
        self._inner.error(self._prefix + message, title=title)

    def debug(self, message: str) -> None:
        self._inner.debug(self._prefix + message)

    def set_output(self, name: str, value: str) -> None:
        self.outputs[name] = value

    def add_summary(self, markdown: str) -> None:
        """Per-service summaries are folded into the caller's one table."""


class SpokenReporter:
    """Warnings and notices from the core use the action's phrasing (`set secret-files:
    exclude`); this rewrites them in the front door's words (`--secret-files exclude`).
    Plain lines pass unchanged: they carry build logs, which must not be rewritten."""

    def __init__(self, inner: Reporter, speak: Callable[[str], str]) -> None:
        self._inner = inner
        self._speak = speak

    def mask(self, secret: str, *, in_outputs: bool = True) -> None:
        self._inner.mask(secret, in_outputs=in_outputs)

    def line(self, text: str) -> None:
        self._inner.line(text)

    def group(self, title: str) -> contextlib.AbstractContextManager[None]:
        return self._inner.group(title)

    def notice(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self._inner.notice(self._speak(message), title=title, file=file)

    def warning(self, message: str, *, title: str | None = None, file: str | None = None) -> None:
        self._inner.warning(self._speak(message), title=title, file=file)

    def error(self, message: str, *, title: str | None = None) -> None:
        self._inner.error(message, title=title)  # errors are spoken where they are raised

    def debug(self, message: str) -> None:
        self._inner.debug(message)

    def set_output(self, name: str, value: str) -> None:
        self._inner.set_output(name, value)

    def add_summary(self, markdown: str) -> None:
        self._inner.add_summary(markdown)
