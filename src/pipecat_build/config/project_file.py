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


def load_project_file(folder: Path) -> ProjectFile | None:
    """Returns the settings of `folder/pcc-deploy.toml`, or None when there is none."""
    path = folder / PROJECT_FILE_NAME
    if not path.is_file():
        return None
    import tomllib  # only folders with the file pay for the parser

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"is not valid TOML: {exc}; fix or remove it") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read: {exc.strerror}") from None

    build = _table(data, "build", path)
    exclude = build.get("exclude", {})
    if not isinstance(exclude, dict):
        raise _fail(path, "[build.exclude] must be a table")
    patterns = exclude.get("patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise _fail(path, "[build.exclude] patterns must be a list of strings")
    scaling = _table(data, "scaling", path)
    krisp = _table(data, "krisp_viva", path)
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
    )
