"""Step 5: poll the build until it ends, printing each log line once, in order; a status line
never lands amid the lines it concludes. Log fetching never decides the outcome."""

from __future__ import annotations

from collections import deque

from ..api.builds import LOG_LIMIT
from ..errors import ActionError, InputError
from ..log_tail import LogTailer
from ..models import Build, ServerAnswerError
from ..units import human_seconds
from .tools import Tools

LAST_LINES_ON_FAILURE = 20


LOG_LINE_LIMIT = 16_384  # characters of one build log line shown; the rest is counted


def _bounded(line: str) -> str:
    """A build log line as shown: a line of megabytes (a minified bundle echoed by a build
    step) would flood the job's log; its start is enough to read it."""
    if len(line) <= LOG_LINE_LIMIT:
        return line
    return f"{line[:LOG_LINE_LIMIT]}... ({len(line) - LOG_LINE_LIMIT:,} more characters)"


class BuildTimedOut(ActionError):
    """build-timeout passed; the build itself may still be running."""


class Follower:
    def __init__(self, tools: Tools) -> None:
        self.tools = tools
        self.last_lines: deque[str] = deque(maxlen=LAST_LINES_ON_FAILURE)
        self._log_fetch_failing = False

    def _print_logs(self, build_id: str, tailer: LogTailer) -> None:
        out = self.tools.out
        try:
            window, has_more = self.tools.builds.get_logs(build_id)
        except ActionError as exc:
            if not self._log_fetch_failing:
                out.line(f"could not read the build log ({exc}); will try again")
            self._log_fetch_failing = True
            return
        self._log_fetch_failing = False
        step = tailer.feed(window, requested_limit=LOG_LIMIT, has_more=has_more)
        if step.marker:
            out.line(step.marker)
        lines = [_bounded(line) for line in step.lines]
        for line in lines:
            out.line(line)
        self.last_lines.extend(lines)

    def follow(self, build: Build) -> Build:
        tools, out = self.tools, self.tools.out
        settings = tools.settings
        tailer = LogTailer()
        deadline = tools.run.clock() + settings.build_timeout
        status = build.status
        out.line(f"following build {build.id} (status: {status.value})")
        while True:
            if not status.terminal:
                try:
                    build = tools.builds.get_build(build.id)
                except (InputError, ServerAnswerError):
                    raise  # a wrong input, or an answer refused: contact was not lost
                except ActionError as exc:
                    raise ActionError(
                        f"lost contact with Pipecat Cloud while following build {build.id}: "
                        f"{exc}. The build may still be running on Pipecat Cloud."
                    ) from None
            self._print_logs(build.id, tailer)
            if build.status is not status:
                out.line(f"build {build.id}: {build.status.value}")
                status = build.status
            if status.terminal:
                for marker in tailer.closing_markers():
                    out.line(marker)
                return build
            remaining = deadline - tools.run.clock()
            if remaining <= 0:
                raise BuildTimedOut(
                    f"build {build.id} did not finish within build-timeout "
                    f"({human_seconds(settings.build_timeout)}); it may still be running on "
                    "Pipecat Cloud. Raise build-timeout, or look it up by its build id."
                )
            tools.run.wait(min(settings.poll_interval, remaining))
