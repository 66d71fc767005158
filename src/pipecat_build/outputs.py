"""The output vocabulary, declared once beside the inputs table: each output's name, what it
means, its JSON type for the CLI, and which run modes set it.

`action.yml`'s outputs, the CLI's JSON keys and `--output-env` names, the README's outputs
table and the writer in `report/outputs.py` all read this table (tests hold them to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .mode import RunMode

Kind = Literal["text", "int", "float", "bool", "json"]
ONE = frozenset({RunMode.BUILD, RunMode.PLAN})  # outputs of a run with one target
BUILDS = frozenset({RunMode.BUILD})


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    modes: frozenset[RunMode]
    kind: Kind = "text"

    @property
    def env(self) -> str:
        """Its name in `--output-env` files and GitLab dotenv reports."""
        return "PIPECAT_" + self.name.upper().replace("-", "_")


OUTPUTS: tuple[Output, ...] = (
    Output("image-uri", "URI of the built (or reused) image. Not set when the build failed or "
           "timed out.", ONE),
    Output("build-id", "Id of the build, set as soon as it exists (usable from an `if "
           "always()` step).", ONE),
    Output("context-hash", "Context hash of the uploaded archive, 16 hex characters; equals "
           "`pcc deploy`'s for the same folder with `compression cli`.", ONE),
    Output("cached", "`true` when an existing successful build was reused.", ONE, "bool"),
    Output("status", "Final build status (success, failed, timeout), or `timed-out-waiting` "
           "when build-timeout passed (`planned` with `plan-only`).", ONE),
    Output("context-size-bytes", "Size of the uploaded archive in bytes.", ONE, "int"),
    Output("image-size-bytes", "Size of the built image in bytes.", ONE, "int"),
    Output("build-duration-seconds", "Build duration reported by Pipecat Cloud.", ONE,
           "float"),
    Output("logs-url", "Link to the build's logs in the cloud console.", ONE),
    Output("agent-name", "With a deploy, the agent the image was deployed to.", BUILDS),
    Output("deployment-id", "With a deploy, the id of the deployment, set as soon as Pipecat "
           "Cloud accepts it.", BUILDS),
    Output("deploy-status", "With a deploy: `ready` (the agent serves the new deployment), "
           "`unchanged`, `not-waited`, `failed` or `timed-out-waiting`.", BUILDS),
    Output("deployments", "With `services` that deploy, a JSON object mapping each service "
           "name to its deploy status.", frozenset({RunMode.SERVICES}), "json"),
    Output("images", "With `services`, a JSON object mapping each service name to its image "
           "URI.", frozenset({RunMode.SERVICES, RunMode.PLAN_SERVICES}), "json"),
    Output("matrix", "With `plan-only`, JSON for `strategy.matrix` (`fromJSON`) listing the "
           "services that need a build.", frozenset({RunMode.PLAN, RunMode.PLAN_SERVICES}),
           "json"),
)
OUTPUT_BY_NAME: Mapping[str, Output] = {spec.name: spec for spec in OUTPUTS}
