"""One typed settings object, built once from the action's inputs, each input cleaned by its own
`clean_<input>` function so every bad value fails with one line naming that input."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from .errors import InputError
from .project_file import PROJECT_FILE_NAME, ProjectFile, load_project_file

DEFAULT_API_URL = "https://api.pipecat.daily.co"
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", ""})
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")

Compression = Literal["cli", "fast"]
FilesMode = Literal["all", "tracked"]
IgnoreRules = Literal["cli", "docker"]
SecretFiles = Literal["warn", "exclude", "fail"]
_Choice = TypeVar("_Choice", bound=str)


@dataclass(frozen=True)
class Target:
    """One image to build: a context folder, its Dockerfile and (optionally) its own region."""

    name: str
    context_dir: Path
    dockerfile: str
    region: str | None
    extra_patterns: tuple[str, ...] = ()
    project_file: Path | None = None
    origin: Path | None = None  # the folder the input named, before pcc-deploy.toml moved it

    def input_folder(self, workspace: Path) -> str:
        """The `context` to give a later run so it finds the same target (plan fan-out)."""
        folder = self.origin or self.context_dir
        return folder.relative_to(workspace).as_posix() or "."

    def label(self, workspace: Path) -> str:
        """How logs name this target: the service name, else the context path."""
        if self.name:
            return self.name
        return self.context_dir.relative_to(workspace).as_posix() or "."


@dataclass(frozen=True)
class Settings:
    api_key: str = field(repr=False)
    api_url: str
    workspace: Path
    targets: tuple[Target, ...]
    multi_service: bool
    force: bool
    build_timeout: float
    poll_interval: float
    compression: Compression
    files: FilesMode
    ignore_rules: IgnoreRules
    include_git: bool
    secret_files: SecretFiles
    plan_only: bool
    max_parallel: int


def read_action_inputs(environ: Mapping[str, str]) -> dict[str, str]:
    """The runner passes `api-key` as `INPUT_API-KEY`: upper-cased, hyphens kept. Shells cannot
    set such names, so `INPUT_API_KEY` (e.g. `docker run -e`) is read too; the runner's wins."""
    inputs: dict[str, str] = {}
    for name, value in environ.items():
        if name.startswith("INPUT_") and "_" in name[len("INPUT_") :]:
            inputs.setdefault(name[len("INPUT_") :].lower().replace("_", "-"), value)
    for name, value in environ.items():
        if name.startswith("INPUT_") and "_" not in name[len("INPUT_") :]:
            inputs[name[len("INPUT_") :].lower()] = value
    return inputs


