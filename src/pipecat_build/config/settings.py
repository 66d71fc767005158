"""One typed `Settings`, built once from the inputs of the table in `inputs.py`; each value is
cleaned by its cleaner, so every bad value fails with one line naming its input, before
anything is sent. The run's `mode` is decided here, once, and the job dispatches on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..inputs import (
    COMPRESSIONS,
    FILES_MODES,
    IGNORE_RULES,
    SECRET_FILES,
    Compression,
    FilesMode,
    IgnoreRules,
    SecretFiles,
)
from ..mode import RunMode
from . import cleaners as clean
from .services import clean_services
from .targets import (
    DeployInputs,
    DeploySpec,
    Target,
    agent_with_suffix,
    raw_value,
    target_from_folder,
)


@dataclass(frozen=True)
class Settings:
    api_key: str = field(repr=False)
    api_url: str
    workspace: Path
    mode: RunMode
    targets: tuple[Target, ...]
    force: bool
    build_timeout: float
    poll_interval: float
    compression: Compression
    files: FilesMode
    ignore_rules: IgnoreRules
    include_git: bool
    secret_files: SecretFiles
    max_parallel: int
    retry_budget: float
    hash_cache: Path | None = None
    warnings: tuple[str, ...] = ()
    delete_secret_set: str | None = None  # delete-agent: the set to delete too, by name


_INSTEAD = {
    "build-id": RunMode.DEPLOY_BUILD,
    "image": RunMode.DEPLOY_IMAGE,
    "delete-agent": RunMode.DELETE_AGENT,
}


def _mode(services: bool, plan_only: bool, deploy: DeployInputs, delete: bool) -> RunMode:
    """The one decision; combinations that say two things are refused here, before anything
    is sent."""
    chosen = {"build-id": bool(deploy.build_id), "image": bool(deploy.image)}
    instead = [name for name, on in {**chosen, "delete-agent": delete}.items() if on]
    if len(instead) > 1:
        raise InputError(
            instead[1],
            f"cannot be used with {instead[0]}, as a step builds, deploys a build-id, deploys an "
            "image or deletes an agent; give one of them",
        )
    if instead:
        for other, on in (("services", services), ("plan-only", plan_only)):
            if on:
                raise InputError(
                    other,
                    f"cannot be used with {instead[0]}, which names one agent and builds "
                    "nothing; use separate steps",
                )
        return _INSTEAD[instead[0]]
    if plan_only:
        return RunMode.PLAN_SERVICES if services else RunMode.PLAN
    return RunMode.SERVICES if services else RunMode.BUILD


def build_settings(inputs: Mapping[str, str], workspace: Path) -> Settings:
    """Cleans every input; the key first, so nothing can print before it is masked."""

    def get(name: str) -> str:
        return raw_value(inputs, name)

    workspace = workspace.resolve()
    api_key = clean.clean_api_key("api-key", get("api-key"))
    api_url = clean.clean_api_url("api-url", get("api-url"))
    region = clean.clean_region("region", get("region"))
    deploy = DeployInputs.clean(inputs)
    services = get("services").strip()
    plan_only = clean.clean_bool("plan-only", get("plan-only"))
    force = clean.clean_bool("force", get("force"))
    delete = clean.clean_bool("delete-agent", get("delete-agent"))
    delete_set = clean.clean_bool("delete-secret-set", get("delete-secret-set"))
    mode = _mode(bool(services), plan_only, deploy, delete)
    _refuse_loose_ends(deploy, delete, delete_set)
    warnings: list[str] = []
    if not mode.packs and force:
        warnings.append(f"force is ignored with {mode.value}: nothing is built")
        force = False
    if mode is RunMode.DELETE_AGENT:
        targets: tuple[Target, ...] = (_deletion(deploy, workspace),)
    elif mode.many:
        for ignored in ("context", "dockerfile", "agent-name"):
            if get(ignored).strip():
                warnings.append(
                    f"{ignored} is ignored because services is set; give each service its "
                    f"own in services (e.g. `name: {{{ignored.replace('-name', '')}: ...}}`)"
                )
        targets = clean_services(services, workspace, region, inputs)
    else:
        folder = clean.clean_context("context", get("context"), workspace)
        targets = (
            target_from_folder(
                "", folder, workspace, get("dockerfile"), region, "dockerfile", deploy
            ),
        )
    if deploy.secrets and not any(t.deploy is not None for t in targets):
        raise InputError(
            "secrets", "is set but nothing is deployed; set agent-name (or deploy: true)"
        )
    if mode.plans and force:
        warnings.append("force is ignored with plan-only: a plan always looks for existing builds")
        force = False
    cache = get("hash-cache").strip()
    return Settings(
        api_key=api_key,
        api_url=api_url,
        workspace=workspace,
        mode=mode,
        targets=targets,
        force=force,
        build_timeout=clean.clean_positive_seconds("build-timeout", get("build-timeout")),
        poll_interval=clean.clean_positive_seconds("poll-interval", get("poll-interval")),
        compression=clean.clean_choice("compression", get("compression"), COMPRESSIONS),
        files=clean.clean_choice("files", get("files"), FILES_MODES),
        ignore_rules=clean.clean_choice("ignore-rules", get("ignore-rules"), IGNORE_RULES),
        include_git=clean.clean_bool("include-git", get("include-git")),
        secret_files=clean.clean_choice("secret-files", get("secret-files"), SECRET_FILES),
        max_parallel=clean.clean_positive_int("max-parallel", get("max-parallel")),
        retry_budget=clean.clean_positive_seconds("retry-budget", get("retry-budget")),
        hash_cache=clean.clean_hash_cache("hash-cache", cache, workspace) if cache else None,
        warnings=tuple(warnings),
        delete_secret_set=deploy.secret_set if delete_set else None,
    )


def _refuse_loose_ends(deploy: DeployInputs, delete: bool, delete_set: bool) -> None:
    """Inputs that would be silently ignored in the mode chosen."""
    if deploy.image_credentials and not deploy.image:
        raise InputError(
            "image-credentials",
            "is set but image is not; it is the pull secret of a registry image (a build "
            "needs none)",
        )
    if delete_set and not delete:
        raise InputError("delete-secret-set", "is true but delete-agent is not")
    if delete_set and not deploy.secret_set:
        raise InputError(
            "delete-secret-set",
            "is true but secret-set is empty; name the set to delete in secret-set (it is "
            "never guessed from the agent or pcc-deploy.toml)",
        )
    if delete and deploy.secrets:
        raise InputError("secrets", "is set but delete-agent deletes; nothing is deployed")


def _deletion(deploy: DeployInputs, workspace: Path) -> Target:
    """The agent to delete, named in the step itself (never by pcc-deploy.toml)."""
    if deploy.agent is None:
        raise InputError(
            "agent-name",
            "is empty but delete-agent is true; name the agent to delete (pcc-deploy.toml's "
            "agent_name is not used to delete)",
        )
    agent = agent_with_suffix(deploy.agent, deploy.suffix)
    origin = "agent-name + agent-name-suffix" if deploy.suffix else "agent-name"
    spec = DeploySpec(agent=agent, origin=origin)
    return Target("", workspace, "", None, deploy=spec)
