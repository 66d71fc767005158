"""Configuration: the inputs cleaned once into a typed `Settings` (its `RunMode`, its targets
with their deploy settings, and `pcc-deploy.toml` applied as `pcc deploy` applies it).

Nothing here sends a request or reads the process environment; `api/` does not import it.
"""

from ..mode import RunMode
from .settings import Settings, build_settings
from .targets import DeploySpec, Target

__all__ = ["DeploySpec", "RunMode", "Settings", "Target", "build_settings"]