def clean_api_key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise InputError(
            "api-key",
            "is empty; pass your Pipecat Cloud private API key, e.g. "
            "`api-key: ${{ secrets.PIPECAT_API_KEY }}` (a missing secret arrives empty)",
        )
    if any(ch.isspace() for ch in key):
        raise InputError("api-key", "contains white space; copy the key again without it")
    return key


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_api_url(raw: str) -> str:
    url = (raw.strip() or DEFAULT_API_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("api-url", f"'{url}' is not an http(s) URL; use e.g. {DEFAULT_API_URL}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InputError(
            "api-url",
            f"plain http to '{parts.hostname}' would send the API key unencrypted; use https "
            "(http is accepted only for loopback hosts such as 127.0.0.1)",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError("api-url", "must be a base URL without credentials, query or fragment")
    return url


def clean_bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InputError(name, f"'{raw.strip()}' is not a boolean; use true or false")


def clean_positive_seconds(name: str, raw: str, default: float) -> float:
    text = raw.strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(name, f"'{text}' is not a positive number of seconds")
    return value


def clean_positive_int(name: str, raw: str, default: int) -> int:
    text = raw.strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise InputError(name, f"'{text}' is not a positive whole number")
    return int(text)


def clean_choice(name: str, raw: str, choices: tuple[_Choice, ...]) -> _Choice:
    word = raw.strip().lower() or choices[0]
    for choice in choices:
        if word == choice:
            return choice
    raise InputError(name, f"'{raw.strip()}' is not one of: {', '.join(choices)}")


def clean_region(raw: str, input_name: str = "region") -> str | None:
    region = raw.strip()
    if region and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", region):
        raise InputError(input_name, f"'{region}' is not a region code such as us-west")
    return region or None


def clean_dockerfile(raw: str, input_name: str = "dockerfile") -> str:
    text = raw.strip().replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts:
        raise InputError(
            input_name, f"'{text}' must be a path inside the build context, relative to it"
        )
    cleaned = path.as_posix()
    if cleaned in ("", "."):
        raise InputError(input_name, "is empty; give the Dockerfile's path, e.g. Dockerfile")
    return cleaned


def clean_context(raw: str, workspace: Path, input_name: str = "context") -> Path:
    text = raw.strip() or "."
    return _folder_in_workspace(workspace / text, text, workspace, input_name)


def _folder_in_workspace(path: Path, shown: str, workspace: Path, input_name: str) -> Path:
    candidate = path.resolve()
    root = workspace.resolve()
    if candidate != root and root not in candidate.parents:
        raise InputError(
            input_name, f"'{shown}' is outside the workspace {root}; use a folder inside it"
        )
    if not candidate.exists():
        raise InputError(input_name, f"folder '{shown}' does not exist in the workspace ({root})")
    if not candidate.is_dir():
        raise InputError(input_name, f"'{shown}' is not a folder")
    return candidate


def _target_from_project(
    name: str,
    folder: Path,
    workspace: Path,
    dockerfile_input: str,
    region_input: str | None,
    input_name: str,
) -> Target:
    """Applies `pcc-deploy.toml` from `folder` (as `pcc deploy` run there would); inputs win.

    A bad value names the input it came from: the explicit input, else the project file."""
    project: ProjectFile | None = load_project_file(folder)
    context_dir = folder
    dockerfile = clean_dockerfile(dockerfile_input, input_name) if dockerfile_input.strip() else ""
    region = region_input
    patterns: tuple[str, ...] = ()
    if project is not None:
        shown = f"{project.path.relative_to(workspace.resolve()).as_posix()}"
        context_dir = _folder_in_workspace(
            folder / project.context_dir,
            f"{shown}: build.context_dir = {project.context_dir}",
            workspace,
            PROJECT_FILE_NAME,
        )
        if not dockerfile and project.dockerfile:
            dockerfile = clean_dockerfile(project.dockerfile, PROJECT_FILE_NAME)
        if not region and project.region:
            region = clean_region(project.region, PROJECT_FILE_NAME)
        patterns = project.exclude_patterns
    return Target(
        name=name,
        context_dir=context_dir,
        dockerfile=dockerfile or "Dockerfile",
        region=region,
        extra_patterns=patterns,
        project_file=None if project is None else project.path,
        origin=folder,
    )


_SERVICE_KEYS = frozenset({"context", "dockerfile", "region"})


def _load_unique_yaml(text: str) -> object:
    """`yaml.safe_load`, except that a name given twice is an error instead of the last one
    silently winning (two services with one name would build only one of them)."""
    import yaml  # only multi-service runs pay for it

    class UniqueKeys(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # construct_mapping reports what is wrong with it
            if key in seen:
                raise InputError(
                    "services",
                    f"'{key}' is given twice (line {key_node.start_mark.line + 1}); "
                    "names must be unique",
                )
            seen.add(key)
        return dict(loader.construct_mapping(node, deep=True))

    UniqueKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=UniqueKeys)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(
            "services",
            f"is not valid YAML{where}; expected lines such as `name: {{context: folder}}`",
        ) from None


def _services_text(raw: str, workspace: Path) -> str:
    """The YAML itself, or the text of the manifest file that a single-line value names."""
    text = raw.strip()
    if "\n" in text or ": " in text or text.endswith(":") or text.startswith("{"):
        return text
    manifest = (workspace / text).resolve()
    root = workspace.resolve()
    if root not in manifest.parents or not manifest.is_file():
        raise InputError(
            "services",
            f"'{text}' is neither YAML (name: {{context: folder}}) nor a manifest file "
            "in the workspace",
        )
    try:
        return manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("services", f"cannot read manifest '{text}': {exc}") from None


def _service_specs(data: object) -> dict[object, object]:
    if (
        isinstance(data, dict)
        and set(data) == {"services"}
        and isinstance(data["services"], dict)
        and not set(data["services"]) <= _SERVICE_KEYS
    ):
        data = data["services"]  # a manifest may wrap the mapping in `services:`
    if not isinstance(data, dict) or not data:
        raise InputError(
            "services", "must be a mapping of service name to {context, dockerfile, region}"
        )
    return data


def _service_target(
    name: object, spec: object, workspace: Path, region: str | None
) -> Target:
    if not isinstance(name, str) or not _SERVICE_NAME.match(name):
        raise InputError(
            "services",
            f"'{name}' is not a valid service name (letters, digits, '.', '_', '-'; "
            "at most 63 characters)",
        )
    if spec is None:
        spec = {}
    if isinstance(spec, str):
        spec = {"context": spec}
    if not isinstance(spec, dict) or set(spec) - _SERVICE_KEYS:
        raise InputError(
            "services", f"service '{name}' takes only context, dockerfile and region"
        )
    values: dict[str, str] = {}
    for key, value in spec.items():
        if isinstance(value, dict | list):
            raise InputError("services", f"service '{name}': {key} must be a single value")
        if value is not None:
            values[str(key)] = str(value)
    try:
        folder = clean_context(values.get("context", name), workspace, "services")
        own_region = clean_region(values.get("region", ""), "services")
        return _target_from_project(
            name, folder, workspace, values.get("dockerfile", ""), own_region or region,
            "services",
        )
    except InputError as exc:
        if exc.input_name != "services":
            raise
        detail = str(exc).removeprefix("Input 'services': ")
        raise InputError("services", f"service '{name}': {detail}") from None


def clean_services(raw: str, workspace: Path, region: str | None) -> tuple[Target, ...]:
    """`services` is YAML (name -> context, dockerfile, region) or a manifest path holding it.

    A service without `context` uses the folder named like it; a service's `region` wins
    over the `region` input, which wins over its `pcc-deploy.toml`."""
    specs = _service_specs(_load_unique_yaml(_services_text(raw, workspace)))
    return tuple(_service_target(name, spec, workspace, region) for name, spec in specs.items())


def build_settings(inputs: Mapping[str, str], workspace: Path) -> Settings:
    """Cleans every input; the key first, so nothing can print before it is masked."""

    def get(name: str) -> str:
        return inputs.get(name, "")

    workspace = workspace.resolve()
    api_key = clean_api_key(get("api-key"))
    api_url = clean_api_url(get("api-url"))
    region = clean_region(get("region"))
    services = get("services").strip()
    if services:
        targets = clean_services(services, workspace, region)
    else:
        folder = clean_context(get("context"), workspace)
        targets = (
            _target_from_project("", folder, workspace, get("dockerfile"), region, "dockerfile"),
        )
    return Settings(
        api_key=api_key,
        api_url=api_url,
        workspace=workspace,
        targets=targets,
        multi_service=bool(services),
        force=clean_bool("force", get("force")),
        build_timeout=clean_positive_seconds("build-timeout", get("build-timeout"), 1800.0),
        poll_interval=clean_positive_seconds("poll-interval", get("poll-interval"), 5.0),
        compression=clean_choice("compression", get("compression"), ("cli", "fast")),
        files=clean_choice("files", get("files"), ("all", "tracked")),
        ignore_rules=clean_choice("ignore-rules", get("ignore-rules"), ("cli", "docker")),
        include_git=clean_bool("include-git", get("include-git")),
        secret_files=clean_choice("secret-files", get("secret-files"), ("warn", "exclude", "fail")),
        plan_only=clean_bool("plan-only", get("plan-only")),
        max_parallel=clean_positive_int("max-parallel", get("max-parallel"), 4),
    )
