"""The API client against the emulator over loopback: what is retried, how long it waits, what
is never retried, and the timeouts every request carries."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pipecat_build.api.builds import BuildsApi, RegionRefused
from pipecat_build.api.connection import AnswerLost, ApiConnection, ApiError, api_timeout
from pipecat_build.api.transport import HttpClient, HttpResponse
from pipecat_build.errors import InputError
from pipecat_build.retry_policy import (
    RetryPolicy,
    base_delay,
    budget_policy,
    retry_after_seconds,
)
from pipecat_cloud_emulator import Emulator, EmulatorConfig, Fault
from tests.action_harness import TEST_KEY


class TimedSession(HttpClient):
    """A real client that notes (connect, read) of each request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[tuple[float, float | None]] = []

    def request(self, *args: Any, **kwargs: Any) -> HttpResponse:
        timeout = kwargs["timeout"]
        self.timeouts.append((timeout.connect, timeout.total))
        return super().request(*args, **kwargs)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(api_key=TEST_KEY)) as emulator:
        yield emulator


def PipecatApi(session: HttpClient, url: str, key: str, **kwargs: Any) -> BuildsApi:
    return BuildsApi(ApiConnection(session, url, key, **kwargs))


def client(emu: Emulator, sleeps: list[float], **kwargs: Any) -> tuple[BuildsApi, TimedSession]:
    session = TimedSession()
    policy = kwargs.pop("policy", RetryPolicy(max_attempts=8, base_delay=0.01, max_delay=0.2))
    api = PipecatApi(session, emu.api_url, TEST_KEY, policy=policy, sleep=sleeps.append,
                     rng=random.Random(7), **kwargs)
    return api, session


def sent(emu: Emulator, path: str) -> int:
    return sum(1 for r in emu.requests if r.path == path)


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda api: api.get_build("not-a-uuid"), 400),
        (lambda api: api.get_build(str(uuid.uuid4())), 404),
        (lambda api: api.request_upload("mars-north"), 400),
    ],
)
@pytest.mark.contract_bad_requests("a build id that is not a uuid, on purpose")
def test_client_errors_other_than_429_are_sent_once(emu: Emulator, call: Any, status: int) -> None:
    sleeps: list[float] = []
    api, _ = client(emu, sleeps)
    with pytest.raises((ApiError, InputError, RegionRefused)) as caught:
        call(api)
    # A refused region is followed by one look at the valid ones (GET /v1/regions).
    refused = [r for r in emu.requests if r.path != "/v1/regions"]
    assert len(refused) == 1 and refused[0].status == status
    assert sleeps == []
    assert TEST_KEY not in str(caught.value)


def test_an_unknown_region_is_refused_with_the_valid_ones(emu: Emulator) -> None:
    api, _ = client(emu, [])
    with pytest.raises(RegionRefused) as caught:
        api.request_upload("mars-north")
    assert caught.value.region == "mars-north"
    assert caught.value.detail.startswith("'mars-north' is not a Pipecat Cloud region; use one of")
    assert "us-west" in caught.value.detail


def test_a_rejected_key_is_sent_once(emu: Emulator) -> None:
    api = PipecatApi(HttpClient(), emu.api_url, "pk_wrong", sleep=lambda s: None)
    with pytest.raises(InputError, match="401"):
        api.default_region()
    assert len(emu.requests) == 1


def test_429_waits_at_least_retry_after(emu: Emulator) -> None:
    # Longer than any backoff this policy would pick (at most 0.2 s), so the floor shows.
    emu.inject(Fault("429", "GET /v1/properties", count=2, retry_after=0.5))
    sleeps: list[float] = []
    api, _ = client(emu, sleeps)
    assert api.default_region() == "us-west"
    assert len(sleeps) == 2 and all(s >= 0.5 for s in sleeps)
    assert sent(emu, "/v1/properties") == 3


def test_a_retry_after_beyond_what_is_worth_waiting_gives_up(emu: Emulator) -> None:
    emu.inject(Fault("429", "GET /v1/properties", retry_after=3600))
    sleeps: list[float] = []
    api, _ = client(emu, sleeps)
    with pytest.raises(ApiError, match="429"):
        api.default_region()
    assert sleeps == []


