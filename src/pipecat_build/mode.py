"""The run's mode: the one decision about what a run does, made once from the inputs."""

from __future__ import annotations

import enum


class RunMode(enum.Enum):
    """What a run does. Decided once, by `config.build_settings`; the job dispatches on it in
    one place (`job.RUNNERS`), and the outputs table says which outputs each mode sets."""

    BUILD = "build"  # one context: build or reuse its image, then deploy it if asked
    SERVICES = "services"  # several contexts (`services`) at once, each as BUILD
    PLAN = "plan"  # one context: hash it and ask whether it needs a build; nothing uploaded
    PLAN_SERVICES = "plan-services"  # the same for every service, for a matrix

    @property
    def many(self) -> bool:
        """Targets named by `services`: their lines, rows and outputs carry their names."""
        return self in (RunMode.SERVICES, RunMode.PLAN_SERVICES)

    @property
    def plans(self) -> bool:
        return self in (RunMode.PLAN, RunMode.PLAN_SERVICES)
