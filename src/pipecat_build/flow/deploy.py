"""Step 6: deploy the build to an agent by its build id, then wait until the agent really
serves the new deployment: desired == reconciled == ours, ready and available. A crashing
revision fails at once with its reason and the agent's last output."""

from __future__ import annotations

import dataclasses

from ..api.connection import AnswerLost, ApiError
from ..config import DeploySpec
from ..errors import ActionError
from ..models import Agent, Build, DeployRequest, RegistryImage, Revision
from ..outcome import DeployResult, DeployStatus
from ..retry_policy import Transient
from ..units import human_seconds
from .secret_rotation import plan_rotation, remember_rotation
from .secrets import sync_secrets
from .tools import Tools

LAST_OUTPUT_LINES = 15


class DeployFailed(ActionError):
    def __init__(self, message: str, status: DeployStatus = DeployStatus.FAILED) -> None:
        super().__init__(message)
        self.status = status


def request_for(
    spec: DeploySpec, source: Build | RegistryImage, region: str
) -> DeployRequest:
    """The deploy settings as the API takes them, for a build or a registry image."""
    image = source if isinstance(source, RegistryImage) else None
    return DeployRequest(
        agent=spec.agent,
        build_id=source.id if isinstance(source, Build) else "",
        image=image.uri if image else "",
        image_pull_secret_set=image.credentials if image else None,
        region=region,
        secret_set=spec.secret_set,
        min_agents=spec.min_agents,
        max_agents=spec.max_agents,
        agent_profile=spec.agent_profile,
        max_session_duration=spec.max_session_duration,
        audio_filter=spec.audio_filter,
        force_redeploy=spec.force_redeploy,
    )


def _submit(tools: Tools, request: DeployRequest, existing: Agent | None) -> Agent:
    """POST is not idempotent: when the answer is lost, read the agent and adopt a deployment
    that appeared since, before trying again."""
    before = existing.desired_deployment if existing is not None else None
    agents = tools.agents

    def attempt() -> Agent:
        try:
            if existing is None:
                return agents.create(request)
            return agents.update(request)
        except AnswerLost as exc:
            tools.out.line(f"{exc}; checking whether the deployment was accepted anyway")
            now = agents.get(request.agent)
            if now is not None and now.desired_deployment and now.desired_deployment != before:
                tools.out.line(f"found deployment {now.desired_deployment}: adopting it")
                return now
            raise Transient(exc, "the deployment was not accepted") from None
        except ApiError as exc:
            if exc.status == 409:  # the secret set is being modified or not ready yet
                raise Transient(exc, "HTTP 409 (secret set busy)") from None
            raise

    return tools.retry(attempt, f"deploy to agent {request.agent}")


