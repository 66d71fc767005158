"""What `-v` (RUNNER_DEBUG on GitHub) shows for each target: every resolved setting and where
it came from. Secrets appear by key name only, never by value."""

from __future__ import annotations

from ..config import Settings, Target
from ..redact import printable


def resolved_settings(settings: Settings, target: Target) -> str:
    """The context, Dockerfile and region, with where each came from, are not repeated here:
    the pack group's first line says them once (`flow/target.py`), with the region resolved."""
    label = f"[{target.label(settings.workspace)}] " if settings.mode.many else ""
    parts = [
        f"mode {settings.mode.value}",
        f"project file {target.project_file or 'none'}",
        f"extra exclude patterns {list(target.extra_patterns) or 'none'}",
        f"compression {settings.compression}",
        f"files {settings.files}",
        f"ignore-rules {settings.ignore_rules}",
        f"include-git {str(settings.include_git).lower()}",
        f"secret-files {settings.secret_files}",
    ]
    deploy = target.deploy
    if deploy is None:
        parts.append("deploy: no")
    else:
        keys = ", ".join(key for key, _ in deploy.secrets) or "none"
        parts.append(
            f"deploy to agent {deploy.agent} (from {deploy.origin}), secret set "
            f"{deploy.secret_set or 'none'}, secrets written: {keys}"
        )
    return printable(f"{label}resolved: " + "; ".join(parts))
