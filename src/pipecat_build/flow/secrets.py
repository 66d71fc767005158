"""Before deploying: write the `secrets` input to the agent's secret set and wait until the set
is `ready` (a deploy bound to a pending set is refused). Only key names are ever shown."""

from __future__ import annotations

from ..config import DeploySpec
from ..errors import ActionError
from ..models import SecretSetStatus
from .tools import Tools


def sync_secrets(tools: Tools, spec: DeploySpec, region: str) -> tuple[str, ...]:
    """Sets the keys given (others are kept); returns their names."""
    assert spec.secret_set is not None  # settings refuse secrets without a set
    out, agents = tools.out, tools.agents
    keys = tuple(key for key, _ in spec.secrets)
    agents.put_secrets(spec.secret_set, spec.secrets, region)
    out.line(f"secret set {spec.secret_set} ({region}): wrote {', '.join(keys)}")
    deadline = tools.run.clock() + spec.timeout
    while True:
        current = agents.get_secret_set(spec.secret_set)
        status = current.status if current is not None else None
        if status is SecretSetStatus.READY:
            out.line(f"secret set {spec.secret_set} is ready")
            return keys
        if status is SecretSetStatus.FAILED:
            detail = current.error_message if current is not None else ""
            raise ActionError(
                f"secret set {spec.secret_set} could not be provisioned"
                + (f": {detail}" if detail else "")
            )
        if tools.run.clock() >= deadline:
            raise ActionError(
                f"secret set {spec.secret_set} was still "
                f"{status.value if status is not None else 'missing'} after deploy-timeout"
            )
        tools.run.wait(min(tools.settings.poll_interval, 2.0))