def _tail(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return "\n".join(lines[-LAST_OUTPUT_LINES:])


def _fail_if_broken(name: str, deployment: str, agent: Agent, revision: Revision | None) -> None:
    """A crashed or failed revision, or an `errors[]` answer, ends the wait at once: one line
    with the reason, then the last lines of the agent's own output (its traceback)."""
    crash = revision.crash() if revision is not None else ""
    if not crash and not agent.errors:
        return
    reason = crash or "; ".join(agent.errors)
    message = f"agent {name}: deployment {deployment} failed: {reason}"
    if crash and agent.errors:
        message += f" ({'; '.join(agent.errors)})"
    message = " ".join(message.split())  # the first line stays one line
    if revision is not None and revision.message.strip():
        message += "\nAgent output (last lines):\n" + _tail(revision.message)
    raise DeployFailed(message)


def _wait_until_serving(
    tools: Tools, spec: DeploySpec, deployment: str, phases: list[str]
) -> None:
    out = tools.out
    deadline = tools.run.clock() + spec.timeout
    while True:
        agent = tools.agents.get(spec.agent)
        if agent is None:
            raise DeployFailed(f"agent {spec.agent} disappeared while deploying")
        revision = agent.revision_of(deployment)
        if revision is not None and revision.phase and revision.phase not in phases[-1:]:
            phases.append(revision.phase)
            out.line(f"agent {spec.agent}: deployment {deployment} is {revision.phase}")
        _fail_if_broken(spec.agent, deployment, agent, revision)
        if agent.serves(deployment):
            out.line(f"agent {spec.agent} serves deployment {deployment}")
            return
        if agent.desired_deployment and agent.desired_deployment != deployment:
            raise DeployFailed(
                f"agent {spec.agent}: another deployment ({agent.desired_deployment}) replaced "
                f"ours ({deployment}) while waiting"
            )
        remaining = deadline - tools.run.clock()
        if remaining <= 0:
            raise DeployFailed(
                f"agent {spec.agent} did not serve deployment {deployment} within "
                f"deploy-timeout ({human_seconds(spec.timeout)}); it may still come up. "
                "Raise deploy-timeout, or check the agent's status.",
                status=DeployStatus.TIMED_OUT_WAITING,
            )
        tools.run.wait(min(tools.settings.poll_interval, remaining))


def described(source: Build | RegistryImage) -> str:
    if isinstance(source, Build):
        return f"build {source.id}"
    pull = f" (pulled with {source.credentials})" if source.credentials else ""
    return f"image {source.uri}{pull}"


def _elsewhere(name: str, agent_region: str, source: Build | RegistryImage, region: str) -> str:
    if isinstance(source, Build):
        return (
            f"agent {name} is in region {agent_region} but the build is in {region}; build in "
            f"{agent_region} (set region) or use another agent"
        )
    return (
        f"agent {name} is in region {agent_region} but region is {region}; deploy to "
        f"{agent_region} (set region) or use another agent"
    )


def deploy(
    tools: Tools, spec: DeploySpec, source: Build | RegistryImage, region: str
) -> DeployResult:
    """Deploys a build (by its id) or a registry image to `spec.agent` in `region`. Never
    raises for a failed deploy: the image outputs stay set, the result says why."""
    out = tools.out
    phases: list[str] = []
    keys: tuple[str, ...] = ()
    deployment = ""
    build_id = source.id if isinstance(source, Build) else ""
    image = source.uri if isinstance(source, RegistryImage) else ""

    def result(status: DeployStatus, error: str = "") -> DeployResult:
        return DeployResult(
            spec.agent, status, deployment, error, keys, tuple(phases), build_id, image
        )

    with out.group(f"Deploy to agent {spec.agent}"):
        try:
            existing = tools.agents.get(spec.agent)
            if existing is not None and existing.region and existing.region != region:
                raise DeployFailed(_elsewhere(spec.agent, existing.region, source, region))
            rotation = None
            if spec.secrets:  # after the region check: never write a set for a refused deploy
                keys = sync_secrets(tools, spec, region)
                rotation = plan_rotation(tools, spec, existing)
                assert rotation is not None
                out.line(rotation.reason)
            verb = "creating" if existing is None else "updating"
            out.line(f"{verb} agent {spec.agent} ({region}) from {described(source)}")
            request = request_for(spec, source, region)
            if rotation is not None and rotation.redeploy:  # a written secret must reach it
                request = dataclasses.replace(request, force_redeploy=True)
            agent = _submit(tools, request, existing)
            deployment = agent.desired_deployment
            if rotation is not None:
                remember_rotation(tools, rotation, spec.agent, deployment)
            if deployment:
                tools.run.deployment_started(spec.agent, deployment)
            if existing is not None and deployment == existing.desired_deployment:
                note = f" ({agent.warning})" if agent.warning else ""
                out.line(f"agent {spec.agent}: nothing changed{note}; deployment {deployment}")
                if not agent.serves(deployment):
                    # Unchanged is not serving: that deployment may still be rolling out,
                    # or may have crashed. Hold it to the same rule as a new one.
                    _fail_if_broken(spec.agent, deployment, agent, agent.revision_of(deployment))
                    if not spec.wait_for_ready:
                        return result(DeployStatus.NOT_WAITED)
                    out.line(f"agent {spec.agent} does not serve it yet: waiting")
                    _wait_until_serving(tools, spec, deployment, phases)
                return result(DeployStatus.UNCHANGED)
            out.line(f"agent {spec.agent}: deployment {deployment} accepted")
            if not spec.wait_for_ready:
                return result(DeployStatus.NOT_WAITED)
            _wait_until_serving(tools, spec, deployment, phases)
            return result(DeployStatus.READY)
        except DeployFailed as exc:
            return result(exc.status, str(exc))
        except ActionError as exc:
            return result(DeployStatus.FAILED, str(exc))
