"""Retry policy edges that mutation testing showed no test pinned (docs/testing.md).

Each test states a behaviour a user of the action relies on: which answers are retried, how
long a Retry-After makes the action wait, when it gives up, and the retry-budget knobs.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pipecat_build.retry_policy import (
    DEFAULT_BUDGET,
    Deadline,
    RetryPolicy,
    Transient,
    base_delay,
    budget_policy,
    is_retryable_status,
    parse_retry_after,
    retry,
    retry_after_seconds,
)
from tests.unit.test_retry_policy import Clock

NOW = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


def test_statuses_past_the_5xx_range_are_not_retried() -> None:
    assert is_retryable_status(599)
    assert not is_retryable_status(600)


def test_an_http_date_without_a_zone_is_read_as_utc() -> None:
    # "-0000" is RFC 5322's "zone unknown": parsed as a naive time, which HTTP means as GMT.
    assert parse_retry_after("Wed, 04 Mar 2026 10:00:30 -0000", NOW) == 30


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("0.5", 0.5),  # decimal seconds, as some proxies send
        (" 2.25 ", 2.25),
        ("-1", None),
        ("inf", None),
        ("nan", None),
        ("", None),
        (None, None),
        ("soon", None),
        ("Wed, 04 Mar 2026 10:01:00 GMT", 60.0),
        ("Wed, 04 Mar 2026 09:00:00 GMT", 0.0),  # a date in the past: no wait
    ],
)
def test_retry_after_header_values(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds


def test_an_http_date_is_read_against_the_real_clock_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30: a local clock read as UTC is wrong
    time.tzset()
    try:
        header = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
        waited = retry_after_seconds(header)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert waited is not None and 100 <= waited <= 121


def test_a_deadline_with_half_a_second_left_is_not_expired() -> None:
    clock = Clock()
    deadline = Deadline(0.5, clock)
    assert not deadline.expired()
    clock.now += 0.5
    assert deadline.expired()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"base_delay": 30, "max_delay": 20}, "base_delay"),
        ({"total_deadline": 0}, "total_deadline"),
    ],
)
def test_a_nonsense_policy_names_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=rf"^(need .*)?{field}"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_a_single_attempt_policy_is_valid_and_never_retries() -> None:
    policy = RetryPolicy(max_attempts=1)
    decision = policy.plan(0, retryable=True, retry_after=None,
                           deadline=policy.deadline(Clock()), rng=random.Random(0))
    assert (decision.retry, decision.reason) == (False, "attempts exhausted")


def test_a_retry_after_of_exactly_the_cap_is_still_honoured() -> None:
    policy = RetryPolicy(max_delay=20, total_deadline=1000)  # cap: 3 x 20 s
    decision = policy.plan(0, retryable=True, retry_after=60.0,
                           deadline=policy.deadline(Clock()), rng=random.Random(0))
    assert decision.retry and decision.delay == 60.0


def test_a_wait_that_would_use_the_whole_remaining_budget_gives_up() -> None:
    policy = RetryPolicy(base_delay=0.0, total_deadline=30)
    decision = policy.plan(0, retryable=True, retry_after=30.0,
                           deadline=policy.deadline(Clock()), rng=random.Random(0))
    assert (decision.retry, decision.reason) == (False, "deadline")


@pytest.mark.parametrize(
    ("value", "base"),
    [
        ("0.01", 0.01),
        (" 20 ", 20.0),  # the cap itself is allowed
        ("20.5", 0.5),  # above the cap: the default
        ("0", 0.5),
        ("-1", 0.5),
        ("fast", 0.5),
        ("", 0.5),
    ],
)
def test_the_base_delay_knob(value: str, base: float) -> None:
    assert base_delay({"PIPECAT_BUILD_RETRY_BASE_DELAY": value}) == base
    policy = budget_policy(60.0, base_delay({"PIPECAT_BUILD_RETRY_BASE_DELAY": value}))
    assert policy.base_delay == base
    assert policy.max_delay == 20.0
    assert policy.total_deadline == 60.0


def test_the_policy_defaults_to_production_backoff_and_budget() -> None:
    assert budget_policy().base_delay == 0.5
    assert budget_policy().total_deadline == DEFAULT_BUDGET == 300.0
    assert base_delay({}) == 0.5


def test_a_transient_failure_reads_as_its_problem() -> None:
    transient = Transient(RuntimeError("HTTP 503"), "HTTP 503 from list builds", retry_after=2.0)
    assert str(transient) == "HTTP 503 from list builds"
    assert transient.retry_after == 2.0


def test_each_retry_line_says_what_failed_how_long_it_waits_and_the_budget_left() -> None:
    clock = Clock()
    lines: list[str] = []
    calls = iter([True, False])

    def attempt() -> str:
        if next(calls):
            raise Transient(RuntimeError("HTTP 503"), "HTTP 503", retry_after=7.0)
        return "ok"

    policy = RetryPolicy(base_delay=0.0, total_deadline=100.0)
    result = retry(attempt, what="list builds", policy=policy, wait=clock.wait,
                   rng=random.Random(0), on_retry=lines.append, clock=clock)
    assert result == "ok"
    assert clock.waits == [7.0]
    assert lines == ["list builds: HTTP 503; retrying in 7.0s (100s of retry-budget left)"]


def test_giving_up_raises_the_last_failure_itself() -> None:
    clock = Clock()
    failure = RuntimeError("HTTP 502")

    def attempt() -> str:
        raise Transient(failure, "HTTP 502")

    with pytest.raises(RuntimeError) as caught:
        retry(attempt, what="x", policy=RetryPolicy(max_attempts=2, base_delay=0.0),
              wait=clock.wait, rng=random.Random(0), on_retry=lambda line: None, clock=clock)
    assert caught.value is failure
    assert len(clock.waits) == 1 and not math.isinf(clock.waits[0])
