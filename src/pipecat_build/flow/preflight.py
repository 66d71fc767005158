"""Step 0, once per run before any target is packed: the mistakes the API can reveal without a
build. A region the organization does not offer (`GET /v1/regions`), named by where the value
came from (an input, a `services` entry, a `pcc-deploy.toml`); and, for a run that deploys, a
secret set that does not exist while no `secrets` would create it, or that lives in another
region than the agent (a deploy bound to it is refused). A plan checks regions only: its legs
deploy, with their own `secrets`."""

from __future__ import annotations

from ..api.connection import ApiError
from ..config import Target
from ..config.project_file import PROJECT_FILE_NAME
from ..errors import InputError
from ..mode import RunMode
from .reuse import RegionResolver
from .tools import Tools


def _region_error(target: Target, region: str, offered: list[str]) -> InputError:
    source = target.sources.get("region", "region")
    detail = (
        f"'{region}' is not a region this organization offers; use one of: {', '.join(offered)}"
    )
    if source == "region":
        return InputError("region", detail)
    if source == "services":
        return InputError("services", f"service {target.name}: region {detail}")
    # pcc-deploy.toml: the source names the very file (`voice/pcc-deploy.toml region`).
    return InputError(PROJECT_FILE_NAME, f"{source} {detail}", is_file=True)


def check_regions(tools: Tools, targets: tuple[Target, ...]) -> None:
    explicit = [t for t in targets if t.region]
    if not explicit:
        return  # the organization's default region is offered by definition
    try:
        offered = tools.builds.regions()
    except ApiError as exc:  # the upload will say it, if the region is wrong
        tools.out.debug(f"could not list the regions ({exc}); not checking them before packing")
        return
    if not offered:
        return
    for target in explicit:
        assert target.region is not None
        if target.region not in offered:
            raise _region_error(target, target.region, offered)


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
        if target.name:
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
        if (spec.build_id or spec.image) and not target.region:
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


# Runs that deploy now: a plan's legs deploy later (with their own `secrets`), a deletion
# binds no set.
_DEPLOYING = (RunMode.BUILD, RunMode.SERVICES, RunMode.DEPLOY_BUILD, RunMode.DEPLOY_IMAGE)


def preflight(tools: Tools, regions: RegionResolver) -> None:
    """Raises an `InputError` (the run ends before packing) for a mistake found."""
    targets = tools.settings.targets
    check_regions(tools, targets)
    if tools.settings.mode in _DEPLOYING:
        check_secret_sets(tools, regions, targets)
