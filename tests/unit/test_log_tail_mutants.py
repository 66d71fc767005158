"""The tailer's ambiguity markers and count, each announced once (docs/testing.md).

AMBIGUOUS_MARKER tells a reader that lines identical to ones just printed may be missing; it
must come once per ambiguity, not again before every later line, and `ambiguities` must count
every one of them, whether announced before new lines or by `closing_markers()`.
"""

from __future__ import annotations

from pipecat_build.log_tail import AMBIGUOUS_MARKER, LogTailer


def feed(
    tailer: LogTailer, lines: list[str], limit: int, has_more: bool = True
) -> tuple[list[str], str | None]:
    step = tailer.feed(lines, requested_limit=limit, has_more=has_more)
    return step.lines, step.marker


def test_an_announced_ambiguity_is_not_announced_again() -> None:
    t = LogTailer()
    feed(t, ["x", "y", "x", "y"], limit=10, has_more=False)
    assert feed(t, ["x", "y", "x", "y"], limit=4) == ([], None)  # grew by 0 or by 2
    assert feed(t, ["y", "x", "y", "z"], limit=4) == (["z"], AMBIGUOUS_MARKER)
    # The next lines align without doubt: no marker, nothing left to say at the end.
    assert feed(t, ["y", "z", "w", "v"], limit=4) == (["w", "v"], None)
    assert t.closing_markers() == []
    assert t.ambiguities == 1


def test_every_ambiguity_is_counted_when_announced_before_new_lines() -> None:
    t = LogTailer()
    feed(t, ["a", "x", "x"], limit=10, has_more=False)
    assert feed(t, ["x", "x", "b"], limit=3) == (["b"], AMBIGUOUS_MARKER)  # j = 1 or 2
    assert feed(t, ["b", "y", "y"], limit=3) == (["y", "y"], None)
    assert feed(t, ["y", "y", "c"], limit=3) == (["c"], AMBIGUOUS_MARKER)  # j = 1 or 2
    assert t.ambiguities == 2
    assert t.closing_markers() == []


def test_an_ambiguity_left_for_closing_adds_to_the_ones_announced() -> None:
    t = LogTailer()
    feed(t, ["a", "x", "x"], limit=10, has_more=False)
    assert feed(t, ["x", "x", "b"], limit=3) == (["b"], AMBIGUOUS_MARKER)
    assert feed(t, ["b", "x", "x"], limit=3) == (["x", "x"], None)
    assert feed(t, ["x", "x"], limit=2) == ([], None)  # grew by 0, 1 or 2: nothing new
    assert t.closing_markers() == [AMBIGUOUS_MARKER]
    assert t.ambiguities == 2