@pytest.mark.parametrize("kind", ["500", "502", "503", "reset", "lost", "non_json", "truncated"])
def test_transient_faults_are_retried_with_full_jitter(emu: Emulator, kind: str) -> None:
    emu.inject(Fault(kind, "GET /v1/builds", count=4))
    sleeps: list[float] = []
    api, _ = client(emu, sleeps)
    assert api.find_builds("0" * 16, "us-west") == []
    assert sent(emu, "/v1/builds") == 5
    policy = api.api.policy
    assert all(0 <= s <= policy.backoff_ceiling(n) for n, s in enumerate(sleeps))
    assert len(sleeps) == 4


def test_a_stalled_answer_times_out_and_is_retried(emu: Emulator) -> None:
    emu.inject(Fault("stall", "GET /v1/properties", stall_seconds=2))
    sleeps: list[float] = []
    api, session = client(emu, sleeps, timeout=(1.0, 0.3))
    assert api.default_region() == "us-west"
    # The stalled request is recorded only when its late answer is sent: count what left.
    assert session.timeouts == [(1.0, 0.3), (1.0, 0.3)] and len(sleeps) == 1


def test_the_deadline_bounds_the_retries(emu: Emulator) -> None:
    emu.inject(Fault("503", "GET /v1/properties", count=1000))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    policy = RetryPolicy(max_attempts=100, base_delay=0.1, max_delay=0.1, total_deadline=0.6)
    api = PipecatApi(HttpClient(), emu.api_url, TEST_KEY, policy=policy, sleep=sleep)
    with pytest.raises(ApiError, match="503"):
        api.default_region()
    assert sum(sleeps) < 0.6 and sent(emu, "/v1/properties") == len(sleeps) + 1 < 100


def test_every_request_carries_connect_and_read_timeouts(emu: Emulator) -> None:
    sleeps: list[float] = []
    api, session = client(emu, sleeps)
    api.default_region()
    api.find_builds("0" * 16, "us-west")
    ticket = api.request_upload("us-west")
    with pytest.raises(ApiError):
        api.create_build(ticket.upload_id, "us-west", "Dockerfile")  # nothing uploaded: 400
    assert len(session.timeouts) == 4
    for timeout in session.timeouts:
        connect, read = timeout
        assert 0 < connect <= 60 and read is not None and 0 < read <= 60


@pytest.mark.parametrize(("kind", "pending"), [("lost", False), ("500", False), ("502", True),
                                                ("stall", True)])
def test_a_create_is_never_retried_by_the_client_itself(
    emu: Emulator, kind: str, pending: bool
) -> None:
    emu.inject(Fault(kind, "POST /v1/builds", stall_seconds=1))
    api, session = client(emu, [], timeout=(1.0, 0.3))
    with pytest.raises(AnswerLost) as caught:
        api.create_build(str(uuid.uuid4()), "us-west", "Dockerfile")
    assert caught.value.maybe_pending is pending
    assert len(session.timeouts) == 1


def test_environment_knobs_shorten_only_what_they_name() -> None:
    assert api_timeout({}) == (10.0, 30.0)
    assert api_timeout({"PIPECAT_BUILD_HTTP_TIMEOUT": "0.5"}) == (10.0, 0.5)
    for junk in ("", "soon", "-1", "0", "nan", "inf"):
        assert api_timeout({"PIPECAT_BUILD_HTTP_TIMEOUT": junk}) == (10.0, 30.0)
    production = budget_policy()
    assert production.base_delay == 0.5 and production.total_deadline == 300.0
    assert base_delay({"PIPECAT_BUILD_RETRY_BASE_DELAY": "0.01"}) == 0.01
    assert budget_policy(90.0).total_deadline == 90.0


@pytest.mark.parametrize(("header", "seconds"), [("2", 2.0), ("0.2", 0.2), (None, None),
                                                  ("soon", None), ("-3", None)])
def test_retry_after_values(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds
