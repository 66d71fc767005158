"""What the process environment tells a run, read once by a front door (`entry/`) and handed
down: no module below `entry/` reads `os.environ`, so tests hand in a `Runtime` of their own
instead of steering a process through environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .api.connection import API_TIMEOUT, api_timeout
from .api.storage import UPLOAD_TIMEOUT, upload_timeout
from .api.transport import Timeouts, ca_bundle
from .retry_policy import BASE_DELAY, base_delay

# What git may see of the environment (see `git_environment`); nothing else reaches it. HOME
# is not passed: with no global configuration there is nothing under it git needs.
_GIT_PASSED = ("PATH", "TMPDIR", "SYSTEMROOT")


def git_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """git's whole environment: a few variables it needs to run, none that can carry an input
    or a secret (`INPUT_*`, the API key, tokens); no prompt; C locale for stable output; and
    no configuration but the repository's own (no system file, e.g. the image's, no user
    file under a HOME an earlier step may have written), which `archive.git_tracked`
    overrides where it could run a program."""
    passed = {name: environ[name] for name in _GIT_PASSED if name in environ}
    return {
        **passed,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_SYSTEM": os.devnull,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_OPTIONAL_LOCKS": "0",
    }


@dataclass(frozen=True)
class Runtime:
    api_timeout: tuple[float, float] = API_TIMEOUT  # connect, whole call (seconds)
    upload_timeout: Timeouts = UPLOAD_TIMEOUT
    retry_base_delay: float = BASE_DELAY
    ca_bundle: str | None = None  # a PEM bundle the user named, else the system's store
    git_environ: Mapping[str, str] = field(default_factory=lambda: git_environment({}))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Runtime:
        return cls(
            api_timeout=api_timeout(environ),
            upload_timeout=upload_timeout(environ),
            retry_base_delay=base_delay(environ),
            ca_bundle=ca_bundle(environ),
            git_environ=git_environment(environ),
        )
