"""`delete-agent`: delete one agent, named in the step, and nothing else is built or deployed.

Idempotent: an agent that does not exist (deleted by an earlier run, or never made) is a
success that says so. The secret sets the agent read are kept and named in the log and the
summary; `delete-secret-set: true` deletes the one set named by `secret-set`, never a set
guessed from the agent (a preview agent often reads the production agent's set)."""

from __future__ import annotations

from ..errors import ActionError
from ..outcome import DeleteStatus, Deletion, Outcome, RunStatus
from .reuse import RegionResolver
from .tools import Tools


def delete_agent(tools: Tools, _regions: RegionResolver) -> list[Outcome]:
    """RunMode.DELETE_AGENT."""
    (target,) = tools.settings.targets
    assert target.deploy is not None  # the settings name the agent for this mode
    name, out = target.deploy.agent, tools.out
    deletion: Deletion | None = None
    error = ""
    try:
        with out.group(f"Delete agent {name}"):
            agent = tools.agents.get(name)
            if agent is not None:
                # A 404 here still means this run deleted it: the DELETE is retried after a
                # lost answer, and the retry finds the agent its first attempt removed.
                tools.agents.delete(name)
            gone = agent is None
            status = DeleteStatus.ALREADY_GONE if gone else DeleteStatus.DELETED
            if gone:
                out.line(f"agent {name} does not exist (already deleted?): nothing to delete")
            else:
                out.line(f"agent {name} deleted")
            deletion = Deletion(
                agent=name,
                status=status,
                secret_sets=agent.secret_sets if agent is not None else (),
                pull_secret_set=agent.pull_secret_set if agent is not None else "",
            )
            if tools.settings.delete_secret_set:
                deletion = _delete_set(tools, deletion, tools.settings.delete_secret_set)
            for kept in deletion.kept():
                out.line(
                    f"secret set {kept} is kept (other agents may read it); delete it with "
                    f"`delete-secret-set: true` and `secret-set: {kept}`, or "
                    f"`pcc secrets delete {kept}`"
                )
    except ActionError as exc:
        error = str(exc)
    return [
        Outcome(
            target=target,
            status=RunStatus.ERROR if error else RunStatus.SUCCESS,
            error=error,
            deletion=deletion,
        )
    ]


def _delete_set(tools: Tools, deletion: Deletion, name: str) -> Deletion:
    gone = not tools.agents.delete_secret_set(name)
    status = DeleteStatus.ALREADY_GONE if gone else DeleteStatus.DELETED
    tools.out.line(
        f"secret set {name} does not exist: nothing to delete"
        if gone
        else f"secret set {name} deleted"
    )
    return Deletion(
        deletion.agent,
        deletion.status,
        deletion.secret_sets,
        deletion.pull_secret_set,
        deleted_set=name,
        set_status=status,
    )
