"""What every step of the flow is handed: settings, the API (its connection, builds and
agents by name), the storage client, the reporter, the run, and the one retry rule bound to
the run's cancellation. Tests hand in their own."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..api.agents import AgentsApi
from ..api.builds import BuildsApi
from ..api.connection import ApiConnection
from ..api.transport import HttpClient
from ..config import Settings
from ..report.reporter import Reporter
from ..retry_policy import retry
from ..run import Run
from ..runtime import Runtime
from .ports import AgentsPort, BuildsPort

T = TypeVar("T")


@dataclass(frozen=True)
class Tools:
    settings: Settings
    connection: ApiConnection
    builds: BuildsPort
    agents: AgentsPort
    storage: HttpClient
    out: Reporter
    run: Run
    runtime: Runtime = field(default_factory=Runtime)
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def over(
        cls,
        settings: Settings,
        connection: ApiConnection,
        storage: HttpClient,
        out: Reporter,
        run: Run,
        runtime: Runtime | None = None,
        rng: random.Random | None = None,
    ) -> Tools:
        """The API clients over one connection."""
        return cls(
            settings,
            connection,
            BuildsApi(connection),
            AgentsApi(connection),
            storage,
            out,
            run,
            runtime or Runtime(),
            rng or random.Random(),
        )

    def retry(self, attempt: Callable[[], T], what: str) -> T:
        """`attempt` under the run's retry budget, waiting in a way cancellation ends."""
        return retry(
            attempt,
            what=what,
            policy=self.connection.policy,
            wait=self.run.wait,
            rng=self.rng,
            on_retry=self.out.line,
        )

    def with_reporter(self, out: Reporter) -> Tools:
        return dataclasses.replace(self, out=out)
