"""A rotated secret reaches the running agent (issue 19 §1).

Pipecat Cloud does not restart an agent when its secret set changes: a deployment keeps the
values its set held when it was made, and an update that changes nothing else is answered
"unchanged". So after this run writes `secrets`, the agent must serve a deployment made after
the write: the update is sent with `forceRedeploy` (the spec: "useful for ... refreshing
modified secret values") unless the run knows that the deployment the agent has was made with
exactly these values (`SecretMemory`, in the hash-cache folder). When it cannot know (no
hash-cache, no entry for that deployment) it redeploys, and the log says which case it was.
A new agent needs nothing: its first deployment is made after the write.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import DeploySpec
from ..models import Agent
from .secret_memory import SecretMemory
from .tools import Tools


@dataclass(frozen=True)
class Rotation:
    """What this run does about the values it wrote: `redeploy` sends forceRedeploy."""

    redeploy: bool
    reason: str
    memory: SecretMemory | None = None
    digest: str = ""
    before: str = ""  # the deployment the agent had before this run's update


def plan_rotation(tools: Tools, spec: DeploySpec, existing: Agent | None) -> Rotation | None:
    """None when nothing was written; else whether to force a new deployment, and why."""
    if not spec.secrets or spec.secret_set is None:
        return None
    settings = tools.settings
    memory = SecretMemory(settings.hash_cache, settings.api_key) if settings.hash_cache else None
    digest = memory.digest(spec.secret_set, spec.secrets) if memory is not None else ""
    where = f"secret set {spec.secret_set}"
    if existing is None:
        first = f"{where}: the new agent's first deployment reads the values written"
        return Rotation(False, first, memory, digest)
    before = existing.desired_deployment
    if spec.force_redeploy:
        return Rotation(True, "force-redeploy is set", memory, digest, before)
    if not before:
        return Rotation(
            True,
            f"{where} was written and agent {spec.agent} has no deployment yet: "
            "redeploying so it runs with the values written",
            memory,
            digest,
            before,
        )
    if memory is None:
        reason = (
            f"{where} was written, and without hash-cache this run cannot know whether "
            f"deployment {before} already runs with these values: redeploying (forceRedeploy) "
            "so the agent runs with them"
        )
        return Rotation(True, reason, None, "", before)
    remembered = memory.recall(spec.agent, before)
    if remembered is None:
        reason = (
            f"{where} was written, and hash-cache has no record of the values deployment "
            f"{before} was made with: redeploying (forceRedeploy) so the agent runs with them"
        )
        return Rotation(True, reason, memory, digest, before)
    if remembered != digest:
        reason = (
            f"{where}: the values written differ from those deployment {before} was made "
            "with: redeploying (forceRedeploy) so the agent runs with the new values"
        )
        return Rotation(True, reason, memory, digest, before)
    reason = (
        f"{where}: deployment {before} was made with exactly these values (hash-cache): "
        "nothing to restart for them"
    )
    return Rotation(False, reason, memory, digest, before)


def remember_rotation(tools: Tools, rotation: Rotation, agent: str, deployment: str) -> None:
    """After the deploy was accepted: `deployment` runs with the values written when it was
    made after the write (new), or is the very deployment known to have them."""
    if rotation.memory is None or not deployment:
        return
    made_after_write = deployment != rotation.before
    if not made_after_write and rotation.redeploy:
        return  # a redeploy was asked and none came: what it runs with is not known
    problem = rotation.memory.remember(agent, deployment, rotation.digest)
    if problem:
        tools.out.warning(problem)
