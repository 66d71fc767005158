"""Deploying what already exists, with nothing packed, uploaded or built: a build by its id
(`build-id`, a rollback) or a registry image (`image` with `image-credentials`). What is
deployed is checked first, so a build that cannot be deployed fails with one line saying why
before anything is written; then `deploy.deploy` deploys and waits as after a build."""

from __future__ import annotations

from ..api.connection import ApiError
from ..config import DeploySpec, Target
from ..errors import ActionError
from ..models import Build, BuildStatus, RegistryImage, SecretSetStatus, SecretSetType
from ..outcome import DeployResult, Outcome, RunStatus
from .deploy import deploy
from .reuse import RegionResolver
from .tools import Tools


class NotDeployable(ActionError):
    """What was given cannot be deployed to the agent: nothing was written."""


def _one(tools: Tools) -> tuple[Target, DeploySpec]:
    (target,) = tools.settings.targets
    assert target.deploy is not None  # the settings resolve a deploy for these modes
    return target, target.deploy


def _agent_region(tools: Tools, spec: DeploySpec) -> str:
    agent = tools.agents.get(spec.agent)
    return agent.region if agent is not None else ""


def usable_build(tools: Tools, target: Target, spec: DeploySpec) -> Build:
    """The build of `build-id`, if it exists, succeeded and is in the agent's region."""
    build_id = spec.build_id
    try:
        build = tools.builds.get_build(build_id)
    except ApiError as exc:
        if exc.status == 404:
            raise NotDeployable(
                f"build {build_id} does not exist (build-id); give the build-id output of an "
                "earlier run, or an id from `pcc build list`"
            ) from None
        raise
    tools.out.line(
        f"build {build.id}: {build.status.value}, region {build.region or '-'}, context "
        f"{build.context_hash or '-'}, image {build.image_uri or '-'}"
    )
    if build.status is not BuildStatus.SUCCESS:
        raise NotDeployable(
            f"build {build_id} is {build.status.value}, not success: only a successful build "
            "can be deployed"
        )
    if target.region and build.region and target.region != build.region:
        where = target.sources.get("region", "region")
        raise NotDeployable(
            f"build {build_id} is in region {build.region} but region {target.region} is asked "
            f"(from {where}); a build deploys only to an agent of its own region"
        )
    agent_region = _agent_region(tools, spec)
    if agent_region and build.region and agent_region != build.region:
        raise NotDeployable(
            f"build {build_id} is in region {build.region} but agent {spec.agent} is in "
            f"region {agent_region}; deploy a build made in {agent_region}"
        )
    return build


def deploy_build(tools: Tools, regions: RegionResolver) -> list[Outcome]:
    """RunMode.DEPLOY_BUILD: the outputs are those of a run that reused that build."""
    target, spec = _one(tools)
    build: Build | None = None
    deployed: DeployResult | None = None
    error = ""
    try:
        with tools.out.group(f"Check build {spec.build_id}"):
            build = usable_build(tools, target, spec)
        deployed = deploy(tools, spec, build, build.region or regions.region_for(None))
    except ActionError as exc:
        error = str(exc)
    return [
        Outcome(
            target=target,
            status=RunStatus.SUCCESS if build is not None and not error else RunStatus.ERROR,
            region=build.region if build is not None else "",
            context_hash=build.context_hash if build is not None else "",
            build=build,
            cached=build is not None,
            error=error,
            deploy=deployed,
        )
    ]


def _check_pull_secret(tools: Tools, name: str, region: str) -> None:
    """As `pcc deploy` does: the set must exist as an image pull secret set, in the agent's
    region, and not have failed (a pending one is waited for by the deploy)."""
    found = tools.agents.secret_sets().get(name)
    if found is None:
        raise NotDeployable(
            f"image pull secret set {name} does not exist (image-credentials); create it with "
            f"`pcc secrets image-pull-secret {name} <registry-host>`"
        )
    if found.type is not SecretSetType.IMAGE_PULL_SECRET:
        kind = "regular" if found.type is SecretSetType.UNKNOWN else found.type.value
        raise NotDeployable(
            f"secret set {name} is a {kind} set, not an image pull secret set "
            "(image-credentials)"
        )
    if found.region and found.region != region:
        raise NotDeployable(
            f"image pull secret set {name} is in region {found.region} but the agent is in "
            f"{region}; a pull secret must be in the agent's region"
        )
    if found.status is SecretSetStatus.FAILED:
        raise NotDeployable(f"image pull secret set {name} failed to provision; write it again")
    tools.out.line(f"image pull secret set {name}: {found.status.value}, region {region}")


def deploy_image(tools: Tools, regions: RegionResolver) -> list[Outcome]:
    """RunMode.DEPLOY_IMAGE: an existing agent keeps its region; a new one goes to `region`
    (or pcc-deploy.toml's, else the organization's default)."""
    target, spec = _one(tools)
    source = RegistryImage(spec.image, spec.image_credentials)
    region = ""
    deployed: DeployResult | None = None
    error = ""
    try:
        with tools.out.group(f"Check agent {spec.agent} and the image"):
            agent_region = _agent_region(tools, spec)
            if agent_region and target.region and target.region != agent_region:
                raise NotDeployable(
                    f"agent {spec.agent} is in region {agent_region} but region {target.region}"
                    f" is asked (from {target.sources.get('region', 'region')}); set region "
                    f"to {agent_region} or use another agent"
                )
            region = agent_region or regions.region_for(target.region)
            tools.out.line(f"image {spec.image} for agent {spec.agent} in region {region}")
            if source.credentials:
                _check_pull_secret(tools, source.credentials, region)
        deployed = deploy(tools, spec, source, region)
    except ActionError as exc:
        error = str(exc)
    return [
        Outcome(
            target=target,
            status=RunStatus.ERROR if error else RunStatus.SUCCESS,
            region=region,
            error=error,
            deploy=deployed,
            image=spec.image,
        )
    ]
