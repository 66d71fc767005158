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
    DEPLOY_BUILD = "deploy-build"  # `build-id`: deploy that existing build; nothing is built
    DEPLOY_IMAGE = "deploy-image"  # `image`: deploy a registry image; nothing is built
    DELETE_AGENT = "delete-agent"  # `delete-agent`: delete the named agent; nothing is built

    @property
    def many(self) -> bool:
        """Targets named by `services`: their lines, rows and outputs carry their names."""
        return self in (RunMode.SERVICES, RunMode.PLAN_SERVICES)

    @property
    def plans(self) -> bool:
        return self in (RunMode.PLAN, RunMode.PLAN_SERVICES)

    @property
    def packs(self) -> bool:
        """Packs a context (and so learns its hash); the other modes name what they deploy."""
        return self in (RunMode.BUILD, RunMode.SERVICES, RunMode.PLAN, RunMode.PLAN_SERVICES)

    @property
    def deploys_now(self) -> bool:
        """Deploys in this run (a plan's legs deploy later; a deletion binds no secret set)."""
        return self in (
            RunMode.BUILD, RunMode.SERVICES, RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE
        )

    @property
    def described(self) -> str:
        """How the docs name the mode (the README's outputs table says which modes set each)."""
        return _DESCRIBED[self]

    @property
    def deploys_one(self) -> bool:
        """One agent is deployed (when asked): its ids are outputs as soon as they exist."""
        return self in (RunMode.BUILD, RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE)


_DESCRIBED = {
    RunMode.BUILD: "a build",
    RunMode.SERVICES: "`services`",
    RunMode.PLAN: "`plan-only`",
    RunMode.PLAN_SERVICES: "`plan-only` with `services`",
    RunMode.DEPLOY_BUILD: "`build-id`",
    RunMode.DEPLOY_IMAGE: "`image`",
    RunMode.DELETE_AGENT: "`delete-agent`",
}
