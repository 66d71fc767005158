"""Step 0, once per run before any target is packed: the mistakes the API can reveal without a
build. For a run that deploys, a secret set that does not exist while no `secrets` would
create it, or that lives in another region than the agent (a deploy bound to it is refused),
and an existing agent in another region than the build would be; a plan's legs deploy later,
with their own `secrets`.

A region the organization does not offer (`GET /v1/regions`) is named by where the value came
from (an input, a `services` entry, a `pcc-deploy.toml`). A run that packs checks it when its
context has no build yet, before anything is uploaded or planned (`check_region`): a build of
the context in that region proves the region, so reusing one stays a single request. A run
that packs nothing checks it here."""

from __future__ import annotations

from ..api.connection import ApiError
from ..config import Target
from ..config.project_file import PROJECT_FILE_NAME
from ..errors import InputError
from .reuse import RegionResolver
from .tools import Tools


def region_error(target: Target, detail: str) -> InputError:
    """A region refused, named where it came from: the `region` input, a `services` entry, or
    the very `pcc-deploy.toml` that set it."""
    source = target.sources.get("region", "region")
    if source == "region":
        return InputError("region", detail)
    if source == "services":
        return InputError("services", f"service {target.name}: region {detail}")
    # The source names the file: `voice/pcc-deploy.toml region`.
    path = source.removesuffix(" region") or PROJECT_FILE_NAME
    return InputError(path, f"region {detail}", is_file=True)


def check_region(tools: Tools, regions: RegionResolver, target: Target) -> None:
    """An explicit region must be one the organization offers (its default is, by definition)."""
    if not target.region:
        return
    try:
        offered = regions.offered()
    except ApiError as exc:  # the upload will say it, if the region is wrong
        tools.out.debug(f"could not list the regions ({exc}); not checking {target.region}")
        return
    if offered and target.region not in offered:
        raise region_error(
            target,
            f"'{target.region}' is not a region this organization offers; use one of: "
            f"{', '.join(offered)}",
        )


def check_secret_sets(tools: Tools, regions: RegionResolver, targets: tuple[Target, ...]) -> None:
    for target in targets:
        spec = target.deploy
        if spec is None or not spec.secret_set:
            continue
        found = tools.agents.get_secret_set(spec.secret_set)
        origin = spec.secret_set_origin
        named = f"secret set '{spec.secret_set}'"
        if origin != "secret-set":
            named += f" (from {origin})"
        if target.from_services:
            named = f"service {target.name}: {named}"
        if found is None:
            if spec.secrets:
                continue  # the run writes it: a PUT creates the set
            raise _set_error(
                origin,
                f"{named} does not exist, and no secrets are given to create it; create it "
                f"first (`pcc secrets set {spec.secret_set} KEY=value`), give `secrets` to "
                "write it, or name an existing set",
            )
        if not tools.settings.mode.packs and not target.region:
            continue  # the agent's region is the build's or the agent's: known only later
        region = regions.region_for(target.region)
        if found.region and found.region != region:
            raise _set_error(
                origin,
                f"{named} is in region {found.region}, but agent {spec.agent} deploys in "
                f"{region}; an agent binds only a set of its own region: name a set of "
                f"{region}, or build in {found.region}",
            )


def _set_error(origin: str, detail: str) -> InputError:
    if origin.startswith(PROJECT_FILE_NAME):
        return InputError(PROJECT_FILE_NAME, detail, is_file=True)
    return InputError(origin if origin in ("secret-set", "services") else "secret-set", detail)


def check_agent_regions(tools: Tools, regions: RegionResolver, targets: tuple[Target, ...]) -> None:
    """An agent that exists lives in one region, and deploys only builds of that region: a
    build elsewhere would be made, uploaded and waited for, then refused."""
    for target in targets:
        spec = target.deploy
        if spec is None:
            continue
        agent = tools.agents.get(spec.agent)
        region = regions.region_for(target.region)
        if agent is None or not agent.region or agent.region == region:
            continue
        detail = (
            f"'{region}' is not the region of agent {spec.agent} ({agent.region}), which "
            f"deploys only builds of its region; build in {agent.region} or deploy to another "
            "agent"
        )
        if not target.region:
            raise InputError(
                target.input_for("region"),
                f"is empty, so the build would be in the organization's default region: {detail}",
            )
        raise region_error(target, detail)


def preflight(tools: Tools, regions: RegionResolver) -> None:
    """Raises an `InputError` (the run ends before packing) for a mistake found."""
    mode, targets = tools.settings.mode, tools.settings.targets
    if not mode.packs:
        for target in targets:
            check_region(tools, regions, target)
    if mode.deploys_now:
        check_secret_sets(tools, regions, targets)
        if mode.packs:  # a build-id or image deploy checks its own region against the agent
            check_agent_regions(tools, regions, targets)
