"""Prints a build log once, in order, from answers that each repeat a slice of it.

The logs endpoint cannot be paged (no request takes `nextToken`); every poll answers one
window of the whole log, and the reference does not say whether `limit` keeps the first or
the last lines. So each answer is either `log[0:m]` ("first" mode) or `log[L-m:L]` ("last"
mode), and the tailer works out which lines of it are new by aligning it on what it has
already printed, without needing to know the mode.

How an answer is aligned (b = lines known so far, m = lines in the answer):

* An answer with fewer lines than requested and no `nextToken` is the whole log, so its
  position is certain: the new lines are those past the b-th.
* Any other answer is a slice that ends at or after the last printed line. The tailer
  looks for the places where it can sit against the known lines (its first j lines equal
  the last j known lines; or it starts exactly where the known lines start, as in "first"
  mode) and takes the one that leaves the fewest new lines, so it never prints a line twice.

What the tailer cannot reconcile, and what it prints then (`TailStep.marker` comes first):

* The very first answer with lines is already cut (`nextToken`, or as many lines as
  requested): lines before it ("last" mode) or after it ("first" mode) cannot be seen.
  The answer is printed whole after TRUNCATED_START_MARKER; `gaps` grows.
* No overlap ("last" mode, the log grew by a whole answer or more between two polls): the
  lines in between are lost (none, if it grew by exactly one answer; the tailer cannot
  tell). The answer is printed whole after GAP_MARKER; `gaps` grows.
* Several placements fit (the log repeats the same lines): the tailer takes the one with
  the fewest new lines, so lines identical to ones just printed may be left out, never
  printed twice. AMBIGUOUS_MARKER comes before the next lines printed (or from
  `closing_markers()` if none follow); `ambiguities` grows. It may show when nothing was
  lost. When the log repeats itself across a whole answer and grew by more than one answer
  between two polls, lines can be left out with no marker at all.
* "first" mode: lines beyond the answer's size never appear in any answer; after the final
  poll `closing_markers()` returns TRUNCATED_END_MARKER.

Answers that contradict each other (a log that shrinks or changes) are not expected; the
tailer then prints nothing it can place before what it printed, and treats the rest as
above. A `nextToken` sent when nothing was left out costs only wrong markers and mode; an
answer cut below the limit *without* one would be taken for the whole log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AMBIGUOUS_MARKER",
    "GAP_MARKER",
    "TRUNCATED_END_MARKER",
    "TRUNCATED_START_MARKER",
    "LogTailer",
    "TailMode",
    "TailStep",
]

TailMode = Literal["unknown", "first", "last"]

TRUNCATED_START_MARKER = (
    "... the build log was already longer than one answer: "
    "some log lines may not be retrievable ..."
)
GAP_MARKER = (
    "... some log lines may not have been retrievable "
    "(the log grew by more than one answer between two polls) ..."
)
AMBIGUOUS_MARKER = (
    "... the log repeats itself here: some lines identical to the ones above may be missing ..."
)
TRUNCATED_END_MARKER = (
    "... the rest of the build log is not retrievable "
    "(the server only returns the first lines of a log) ..."
)

_MIN_KEPT = 20_000  # twice the API's largest limit: enough to align any answer


@dataclass(frozen=True, slots=True)
class TailStep:
    """What one answer adds: print `marker` (when set), then `lines`."""

    lines: list[str]
    marker: str | None = None


class LogTailer:
    """Turns repeated windows of a growing log into each line once, in order.

    Feed every answer (including the one after the build ended) to `feed`, print the step's
    marker (if any) then its lines; after the last answer print `closing_markers()`. The
    module docstring says how answers are aligned and what is printed when they cannot be.
    """

    def __init__(self) -> None:
        self._known: list[str] = []  # contiguous log lines ending at the last printed one
        self._anchored = False  # whether _known starts at the log's first line
        self._first_head: str | None = None  # first line of the first answer with lines
        self._mode: TailMode = "unknown"
        self._last_has_more = False
        self._max_window = 0
        self._ambiguous_pending = False
        self.gaps = 0
        self.ambiguities = 0

    @property
    def mode(self) -> TailMode:
        """Which lines the server keeps, as far as the answers so far tell."""
        return self._mode

    def feed(self, window: Sequence[str], *, requested_limit: int, has_more: bool) -> TailStep:
        """Align one answer (`logs`, the limit asked for, whether `nextToken` was present)."""
        lines = list(window)
        m = len(lines)
        if m == 0:
            return TailStep([])
        self._last_has_more = has_more
        self._max_window = max(self._max_window, m)
        whole = not has_more and m < requested_limit
        if self._first_head is None:
            return self._start(lines, whole)
        self._infer_mode(lines, whole, has_more)
        if whole:
            return self._feed_whole(lines)
        return self._feed_slice(lines)

    def closing_markers(self) -> list[str]:
        """After the final answer: markers for lines that may be missing at the end."""
        markers = []
        if self._ambiguous_pending:
            self._ambiguous_pending = False
            self.ambiguities += 1
            markers.append(AMBIGUOUS_MARKER)
        if self._mode == "first" and self._last_has_more:
            markers.append(TRUNCATED_END_MARKER)
        return markers

    def _start(self, lines: list[str], whole: bool) -> TailStep:
        self._first_head = lines[0]
        self._known = lines
        self._anchored = whole
        if whole:
            return TailStep(list(lines))
        self.gaps += 1
        return TailStep(list(lines), TRUNCATED_START_MARKER)

    def _infer_mode(self, lines: list[str], whole: bool, has_more: bool) -> None:
        if whole:
            return  # both modes answer the same
        if lines[0] != self._first_head:
            self._mode = "last"  # a "first" answer always starts with the log's first line
        elif (
            has_more
            and self._mode == "unknown"
            and self._anchored
            and _starts_with(lines, self._known)
        ):
            # Lines were left out, yet the answer starts with the log's beginning.
            self._mode = "first"

    def _feed_whole(self, lines: list[str]) -> TailStep:
        b = len(self._known)
        if self._anchored:
            # Position is certain: the new lines are those past the ones known.
            if len(lines) < b:
                return self._step([])
            self._known = lines
            return self._step(lines[b:])
        # Known lines sit somewhere inside the whole log: the latest place they fit.
        places = [p + b for p in _occurrences(self._known, lines)]
        return self._place(lines, places, whole=True)

    def _feed_slice(self, lines: list[str]) -> TailStep:
        b = len(self._known)
        m = len(lines)
        places = _overlaps(lines, self._known)  # j <= min(m, b)
        if b > m and _starts_with(self._known, lines):
            places.append(b)  # the answer lies inside the start of the known lines
        if not self._anchored:
            # After a gap the answer may also start before the known lines (a larger cap).
            places += [p + b for p in _occurrences(self._known, lines) if p > 0]
        return self._place(lines, places, whole=False)

    def _place(self, lines: list[str], places: list[int], *, whole: bool) -> TailStep:
        """Apply the placement j (known lines end at lines[j-1]) leaving the fewest new lines."""
        b = len(self._known)
        if not places:
            self.gaps += 1
            self._known = lines
            self._anchored = whole
            self._ambiguous_pending = False  # the gap marker covers it
            return TailStep(list(lines), GAP_MARKER)
        j = max(places)
        if len(set(places)) > 1:
            self._ambiguous_pending = True
        new = lines[j:]
        if whole or j > b:
            self._known = lines  # the answer holds every known line and reaches back further
            self._anchored = whole
        else:
            self._known.extend(new)
        self._trim()
        return self._step(new)

    def _step(self, new: list[str]) -> TailStep:
        """Lines to print; a pending ambiguity is announced right before the next ones."""
        if new and self._ambiguous_pending:
            self._ambiguous_pending = False
            self.ambiguities += 1
            return TailStep(new, AMBIGUOUS_MARKER)
        return TailStep(new)

    def _trim(self) -> None:
        keep = max(_MIN_KEPT, 2 * self._max_window)
        if len(self._known) > keep:
            del self._known[: len(self._known) - keep]
            self._anchored = False


def _starts_with(seq: Sequence[str], prefix: Sequence[str]) -> bool:
    n = min(len(seq), len(prefix))
    return list(seq[:n]) == list(prefix[:n])


def _prefix_function(seq: Sequence[object]) -> list[int]:
    """KMP failure table: pi[i] = longest proper border of seq[:i+1]."""
    pi = [0] * len(seq)
    k = 0
    for i in range(1, len(seq)):
        while k and seq[i] != seq[k]:
            k = pi[k - 1]
        if seq[i] == seq[k]:
            k += 1
        pi[i] = k
    return pi


_SEPARATOR = object()  # equal to no line


def _overlaps(window: Sequence[str], known: Sequence[str]) -> list[int]:
    """Every j >= 1 with window[:j] == known[-j:], in linear time."""
    tail = known[-len(window) :] if known else []
    pi = _prefix_function([*window, _SEPARATOR, *tail])
    found: list[int] = []
    k = pi[-1] if tail else 0
    while k:
        found.append(k)
        k = pi[k - 1]
    return found


def _occurrences(needle: Sequence[str], hay: Sequence[str]) -> list[int]:
    """Every p with hay[p:p+len(needle)] == needle, in linear time."""
    n = len(needle)
    if n == 0 or n > len(hay):
        return []
    pi = _prefix_function([*needle, _SEPARATOR, *hay])
    return [i - 2 * n for i in range(2 * n, len(pi)) if pi[i] == n]
