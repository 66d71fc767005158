"""The `services` input: YAML (or a manifest file holding it) naming several targets.

Each entry takes `context`, `dockerfile`, `region` and the deploy settings (`agent`, `deploy`,
`secret-set`, `min-agents`, ...); the step's inputs are the defaults for every entry.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError, shown
from . import cleaners as clean
from .targets import DeployInputs, Target, target_from_folder

_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_DEPLOY_KEYS = (
    "deploy",
    "secret-set",
    "min-agents",
    "max-agents",
    "agent-profile",
    "max-session-duration",
    "krisp-viva-audio-filter",
    "force-redeploy",
    "wait-for-ready",
    "deploy-timeout",
)
SERVICE_KEYS = ("context", "dockerfile", "region", "agent", *_DEPLOY_KEYS)


def _load_unique_yaml(text: str, source: str) -> object:
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
                    f"{source}'{key}' is given twice (line {key_node.start_mark.line + 1}); "
                    "names must be unique",
                )
            seen.add(key)
        return dict(loader.construct_mapping(node, deep=True))

    UniqueKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=UniqueKeys)  # a SafeLoader: no arbitrary objects
    except RecursionError:  # `[[[[...` or `{{{{...` thousands deep: PyYAML recurses per level
        raise InputError(
            "services", f"{source}is nested too deeply; services are `name: {{context: folder}}`"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            "services",
            f"{source}is not valid YAML{where} ({problem}); expected lines such as "
            "`name: {context: folder}`",
        ) from None


def _services_text(raw: str, workspace: Path) -> tuple[str, str]:
    """The YAML itself, or the text of the manifest file that a single-line value names;
    and how to name it in messages."""
    text = raw.strip()
    if "\n" in text or ": " in text or text.endswith(":") or text.startswith("{"):
        return text, ""
    try:  # a NUL or a name too long for the file system is no manifest either
        manifest = (workspace / text).resolve()
        is_file = "\0" not in text and manifest.is_file()
    except (OSError, ValueError, RuntimeError):
        manifest, is_file = workspace, False
    root = workspace.resolve()
    if root not in manifest.parents or not is_file:
        raise InputError(
            "services",
            f"'{shown(text)}' is neither YAML (name: {{context: folder}}) nor a manifest "
            "file in the workspace",
        )
    try:
        return manifest.read_text(encoding="utf-8"), f"manifest {text}: "
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("services", f"cannot read manifest '{text}': {exc}") from None


def _service_specs(data: object, source: str) -> dict[object, object]:
    if (
        isinstance(data, dict)
        and set(data) == {"services"}
        and isinstance(data["services"], dict)
        and not set(data["services"]) <= set(SERVICE_KEYS)
    ):
        data = data["services"]  # a manifest may wrap the mapping in `services:`
    if not isinstance(data, dict) or not data:
        raise InputError(
            "services",
            f"{source}must be a mapping of service name to {{context, dockerfile, region, agent}}",
        )
    return data


def _unknown_key(name: str, key: str, source: str) -> InputError:
    close = difflib.get_close_matches(key, SERVICE_KEYS, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return InputError(
        "services",
        f"{source}service '{name}': unknown key '{key}'; {hint}keys are {', '.join(SERVICE_KEYS)}",
    )


def _service_target(
    name: object,
    spec: object,
    workspace: Path,
    region: str | None,
    step: Mapping[str, str],
    source: str,
) -> Target:
    if not isinstance(name, str) or not _SERVICE_NAME.match(name):
        raise InputError(
            "services",
            f"{source}'{name}' is not a valid service name (letters, digits, '.', '_', '-'; "
            "at most 63 characters)",
        )
    if spec is None:
        spec = {}
    if isinstance(spec, str):
        spec = {"context": spec}
    if not isinstance(spec, dict):
        raise InputError("services", f"{source}service '{name}' must be a mapping or a folder")
    values: dict[str, str] = {}
    for key, value in spec.items():
        if str(key) not in SERVICE_KEYS:
            raise _unknown_key(name, str(key), source)
        if isinstance(value, dict | list):
            raise InputError("services", f"{source}service '{name}': {key} must be a single value")
        if value is not None:
            values[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        folder = clean.clean_context("services", values.get("context", name), workspace)
        own_region = clean.clean_region("services", values.get("region", ""))
        merged = {**step, "agent-name": values.get("agent", "")}
        merged.update({k: v for k, v in values.items() if k in _DEPLOY_KEYS})
        deploy = DeployInputs.clean(merged, "services")
        return target_from_folder(
            name,
            folder,
            workspace,
            values.get("dockerfile", ""),
            own_region or region,
            "services",
            deploy,
            region_source="services" if own_region else "region",
            context_source="services",
        )
    except InputError as exc:
        if exc.input_name != "services":
            raise
        raise InputError("services", f"{source}service '{name}': {exc.detail}") from None


def clean_services(
    raw: str, workspace: Path, region: str | None, step: Mapping[str, str] | None = None
) -> tuple[Target, ...]:
    """A service without `context` uses the folder named like it; a service's `region` wins
    over the `region` input, which wins over its `pcc-deploy.toml`."""
    text, source = _services_text(raw, workspace)
    specs = _service_specs(_load_unique_yaml(text, source), source)
    return tuple(
        _service_target(name, spec, workspace, region, step or {}, source)
        for name, spec in specs.items()
    )
