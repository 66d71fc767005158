"""What every step of the flow is handed: settings, API, storage client, reporter, the run,
and the one retry rule bound to the run's cancellation."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..api.builds import BuildsApi
from ..api.transport import HttpClient
from ..report.reporter import Reporter
from ..retry_policy import retry
from ..run import Run
from ..settings import Settings

T = TypeVar("T")


@dataclass
class Tools:
    settings: Settings
    builds: BuildsApi
    storage: HttpClient
    out: Reporter
    run: Run
    rng: random.Random = field(default_factory=random.Random)

    def retry(self, attempt: Callable[[], T], what: str) -> T:
        """`attempt` under the run's retry budget, waiting in a way cancellation ends."""
        return retry(
            attempt,
            what=what,
            policy=self.builds.api.policy,
            wait=self.run.wait,
            rng=self.rng,
            on_retry=self.out.line,
        )

    def with_reporter(self, out: Reporter) -> Tools:
        return Tools(self.settings, self.builds, self.storage, out, self.run, self.rng)
