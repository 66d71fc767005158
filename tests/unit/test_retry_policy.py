"""Retry decisions: backoff bounds, Retry-After, which statuses retry, deadlines (fake clock)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecat_build.retry_policy import (
    Deadline,
    RetryPolicy,
    Transient,
    budget_policy,
    is_retryable_status,
    parse_retry_after,
    retry,
)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 10),
    base_delay=st.floats(0.0, 5.0),
    max_delay=st.floats(5.0, 60.0),
    total_deadline=st.floats(1.0, 600.0),
)
attempts = st.integers(0, 2000)


@settings(max_examples=300, deadline=None)
@given(policies, attempts, st.integers(0, 2**32))
def test_backoff_stays_between_zero_and_the_capped_exponential(
    policy: RetryPolicy, attempt: int, seed: int
) -> None:
    ceiling = min(policy.max_delay, policy.base_delay * 2.0 ** min(attempt, 60))
    delay = policy.backoff(attempt, random.Random(seed))
    assert 0.0 <= delay <= ceiling
    assert policy.backoff_ceiling(attempt) == pytest.approx(ceiling)


@settings(max_examples=200, deadline=None)
@given(policies, attempts)
def test_backoff_ceiling_grows_with_attempts_up_to_max_delay(
    policy: RetryPolicy, attempt: int
) -> None:
    assert policy.backoff_ceiling(attempt) <= policy.backoff_ceiling(attempt + 1)
    assert policy.backoff_ceiling(attempt) <= policy.max_delay


def test_backoff_is_jittered_not_fixed() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)
    delays = {policy.backoff(5, rng) for _ in range(50)}
    assert len(delays) > 40
    assert max(delays) > policy.backoff_ceiling(5) / 2 > min(delays)


@settings(max_examples=300, deadline=None)
@given(policies, attempts, st.floats(0.0, 1000.0), st.integers(0, 2**32))
def test_retry_after_is_never_cut_short(
    policy: RetryPolicy, attempt: int, retry_after: float, seed: int
) -> None:
    delay = policy.delay_before_retry(attempt, retry_after, random.Random(seed))
    assert delay >= retry_after
    if retry_after <= policy.max_retry_after:
        assert delay <= max(retry_after, policy.backoff_ceiling(attempt))
    else:
        assert delay == math.inf  # too long to wait: the caller gives up instead


def test_without_retry_after_the_delay_is_the_backoff() -> None:
    policy = RetryPolicy()
    assert policy.delay_before_retry(3, None, random.Random(1)) == policy.backoff(
        3, random.Random(1)
    )


@pytest.mark.parametrize("status", [429, 500, 501, 502, 503, 504, 599])
def test_rate_limits_and_server_errors_are_retried(status: int) -> None:
    assert is_retryable_status(status)


@settings(max_examples=100, deadline=None)
@given(st.integers(100, 499).filter(lambda s: s != 429))
def test_other_statuses_are_not_retried(status: int) -> None:
    assert not is_retryable_status(status)


NOW = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


@given(st.integers(0, 10**6))
def test_retry_after_seconds_form(seconds: int) -> None:
    assert parse_retry_after(str(seconds), NOW) == seconds
    assert parse_retry_after(f"  {seconds} ", NOW) == seconds


@given(st.integers(-86_400, 86_400))
def test_retry_after_http_date_form(offset: int) -> None:
    header = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert parse_retry_after(header, NOW) == max(0, offset)


def test_retry_after_date_compares_across_time_zones() -> None:
    header = "Wed, 04 Mar 2026 10:00:30 GMT"
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert parse_retry_after(header, paris) == 30
    assert parse_retry_after(header, NOW.replace(tzinfo=None)) == 30  # naive now means UTC


@pytest.mark.parametrize("value", [None, "", "  ", "soon", "-5", "1.5", "Wed, 99 Foo 2026", "٣"])
def test_unusable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_deadline_counts_down_on_the_injected_clock() -> None:
    clock = FakeClock()
    deadline = Deadline(10.0, clock)
    assert deadline.remaining() == 10.0
    clock.now += 4
    assert deadline.remaining() == 6.0
    assert not deadline.expired()
    clock.now += 6
    assert deadline.expired()
    clock.now += 100
    assert deadline.remaining() == 0.0


def test_plan_retries_transient_failures_then_gives_up_after_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=3, total_deadline=1000)
    deadline = policy.deadline(FakeClock())
    rng = random.Random(0)
    kw = {"retryable": True, "retry_after": None, "deadline": deadline, "rng": rng}
    first, second, third = (policy.plan(a, **kw) for a in policy.attempts())  # type: ignore[arg-type]
    assert first.retry and second.retry
    assert (third.retry, third.reason) == (False, "attempts exhausted")


def test_plan_never_retries_a_client_error() -> None:
    policy = RetryPolicy()
    decision = policy.plan(
        0,
        retryable=is_retryable_status(404),
        retry_after=None,
        deadline=policy.deadline(FakeClock()),
        rng=random.Random(0),
    )
    assert (decision.retry, decision.reason) == (False, "not retryable")


def test_plan_gives_up_when_the_wait_does_not_fit_the_deadline() -> None:
    clock = FakeClock()
    policy = RetryPolicy(total_deadline=30)
    deadline = policy.deadline(clock)
    rng = random.Random(0)
    ok = policy.plan(0, retryable=True, retry_after=20, deadline=deadline, rng=rng)
    assert ok.retry and ok.delay >= 20
    clock.now += 15  # 15 s left, the server asks for 20
    late = policy.plan(1, retryable=True, retry_after=20, deadline=deadline, rng=rng)
    assert (late.retry, late.reason) == (False, "deadline")


def test_plan_refuses_a_retry_after_beyond_the_cap() -> None:
    policy = RetryPolicy(max_delay=20, total_deadline=1000)
    decision = policy.plan(
        0,
        retryable=True,
        retry_after=61,
        deadline=policy.deadline(FakeClock()),
        rng=random.Random(0),
    )
    assert (decision.retry, decision.reason) == (False, "retry-after too long")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"base_delay": -1},
        {"base_delay": 30, "max_delay": 20},
        {"max_delay": math.inf},
        {"total_deadline": 0},
    ],
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


class Clock:
    """A fake clock that `wait` advances, so a budget of minutes runs in microseconds."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _outage(clock: Clock, until: float) -> object:
    """An attempt that fails as a 503 would until the clock passes `until`."""

    def attempt() -> str:
        if clock.now < until:
            raise Transient(RuntimeError("HTTP 503"), "HTTP 503")
        return "ok"

    return attempt


