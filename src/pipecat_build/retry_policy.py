"""When to retry and how long to wait first: the one place every loop of a run asks.

The API documents no rate limit, but a CI job has to survive 429s, 5xx answers and short
outages without hammering the service: full-jitter exponential backoff, a floor set by
Retry-After, and one time budget per step (`retry-budget`), so an outage of a minute or two
costs time, never a red build. `retry()` runs any attempt under that rule; attempts say
"try again" by raising `Transient`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

__all__ = [
    "Deadline",
    "RetryDecision",
    "RetryPolicy",
    "Transient",
    "budget_policy",
    "is_retryable_status",
    "parse_retry_after",
    "retry",
    "retry_after_seconds",
]

T = TypeVar("T")
DEFAULT_BUDGET = 300.0  # seconds a step keeps trying through an outage
BASE_DELAY = 0.5
MAX_DELAY = 20.0
BASE_DELAY_ENV = "PIPECAT_BUILD_RETRY_BASE_DELAY"  # first backoff ceiling, seconds (tests)

_MAX_EXPONENT = 60  # 2**60 * any sane base delay is far past any cap; avoids float overflow


def is_retryable_status(status: int) -> bool:
    """429 and every 5xx may succeed later; any other 4xx will fail the same way again."""
    return status == 429 or 500 <= status <= 599


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable.

    A date in the past means 0. `now` should be aware; a naive one (or a date without a
    zone) is taken as UTC, which is what HTTP-dates are.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    from email.utils import parsedate_to_datetime  # rare: most servers send seconds

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: the RFC's integer or HTTP-date, and also a decimal number
    (some services and proxies send "0.5"); None when absent or unusable."""
    text = (value or "").strip()
    try:
        seconds = float(text)
    except ValueError:
        return parse_retry_after(value, now or datetime.now(UTC))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


class Deadline:
    """Time left for one logical call (all its attempts), read from an injected clock."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._ends = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._ends - self._clock())

    def expired(self) -> bool:
        return self.remaining() <= 0.0


GiveUpReason = Literal["not retryable", "attempts exhausted", "retry-after too long", "deadline"]


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Whether to try again, after how many seconds, and if not, why (for the error text)."""

    retry: bool
    delay: float = 0.0
    reason: GiveUpReason | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt count, backoff and deadline for one logical API call.

    Attempts are numbered from 0; `attempt` in every method is the one that just failed.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    total_deadline: float = 120.0  # seconds for one logical call including retries

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 <= self.base_delay <= self.max_delay or not math.isfinite(self.max_delay):
            raise ValueError("need 0 <= base_delay <= max_delay < inf")
        if not self.total_deadline > 0:
            raise ValueError("total_deadline must be positive")

    @property
    def max_retry_after(self) -> float:
        """The longest Retry-After worth waiting for (3 x max_delay); longer ones give up."""
        return 3 * self.max_delay

    def backoff_ceiling(self, attempt: int) -> float:
        """Upper bound of the jittered wait after `attempt`: base * 2**attempt, capped."""
        return min(self.max_delay, math.ldexp(self.base_delay, min(max(attempt, 0), _MAX_EXPONENT)))

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter (uniform over [0, ceiling]) so clients that failed together spread out."""
        return rng.uniform(0.0, self.backoff_ceiling(attempt))

    def delay_before_retry(
        self, attempt: int, retry_after: float | None, rng: random.Random
    ) -> float:
        """Seconds to sleep before the next attempt; never less than the server's Retry-After.

        A Retry-After above `max_retry_after` is not shortened (that would defy the server):
        the result is `math.inf`, which no deadline can fit, so the caller gives up.
        """
        delay = self.backoff(attempt, rng)
        if retry_after is None:
            return delay
        if retry_after > self.max_retry_after:
            return math.inf
        return max(delay, retry_after)

    def attempts(self) -> range:
        """The attempt numbers to loop over."""
        return range(self.max_attempts)

    def deadline(self, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """A fresh deadline for one logical call."""
        return Deadline(self.total_deadline, clock)

    def plan(
        self,
        attempt: int,
        *,
        retryable: bool,
        retry_after: float | None,
        deadline: Deadline,
        rng: random.Random,
    ) -> RetryDecision:
        """Decide what follows a failed `attempt`, in one place for every call site."""
        if not retryable:
            return RetryDecision(False, reason="not retryable")
        if attempt + 1 >= self.max_attempts:
            return RetryDecision(False, reason="attempts exhausted")
        delay = self.delay_before_retry(attempt, retry_after, rng)
        if math.isinf(delay):
            return RetryDecision(False, reason="retry-after too long")
        if delay >= deadline.remaining():
            return RetryDecision(False, reason="deadline")
        return RetryDecision(True, delay)


def base_delay(environ: Mapping[str, str]) -> float:
    """The first backoff: PIPECAT_BUILD_RETRY_BASE_DELAY may shorten it (tests inject hundreds
    of faults and must not sleep for real); anything but a delay up to MAX_DELAY keeps
    BASE_DELAY."""
    raw = environ.get(BASE_DELAY_ENV, "").strip()
    try:
        base = float(raw)
    except ValueError:
        return BASE_DELAY
    return base if 0 < base <= MAX_DELAY else BASE_DELAY


def budget_policy(budget: float = DEFAULT_BUDGET, base: float = BASE_DELAY) -> RetryPolicy:
    """The run's policy: attempts bounded by the budget, not by a count (an outage is measured
    in seconds)."""
    return RetryPolicy(
        max_attempts=10_000, base_delay=base, max_delay=MAX_DELAY, total_deadline=budget
    )


class Transient(Exception):
    """Raised by an attempt that may succeed later; `failure` is what the user sees when the
    budget runs out."""

    def __init__(
        self, failure: Exception, problem: str, retry_after: float | None = None
    ) -> None:
        super().__init__(problem)
        self.failure = failure
        self.problem = problem
        self.retry_after = retry_after


def retry(
    attempt: Callable[[], T],
    *,
    what: str,
    policy: RetryPolicy,
    wait: Callable[[float], None],
    rng: random.Random,
    on_retry: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Runs `attempt` until it returns, raises something other than `Transient`, or the
    policy gives up (then the last failure is raised). `wait` sleeps and may raise on
    cancellation, so a long outage never delays a cancelled job."""
    deadline = policy.deadline(clock)
    for number in policy.attempts():
        try:
            return attempt()
        except Transient as transient:
            decision = policy.plan(
                number,
                retryable=True,
                retry_after=transient.retry_after,
                deadline=deadline,
                rng=rng,
            )
            if not decision.retry:
                raise transient.failure from None
            on_retry(
                f"{what}: {transient.problem}; retrying in {decision.delay:.1f}s "
                f"({deadline.remaining():.0f}s of retry-budget left)"
            )
            wait(decision.delay)
    raise AssertionError("unreachable: the policy ends the loop")
