"""Step 4: create the build. Creating is not idempotent: when an answer is lost, look for the
build it may have made before trying again, so one context never builds twice."""

from __future__ import annotations

from ..api.connection import AnswerLost
from ..models import Build, BuildStatus, CreateAnswer, UploadTicket
from ..outcome import BuildKey
from ..retry_policy import Transient
from .reuse import ADOPT_WINDOW, CREATE_SPREAD, find_running_or_done
from .tools import Tools


def spread_then_look(tools: Tools, key: BuildKey) -> Build | None:
    """Runs of one context started together would each find nothing and each create a build;
    a random pause before one more look lets the later one find the earlier one's."""
    tools.run.wait(tools.rng.uniform(0.0, min(CREATE_SPREAD, tools.settings.poll_interval)))
    return find_running_or_done(tools.builds, key)


def _look_for_lost_build(
    tools: Tools, key: BuildKey, since: float, *, settle: bool
) -> Build | None:
    """After a timeout the service may still be creating the build: keep looking for as long
    as a request may take (the read timeout) before concluding it was never made."""
    read_timeout = tools.connection.timeout[1] if settle else 0.0
    ends = tools.run.clock() + read_timeout
    step = max(0.1, read_timeout / 6)
    while True:
        found = find_running_or_done(tools.builds, key, since)
        left = ends - tools.run.clock()
        if found is not None or left <= 0:
            return found
        tools.run.wait(min(step, left))


def create(tools: Tools, ticket: UploadTicket, key: BuildKey) -> CreateAnswer:
    since = tools.run.now() - ADOPT_WINDOW

    def attempt() -> CreateAnswer:
        try:
            return tools.builds.create_build(ticket.upload_id, key.region, key.dockerfile)
        except AnswerLost as exc:
            tools.out.line(f"{exc}; checking whether the build was created anyway")
            found = _look_for_lost_build(tools, key, since, settle=exc.maybe_pending)
            if found is None:
                raise Transient(exc, "the build was not created") from None
            tools.out.line(f"found build {found.id}: adopting it")
            cached = found.status is BuildStatus.SUCCESS and found.created_at < since
            return CreateAnswer(found, cached)

    return tools.retry(attempt, "create the build")
