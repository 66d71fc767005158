"""The tailer against a simulated logs endpoint, in both modes the reference leaves open."""

from __future__ import annotations

import gc
import itertools
import types
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecat_build.log_tail import (
    AMBIGUOUS_MARKER,
    GAP_MARKER,
    TRUNCATED_END_MARKER,
    TRUNCATED_START_MARKER,
    LogTailer,
)


class Line(str):
    """A log line compared by its text only, but remembering where it sits in the log."""

    pos: int


def make_log(texts: list[str]) -> list[Line]:
    log = []
    for i, text in enumerate(texts):
        line = Line(text)
        line.pos = i
        log.append(line)
    return log


def pos(line: str) -> int:
    """Where a printed line sits in the log (the tailer hands back the lines it was given)."""
    assert isinstance(line, Line)
    return line.pos


def unique_texts(n: int) -> list[str]:
    return [
        f"[Container] 2026/03/04 10:{i // 60:02d}:{i % 60:02d}.{i:05d} step {i}" for i in range(n)
    ]


@dataclass
class Server:
    """The logs endpoint: one window of the log as it stands, per request."""

    mode: str  # "first" or "last"
    cap: int  # the server's own ceiling on lines per answer

    def answer(self, snapshot: list[Line], limit: int) -> tuple[list[Line], bool]:
        w = min(limit, self.cap)
        window = snapshot[:w] if self.mode == "first" else snapshot[max(0, len(snapshot) - w) :]
        return window, len(snapshot) > len(window)  # nextToken when lines were left out


@dataclass
class Run:
    printed: list[str] = field(default_factory=list)
    step_markers: list[tuple[int, str]] = field(default_factory=list)  # (lines before it, marker)
    closing: list[str] = field(default_factory=list)
    windows: list[tuple[list[Line], bool]] = field(default_factory=list)
    tailer: LogTailer = field(default_factory=LogTailer)


def tail(log: list[Line], lengths: list[int], server: Server, limit: int) -> Run:
    """Poll once per snapshot length, then once more after the build ended (same log)."""
    run = Run()
    for length in [*lengths, lengths[-1]]:
        window, has_more = server.answer(log[:length], limit)
        run.windows.append((window, has_more))
        step = run.tailer.feed(window, requested_limit=limit, has_more=has_more)
        if step.marker is not None:
            run.step_markers.append((len(run.printed), step.marker))
        run.printed.extend(step.lines)
    run.closing = run.tailer.closing_markers()
    return run


def ideal(windows: list[tuple[list[Line], bool]]) -> list[int]:
    """Every line any answer showed, once, in log order (what a user could have seen)."""
    out: list[int] = []
    for window, _ in windows:
        out.extend(line.pos for line in window if not out or line.pos > out[-1])
    return out


def growth_fits(lengths: list[int], w: int) -> bool:
    """Every poll's window overlaps what the previous one showed (fewer than w new lines)."""
    nonempty = [n for n in lengths if n]
    return all(b - a < w for a, b in itertools.pairwise(nonempty))


def first_cut(windows: list[tuple[list[Line], bool]], limit: int) -> bool:
    """The first answer with lines was already cut off (token, or a full window)."""
    for window, has_more in windows:
        if window:
            return has_more or len(window) >= limit
    return False


Scenario = tuple[list[Line], list[int], Server, int]


@st.composite
def scenarios(draw: st.DrawFn, alphabet: list[str] | None = None) -> Scenario:
    limit = draw(st.integers(1, 12))
    cap = draw(st.one_of(st.just(limit), st.integers(1, limit)))
    steps = draw(st.lists(st.integers(0, 2 * limit + 2), min_size=1, max_size=12))
    lengths = []
    total = 0
    for growth in steps:
        total += growth
        lengths.append(total)
    if alphabet is None:
        log = make_log(unique_texts(total))
    else:
        log = make_log(draw(st.lists(st.sampled_from(alphabet), min_size=total, max_size=total)))
    mode = draw(st.sampled_from(["first", "last"]))
    return log, lengths, Server(mode, cap), limit


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_unique_lines_print_the_visible_log_once_in_order(scenario: Scenario) -> None:
    log, lengths, server, limit = scenario
    run = tail(log, lengths, server, limit)
    w = min(limit, server.cap)
    printed = [pos(line) for line in run.printed]

    assert printed == ideal(run.windows)
    assert run.tailer.ambiguities == 0
    cut = first_cut(run.windows, limit)
    if server.mode == "first":
        assert printed == list(range(min(w, len(log))))
        assert run.tailer.gaps == int(cut)
        assert run.tailer.mode != "last"
    else:
        nonempty = [n for n in lengths if n]
        no_overlap = sum(b - a >= w for a, b in itertools.pairwise(nonempty))
        assert run.tailer.gaps == int(cut) + no_overlap
        assert run.tailer.mode != "first"
        if growth_fits(lengths, w) and not cut:
            assert printed == list(range(len(log)))
    expected_markers = [m for _, m in run.step_markers]
    assert (
        expected_markers.count(GAP_MARKER) + expected_markers.count(TRUNCATED_START_MARKER)
        == run.tailer.gaps
    )
    assert (TRUNCATED_START_MARKER in expected_markers) == cut


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_mode_is_inferred_once_the_log_outgrows_an_answer(scenario: Scenario) -> None:
    log, lengths, server, limit = scenario
    run = tail(log, lengths, server, limit)
    if first_cut(run.windows, limit) or not run.printed:
        return
    w = min(limit, server.cap)
    truncated = [(win, more) for win, more in run.windows if more]
    if server.mode == "first":
        assert run.tailer.mode == ("first" if truncated else "unknown")
        assert run.closing == ([TRUNCATED_END_MARKER] if len(log) > w else [])
    else:
        cut_windows = [win for win, more in run.windows if win and (more or len(win) >= limit)]
        moved = any(win[0].pos > 0 for win in cut_windows)
        assert run.tailer.mode == ("last" if moved else "unknown")
        assert run.closing == []


@settings(max_examples=400, deadline=None)
@given(scenarios(alphabet=["a", "b", ""]))
def test_repeated_lines_never_print_twice_or_out_of_order(scenario: Scenario) -> None:
    log, lengths, server, limit = scenario
    run = tail(log, lengths, server, limit)
    printed = [pos(line) for line in run.printed]
    visible = ideal(run.windows)

    assert printed == sorted(set(printed))  # in order, no line twice
    assert set(printed) <= set(visible)
    noticed = run.step_markers or run.closing
    cut = first_cut(run.windows, limit)
    if not noticed and not cut and growth_fits(lengths, min(limit, server.cap)):
        assert printed == visible
    for _, marker in run.step_markers:
        assert marker in (AMBIGUOUS_MARKER, GAP_MARKER, TRUNCATED_START_MARKER)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10), st.integers(1, 8)), min_size=1, max_size=12),
    st.sampled_from(["first", "last"]),
)
def test_a_cap_that_changes_between_polls_never_repeats_a_line(
    polls: list[tuple[int, int]], mode: str
) -> None:
    """Servers that cap by bytes answer more or fewer lines as the lines change length."""
    limit = 8
    log = make_log(unique_texts(sum(g for g, _ in polls)))
    tailer = LogTailer()
    printed: list[int] = []
    windows = []
    length = 0
    for growth, cap in [*polls, (0, polls[-1][1])]:
        length += growth
        window, has_more = Server(mode, cap).answer(log[:length], limit)
        windows.append((window, has_more))
        step = tailer.feed(window, requested_limit=limit, has_more=has_more)
        printed += [pos(line) for line in step.lines]

    assert printed == ideal(windows)
    assert tailer.ambiguities == 0
    assert tailer.mode != ("last" if mode == "first" else "first")


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_a_token_on_every_answer_still_prints_each_line_once(scenario: Scenario) -> None:
    """Some log stores always return a token; only the markers may then be wrong."""
    log, lengths, server, limit = scenario
    tailer = LogTailer()
    printed: list[int] = []
    windows = []
    for length in [*lengths, lengths[-1]]:
        window, _ = server.answer(log[:length], limit)
        windows.append((window, True))
        printed += [
            pos(line) for line in tailer.feed(window, requested_limit=limit, has_more=True).lines
        ]

    assert printed == ideal(windows)


