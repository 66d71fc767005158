"""Step 6: deploy the build to an agent by its build id, then wait until the agent really
serves the new deployment: desired == reconciled == ours, ready and available. A crashing
revision fails at once with its reason and the agent's last output."""

from __future__ import annotations

import time

from ..api.agents import AgentsApi, deploy_body
from ..api.connection import AnswerLost, ApiError
from ..errors import ActionError
from ..models import Agent, Revision
from ..outcome import DeployResult, Outcome
from ..retry_policy import Transient
from ..settings import DeploySpec
from ..units import human_seconds
from .secrets import sync_secrets
from .tools import Tools

LAST_OUTPUT_LINES = 15


class DeployFailed(ActionError):
    def __init__(self, message: str, status: str = "failed") -> None:
        super().__init__(message)
        self.status = status


def _submit(
    tools: Tools,
    agents: AgentsApi,
    spec: DeploySpec,
    build_id: str,
    region: str,
    existing: Agent | None,
) -> Agent:
    """POST is not idempotent: when the answer is lost, read the agent and adopt a deployment
    that appeared since, before trying again."""
    before = existing.desired_deployment if existing is not None else None

    def attempt() -> Agent:
        body = deploy_body(spec, build_id, create=existing is None, region=region)
        try:
            if existing is None:
                return agents.create(body)
            return agents.update(spec.agent, body)
        except AnswerLost as exc:
            tools.out.line(f"{exc}; checking whether the deployment was accepted anyway")
            now = agents.get(spec.agent)
            if now is not None and now.desired_deployment and now.desired_deployment != before:
                tools.out.line(f"found deployment {now.desired_deployment}: adopting it")
                return now
            raise Transient(exc, "the deployment was not accepted") from None
        except ApiError as exc:
            if exc.status == 409:  # the secret set is being modified or not ready yet
                raise Transient(exc, "HTTP 409 (secret set busy)") from None
            raise

    return tools.retry(attempt, f"deploy to agent {spec.agent}")


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
    tools: Tools, agents: AgentsApi, spec: DeploySpec, deployment: str, result: DeployResult
) -> None:
    out = tools.out
    deadline = time.monotonic() + spec.timeout
    phase = ""
    while True:
        agent = agents.get(spec.agent)
        if agent is None:
            raise DeployFailed(f"agent {spec.agent} disappeared while deploying")
        revision = agent.revision_of(deployment)
        if revision is not None and revision.phase and revision.phase != phase:
            phase = revision.phase
            result.phases.append(phase)
            out.line(f"agent {spec.agent}: deployment {deployment} is {phase}")
        _fail_if_broken(spec.agent, deployment, agent, revision)
        if agent.serves(deployment):
            out.line(f"agent {spec.agent} serves deployment {deployment}")
            return
        if agent.desired_deployment and agent.desired_deployment != deployment:
            raise DeployFailed(
                f"agent {spec.agent}: another deployment ({agent.desired_deployment}) replaced "
                f"ours ({deployment}) while waiting"
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeployFailed(
                f"agent {spec.agent} did not serve deployment {deployment} within "
                f"deploy-timeout ({human_seconds(spec.timeout)}); it may still come up. "
                "Raise deploy-timeout, or check the agent's status.",
                status="timed-out-waiting",
            )
        tools.run.wait(min(tools.settings.poll_interval, remaining))


def deploy(tools: Tools, spec: DeploySpec, outcome: Outcome) -> DeployResult:
    """Never raises for a failed deploy: the image outputs stay set, the result says why."""
    out = tools.out
    result = DeployResult(agent=spec.agent)
    assert outcome.build is not None
    build_id, region = outcome.build.id, outcome.region
    agents = AgentsApi(tools.builds.api)
    with out.group(f"Deploy to agent {spec.agent}"):
        try:
            existing = agents.get(spec.agent)
            if existing is not None and existing.region and existing.region != region:
                raise DeployFailed(
                    f"agent {spec.agent} is in region {existing.region} but the build is in "
                    f"{region}; build in {existing.region} (set region) or use another agent"
                )
            if spec.secrets:  # after the region check: never write a set for a refused deploy
                result.secret_keys = sync_secrets(tools, agents, spec, region)
            verb = "creating" if existing is None else "updating"
            out.line(f"{verb} agent {spec.agent} ({region}) from build {build_id}")
            agent = _submit(tools, agents, spec, build_id, region, existing)
            deployment = agent.desired_deployment
            result.deployment_id = deployment
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
                        result.status = "not-waited"
                        return result
                    out.line(f"agent {spec.agent} does not serve it yet: waiting")
                    _wait_until_serving(tools, agents, spec, deployment, result)
                result.status = "unchanged"
                return result
            out.line(f"agent {spec.agent}: deployment {deployment} accepted")
            if not spec.wait_for_ready:
                result.status = "not-waited"
                return result
            _wait_until_serving(tools, agents, spec, deployment, result)
            result.status = "ready"
        except DeployFailed as exc:
            result.status, result.error = exc.status, str(exc)
        except ActionError as exc:
            result.status, result.error = "failed", str(exc)
    return result
