"""Reads `pcc-deploy.toml`, the official CLI's project file, for build and deploy defaults.

`pcc deploy` reads it from the folder it runs in and resolves `[build] context_dir` against
that folder; the action treats the `context` input (or the workspace root) as that folder.
Errors name the file (never call it an input): it is fixed in the repository, not the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

PROJECT_FILE_NAME = "pcc-deploy.toml"


@dataclass(frozen=True)
class ProjectFile:
    path: Path
    region: str | None
    context_dir: str
    dockerfile: str | None
    exclude_patterns: tuple[str, ...]
    agent_name: str | None = None
    secret_set: str | None = None
    min_agents: int | None = None
    max_agents: int | None = None
    agent_profile: str | None = None
    max_session_duration: int | None = None
    audio_filter: str | None = None
    # What `pcc deploy` would deploy instead of a build it makes, and the pull secret set for
    # an image: a build run does not use them (it says so); an image deploy (issue 21) takes
    # `image_credentials` as the default of its `image-credentials` input.
    image: str | None = None
    build_id: str | None = None
    image_credentials: str | None = None
    # Keys `pcc deploy` accepts and does nothing with when deploying ([docker] is read by
    # `pcc docker build-push`; unknown keys of [build] and [build.exclude] are ignored):
    # accepted here too, and named in a notice, never dropped without a word.
    unused: tuple[str, ...] = ()


def _fail(path: Path, detail: str) -> InputError:
    separator = " " if detail.startswith(("is ", "cannot ")) else ": "
    return InputError(PROJECT_FILE_NAME, f"{path}{separator}{detail}", is_file=True)


def _string(value: object, key: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"'{key}' must be a non-empty string")
    return value.strip()


def _optional_string(table: dict[str, Any], key: str, shown: str, path: Path) -> str | None:
    value = table.get(key)
    return None if value is None else _string(value, shown, path)


def _optional_int(table: dict[str, Any], key: str, shown: str, path: Path) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(path, f"'{shown}' must be a whole number")
    return value


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise _fail(path, f"[{key}] must be a table")
    return table


def _context_dir(value: object, path: Path) -> str:
    """`pcc deploy` resolves an empty `context_dir` to the folder it runs in, like '.'."""
    if isinstance(value, str) and not value.strip():
        return "."
    return _string(value, "build.context_dir", path)


# What `pcc deploy` 1.4.0 accepts (`load_deploy_config_file`): these top-level keys, and in
# the tables it turns into objects, only their fields (an unknown one is a constructor error).
PCC_KEYS = (
    "agent_name", "image", "build_id", "image_credentials", "secret_set", "region", "scaling",
    "docker", "build", "agent_profile", "krisp_viva", "git", "websocket_auth",
    "max_session_duration", "resources", "architecture",
)
PCC_TABLE_KEYS = {
    "scaling": ("min_agents", "max_agents"),
    "krisp_viva": ("audio_filter",),
    "resources": ("cpu", "memory"),
    "git": ("repo", "branch", "dockerfile_path", "subdirectory"),
}
BUILD_KEYS = ("context_dir", "dockerfile", "exclude")
# Keys `pcc deploy` sends but the spec's agents API has no field for (docs/contract.md):
# refused with what to do, since the agent would silently run without them.
NOT_IN_THE_API = {
    "websocket_auth": "the agent would accept sessions without the token check",
    "architecture": "the agent would run on the region's default architecture",
    "resources": "the agent would get its profile's size; size it with agent_profile",
}


def _quoted(keys: list[str]) -> str:
    return ", ".join(f"'{key}'" for key in sorted(keys))


def _check_keys(data: dict[str, Any], path: Path) -> None:
    """Refuses what `pcc deploy` 1.4.0 refuses, in its order, and what the API cannot take."""
    for table, known in PCC_TABLE_KEYS.items():
        value = data.get(table, {})
        if not isinstance(value, dict):
            raise _fail(path, f"[{table}] must be a table")
        unknown = [key for key in value if key not in known]
        if unknown:
            raise _fail(
                path,
                f"[{table}] has unexpected key {_quoted(unknown)} (`pcc deploy` refuses it "
                f"too; [{table}] takes {', '.join(known)}); remove or correct it",
            )
    if "enable_krisp" in data:
        raise _fail(
            path,
            "'enable_krisp' is no longer supported (`pcc deploy` refuses it too): Krisp is "
            "configured in the [krisp_viva] section (audio_filter = \"tel\" or \"pro\"); "
            "remove 'enable_krisp'",
        )
    unexpected = [key for key in data if key not in PCC_KEYS]
    if unexpected:
        raise _fail(
            path,
            f"unexpected key {_quoted(unexpected)} (`pcc deploy` refuses it too); remove it "
            "or correct its spelling",
        )
    for key, consequence in NOT_IN_THE_API.items():
        value = data.get(key)
        if value is None or value == {}:
            continue
        shown = f"[{key}]" if isinstance(value, dict) else f"{key} = {value!r}"
        raise _fail(
            path,
            f"{shown} cannot be applied: the Pipecat Cloud agents API this action deploys "
            f"through has no such setting, so {consequence}; remove it, or deploy this agent "
            "with `pcc deploy`",
        )
    git = data.get("git", {})
    if any(value not in (None, "") for value in git.values()):
        raise _fail(
            path,
            "[git] makes Pipecat Cloud build the agent from a GitHub repository itself, but "
            "this action builds and deploys the folder (`pcc deploy` refuses [git] with a "
            "build too); remove [git], or deploy this agent with `pcc deploy`",
        )


def _check_values(data: dict[str, Any], scaling: dict[str, Any], path: Path) -> None:
    """The values `pcc deploy` refuses when it reads the file (before any flag applies)."""
    image, build_id = data.get("image"), data.get("build_id")
    if isinstance(image, str) and ":" not in image:
        raise _fail(
            path, f"image '{image}' has no tag (`pcc deploy` refuses it too); e.g. my-image:0.1"
        )
    if image is not None and build_id is not None:
        raise _fail(path, "has both 'image' and 'build_id' (`pcc deploy` refuses that); keep one")
    max_agents = scaling.get("max_agents")
    if isinstance(max_agents, int) and not isinstance(max_agents, bool) and max_agents == 0:
        raise _fail(
            path,
            "[scaling] max_agents 0 would let no agent run (`pcc deploy` refuses it too); use 1 "
            "or more",
        )


def load_project_file(folder: Path, workspace: Path | None = None) -> ProjectFile | None:
    """Returns the settings of `folder/pcc-deploy.toml`, or None when there is none. A file
    that is a symbolic link is read only when it resolves inside `workspace` (else `folder`):
    a link out of the checkout could read any file of the runner."""
    path = folder / PROJECT_FILE_NAME
    if path.is_symlink():
        bound = (workspace or folder).resolve()
        target = path.resolve()
        if target != bound and bound not in target.parents:
            raise _fail(
                path,
                f"is a symbolic link to {target}, outside the workspace {bound}; replace it "
                "with the file itself",
            )
    if not path.is_file():
        return None
    import tomllib  # only folders with the file pay for the parser

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"is not valid TOML: {exc}; fix or remove it") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read: {exc.strerror}") from None

    _check_keys(data, path)
    build = _table(data, "build", path)
    exclude = build.get("exclude", {})
    if not isinstance(exclude, dict):
        raise _fail(path, "[build.exclude] must be a table")
    docker = _table(data, "docker", path)
    patterns = exclude.get("patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise _fail(path, "[build.exclude] patterns must be a list of strings")
    scaling = _table(data, "scaling", path)
    krisp = _table(data, "krisp_viva", path)
    _check_values(data, scaling, path)
    unused = [f"[docker] {key}" for key in docker]
    unused += [f"[build] {key}" for key in build if key not in BUILD_KEYS]
    unused += [f"[build.exclude] {key}" for key in exclude if key != "patterns"]
    dockerfile = build.get("dockerfile")
    region = data.get("region")
    return ProjectFile(
        path=path,
        region=None if region is None else _string(region, "region", path),
        context_dir=_context_dir(build.get("context_dir", "."), path),
        dockerfile=None if dockerfile is None else _string(dockerfile, "build.dockerfile", path),
        exclude_patterns=tuple(patterns),
        agent_name=_optional_string(data, "agent_name", "agent_name", path),
        secret_set=_optional_string(data, "secret_set", "secret_set", path),
        min_agents=_optional_int(scaling, "min_agents", "scaling.min_agents", path),
        max_agents=_optional_int(scaling, "max_agents", "scaling.max_agents", path),
        agent_profile=_optional_string(data, "agent_profile", "agent_profile", path),
        max_session_duration=_optional_int(
            data, "max_session_duration", "max_session_duration", path
        ),
        audio_filter=_optional_string(krisp, "audio_filter", "krisp_viva.audio_filter", path),
        image=_optional_string(data, "image", "image", path),
        build_id=_optional_string(data, "build_id", "build_id", path),
        image_credentials=_optional_string(data, "image_credentials", "image_credentials", path),
        unused=tuple(unused),
    )