# Example tests, one per documented case.


def feed(
    tailer: LogTailer, lines: list[str], limit: int = 5, has_more: bool = False
) -> tuple[list[str], str | None]:
    step = tailer.feed(lines, requested_limit=limit, has_more=has_more)
    return step.lines, step.marker


def test_whole_log_answers_print_only_the_new_lines() -> None:
    t = LogTailer()
    assert feed(t, ["a"]) == (["a"], None)
    assert feed(t, ["a", "b", "c"]) == (["b", "c"], None)
    assert feed(t, ["a", "b", "c"]) == ([], None)
    assert t.mode == "unknown"


def test_empty_answer_before_the_build_starts_prints_nothing() -> None:
    t = LogTailer()
    assert feed(t, []) == ([], None)
    assert feed(t, [], has_more=True) == ([], None)
    assert feed(t, ["x"]) == (["x"], None)


def test_last_mode_aligns_on_the_overlap() -> None:
    t = LogTailer()
    feed(t, ["1", "2", "3"])
    assert feed(t, ["3", "4", "5", "6", "7"], has_more=True) == (["4", "5", "6", "7"], None)
    assert t.mode == "last"
    assert feed(t, ["6", "7", "8", "9", "10"], has_more=True) == (["8", "9", "10"], None)
    assert feed(t, ["6", "7", "8", "9", "10"], has_more=True) == ([], None)
    assert t.closing_markers() == []


def test_last_mode_without_overlap_prints_the_answer_after_a_gap_marker() -> None:
    t = LogTailer()
    feed(t, ["1", "2", "3"])
    assert feed(t, ["9", "10", "11", "12", "13"], has_more=True) == (
        ["9", "10", "11", "12", "13"],
        GAP_MARKER,
    )
    assert t.gaps == 1
    assert feed(t, ["12", "13", "14", "15", "16"], has_more=True) == (["14", "15", "16"], None)


def test_first_mode_prints_the_head_then_says_the_rest_is_out_of_reach() -> None:
    t = LogTailer()
    feed(t, ["1", "2"])
    assert feed(t, ["1", "2", "3", "4", "5"], has_more=True) == (["3", "4", "5"], None)
    assert t.mode == "first"
    assert feed(t, ["1", "2", "3", "4", "5"], has_more=True) == ([], None)
    assert t.closing_markers() == [TRUNCATED_END_MARKER]
    assert t.gaps == 0


def test_first_mode_with_a_smaller_answer_prints_nothing_again() -> None:
    t = LogTailer()
    feed(t, ["1", "2", "3", "4"])
    assert feed(t, ["1", "2", "3"], has_more=True) == ([], None)  # the server cap shrank


def test_an_answer_already_cut_on_first_sight_is_flagged() -> None:
    t = LogTailer()
    assert feed(t, ["7", "8", "9", "10", "11"], has_more=True) == (
        ["7", "8", "9", "10", "11"],
        TRUNCATED_START_MARKER,
    )
    assert t.gaps == 1
    assert feed(t, ["9", "10", "11", "12", "13"], has_more=True) == (["12", "13"], None)
    assert t.mode == "last"


def test_full_answer_without_token_is_not_taken_as_the_whole_log() -> None:
    t = LogTailer()
    feed(t, ["1", "2", "3"])
    # 5 lines asked, 5 answered, no token: could still be the last 5 of a longer log.
    assert feed(t, ["3", "4", "5", "6", "7"]) == (["4", "5", "6", "7"], None)
    assert t.mode == "last"


def test_repeated_lines_pick_the_fewest_new_lines_and_say_so() -> None:
    t = LogTailer()
    feed(t, ["x", "y", "x", "y"], limit=10)
    # Grew by 2 ("x", "y") or by 0: both fit a last-4 answer. Nothing printed twice.
    assert feed(t, ["x", "y", "x", "y"], limit=4, has_more=True) == ([], None)
    assert feed(t, ["y", "x", "y", "z"], limit=4, has_more=True) == (["z"], AMBIGUOUS_MARKER)
    assert t.ambiguities == 1