def test_a_90_second_outage_is_ridden_out_within_the_budget() -> None:
    clock = Clock()
    lines: list[str] = []
    policy = budget_policy(300.0)
    result = retry(_outage(clock, 90.0), what="list builds", policy=policy, wait=clock.wait,  # type: ignore[arg-type]
                   rng=random.Random(1), on_retry=lines.append, clock=clock)
    assert result == "ok" and clock.now >= 90.0
    assert lines and all("retry-budget left" in line for line in lines)
    assert all(w <= policy.max_delay for w in clock.waits)


def test_an_outage_longer_than_the_budget_fails_with_the_last_failure() -> None:
    clock = Clock()
    policy = budget_policy(60.0)
    with pytest.raises(RuntimeError, match="503"):
        retry(_outage(clock, 1e9), what="x", policy=policy, wait=clock.wait,  # type: ignore[arg-type]
              rng=random.Random(2), on_retry=lambda line: None, clock=clock)
    assert 0 < clock.now <= 60.0


def test_other_errors_are_not_retried() -> None:
    clock = Clock()

    def attempt() -> None:
        raise ValueError("HTTP 400")

    with pytest.raises(ValueError):
        retry(attempt, what="x", policy=budget_policy(300.0), wait=clock.wait,
              rng=random.Random(3), on_retry=lambda line: None, clock=clock)
    assert clock.waits == []


def test_retry_after_sets_the_floor_of_the_wait() -> None:
    clock = Clock()
    calls = iter([True, False])

    def attempt() -> str:
        if next(calls):
            raise Transient(RuntimeError("429"), "HTTP 429", retry_after=7.0)
        return "ok"

    assert retry(attempt, what="x", policy=budget_policy(300.0), wait=clock.wait,
                 rng=random.Random(4), on_retry=lambda line: None, clock=clock) == "ok"
    assert clock.waits and clock.waits[0] >= 7.0
