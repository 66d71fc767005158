"""Reads `pcc-deploy.toml`, the official CLI's project file, for build defaults.

`pcc deploy` reads it from the folder it runs in and resolves `[build] context_dir` against
that folder; the action treats the `context` input (or the workspace root) as that folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

PROJECT_FILE_NAME = "pcc-deploy.toml"


@dataclass(frozen=True)
class ProjectFile:
    path: Path
    region: str | None
    context_dir: str
    dockerfile: str | None
    exclude_patterns: tuple[str, ...]


def _string(value: object, key: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(PROJECT_FILE_NAME, f"{path}: '{key}' must be a non-empty string")
    return value.strip()


def _context_dir(value: object, path: Path) -> str:
    """`pcc deploy` resolves an empty `context_dir` to the folder it runs in, like '.'."""
    if isinstance(value, str) and not value.strip():
        return "."
    return _string(value, "build.context_dir", path)


def load_project_file(folder: Path) -> ProjectFile | None:
    """Returns the build settings of `folder/pcc-deploy.toml`, or None when there is none."""
    path = folder / PROJECT_FILE_NAME
    if not path.is_file():
        return None
    import tomllib  # only folders with the file pay for the parser

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            PROJECT_FILE_NAME, f"{path} is not valid TOML: {exc}; fix or remove it"
        ) from None
    except OSError as exc:
        raise InputError(PROJECT_FILE_NAME, f"cannot read {path}: {exc.strerror}") from None

    build = data.get("build", {})
    if not isinstance(build, dict):
        raise InputError(PROJECT_FILE_NAME, f"{path}: [build] must be a table")
    exclude = build.get("exclude", {})
    if not isinstance(exclude, dict):
        raise InputError(PROJECT_FILE_NAME, f"{path}: [build.exclude] must be a table")
    patterns = exclude.get("patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise InputError(
            PROJECT_FILE_NAME, f"{path}: [build.exclude] patterns must be a list of strings"
        )

    region = data.get("region")
    dockerfile = build.get("dockerfile")
    return ProjectFile(
        path=path,
        region=None if region is None else _string(region, "region", path),
        context_dir=_context_dir(build.get("context_dir", "."), path),
        dockerfile=None if dockerfile is None else _string(dockerfile, "build.dockerfile", path),
        exclude_patterns=tuple(patterns),
    )