def test_ambiguity_at_the_very_end_is_reported_when_closing() -> None:
    t = LogTailer()
    feed(t, ["a", "x", "x"], limit=10)
    assert feed(t, ["x", "x"], limit=2, has_more=True) == ([], None)
    assert t.closing_markers() == [AMBIGUOUS_MARKER]
    assert t.ambiguities == 1
    assert t.closing_markers() == []
    assert t.ambiguities == 1


def test_a_shorter_whole_answer_prints_nothing() -> None:
    t = LogTailer()
    feed(t, ["a", "b", "c"], limit=10)
    assert feed(t, ["a", "b"], limit=10) == ([], None)  # a shrinking log prints nothing
    assert feed(t, ["a", "b", "c", "d"], limit=10) == (["d"], None)


def test_a_cut_first_answer_then_the_same_lines_as_the_whole_log() -> None:
    t = LogTailer()
    feed(t, ["5", "6"], limit=2, has_more=True)  # cut on first sight
    assert feed(t, ["5", "6"], limit=10) == ([], None)  # the whole log: nothing new, no gap
    assert t.gaps == 1


def test_a_whole_answer_anchors_the_known_lines_at_the_log_start() -> None:
    """After a whole answer the tailer knows the log's first lines, so a later cut answer
    that starts with them tells it the server keeps the first lines."""
    t = LogTailer()
    feed(t, ["5", "6"], limit=2, has_more=True)  # cut on first sight (a token sent anyway)
    assert feed(t, ["5", "6", "7"], limit=10) == (["7"], None)  # whole: starts at "5"
    assert feed(t, ["5", "6", "7", "8"], limit=4, has_more=True) == (["8"], None)
    assert t.mode == "first"


def test_a_larger_answer_after_a_gap_reaches_back_without_repeating() -> None:
    t = LogTailer()
    feed(t, ["5", "6"], limit=2, has_more=True)  # cut on first sight
    # The server now allows more lines and the whole log fits: only "7" is new.
    assert feed(t, ["1", "2", "3", "4", "5", "6", "7"], limit=10) == (["7"], None)
    assert feed(t, ["1", "2", "3", "4", "5", "6", "7", "8"], limit=10) == (["8"], None)


def retained_lines(tailer: LogTailer) -> int:
    """Log lines the tailer holds in memory: distinct `Line` objects reachable from it
    (without following classes, functions or modules, which lead to the test's own log)."""
    seen: set[int] = set()
    stack: list[object] = [tailer]
    count = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (type, types.ModuleType, types.FunctionType)):
            continue
        seen.add(id(obj))
        if isinstance(obj, Line):
            count += 1
        else:
            stack.extend(gc.get_referents(obj))
    return count


# docs/log-tailing.md: at most 20,000 lines (twice the API's largest limit) are kept.
KEPT_LINES = 20_000


@pytest.mark.parametrize(("limit", "total"), [(10_000, 60_000), (10_000, 120_000), (1_000, 30_000)])
def test_long_last_mode_log_keeps_bounded_memory_and_stays_exact(limit: int, total: int) -> None:
    """However long the log, the tailer holds the same bounded number of lines, and still
    prints every line once (the trim never cuts what the next answer must align on)."""
    log = make_log(unique_texts(total))
    t = LogTailer()
    printed: list[str] = []
    most = 0
    step = limit * 7 // 10
    for end in range(0, total + 1, step):
        window = log[max(0, end - limit) : end]
        printed += t.feed(window, requested_limit=limit, has_more=end > limit).lines
        most = max(most, retained_lines(t))
    printed += t.feed(log[-limit:], requested_limit=limit, has_more=True).lines
    assert [pos(line) for line in printed] == list(range(total))
    assert t.gaps == 0
    # The lines kept for alignment, plus the log's first line (to tell the modes apart).
    assert most <= KEPT_LINES + 1
