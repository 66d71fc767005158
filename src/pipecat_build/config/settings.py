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
from .targets import DeployInputs, Target, raw_value, target_from_folder


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


def _mode(services: bool, plan_only: bool) -> RunMode:
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
    warnings: list[str] = []
    if services:
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
    if plan_only and force:
        warnings.append("force is ignored with plan-only: a plan always looks for existing builds")
        force = False
    cache = get("hash-cache").strip()
    return Settings(
        api_key=api_key,
        api_url=api_url,
        workspace=workspace,
        mode=_mode(bool(services), plan_only),
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
        hash_cache=clean_hash_cache(cache, workspace) if cache else None,
        warnings=tuple(warnings),
    )


def clean_hash_cache(raw: str, workspace: Path) -> Path:
    """A folder relative to the workspace (or absolute, for the CLI's user cache); created
    on first use."""
    if "\0" in raw:
        raise InputError("hash-cache", "holds a NUL character; give a folder path")
    try:
        path = Path(raw).expanduser()
        return (path if path.is_absolute() else workspace / path).resolve()
    except (OSError, RuntimeError) as exc:  # `~nobody-here/x`, a loop of links
        raise InputError(
            "hash-cache", f"'{clean.shown(raw)}' is not a usable folder path ({exc})"
        ) from None
