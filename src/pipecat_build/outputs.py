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
GIVEN_BUILD = frozenset({RunMode.DEPLOY_BUILD})  # `build-id`: that build's outputs
IMAGE = ONE | GIVEN_BUILD | {RunMode.DEPLOY_IMAGE}  # a build's image, or the `image` deployed
DEPLOYS = BUILDS | GIVEN_BUILD | {RunMode.DEPLOY_IMAGE}  # one agent deployed
NAMED_AGENT = DEPLOYS | {RunMode.DELETE_AGENT}  # one agent named (deployed or deleted)


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    modes: frozenset[RunMode]
    kind: Kind = "text"

    @property
    def set_by(self) -> str:
        """The modes that set it, in the docs' words, in the order of `RunMode`."""
        return ", ".join(mode.described for mode in RunMode if mode in self.modes)

    @property
    def env(self) -> str:
        """Its name in `--output-env` files and GitLab dotenv reports."""
        return "PIPECAT_" + self.name.upper().replace("-", "_")


OUTPUTS: tuple[Output, ...] = (
    Output("image-uri", "URI of the built (or reused) image. Not set when the build failed or "
           "timed out. With `build-id`, that build's image; with `image`, that image.", IMAGE),
    Output("build-id", "Id of the build, set as soon as it exists (usable from an `if "
           "always()` step); with `build-id`, that build.", ONE | GIVEN_BUILD),
    Output("context-hash", "Context hash of the uploaded archive, 16 hex characters; equals "
           "`pcc deploy`'s for the same folder with `compression cli`. With `build-id`, that "
           "build's.", ONE | GIVEN_BUILD),
    Output("cached", "`true` when an existing successful build was reused (always with "
           "`build-id`).", ONE | GIVEN_BUILD, "bool"),
    Output("status", "Final build status (success, failed, timeout), or `timed-out-waiting` "
           "when build-timeout passed (`planned` with `plan-only`).", ONE | GIVEN_BUILD),
    Output("context-size-bytes", "Size of the uploaded archive in bytes.", ONE | GIVEN_BUILD,
           "int"),
    Output("image-size-bytes", "Size of the built image in bytes.", ONE | GIVEN_BUILD, "int"),
    Output("build-duration-seconds", "Build duration reported by Pipecat Cloud.",
           ONE | GIVEN_BUILD, "float"),
    Output("logs-url", "Link to the build's logs in the cloud console.", ONE | GIVEN_BUILD),
    Output("agent-name", "With a deploy, the agent the image was deployed to; with "
           "`delete-agent`, the agent deleted. The final name, `agent-name-suffix` "
           "included.", NAMED_AGENT),
    Output("deployment-id", "With a deploy, the id of the deployment, set as soon as Pipecat "
           "Cloud accepts it.", DEPLOYS),
    Output("deploy-status", "With a deploy: `ready` (the agent serves the new deployment), "
           "`unchanged`, `not-waited`, `failed` or `timed-out-waiting`.", DEPLOYS),
    Output("delete-status", "With `delete-agent`: `deleted`, or `already-gone` when there was "
           "no agent of that name (a success too).", frozenset({RunMode.DELETE_AGENT})),
    Output("deployments", "With `services` that deploy, a JSON object mapping each service "
           "name to its deploy status.", frozenset({RunMode.SERVICES}), "json"),
    Output("images", "With `services`, a JSON object mapping each service name to its image "
           "URI.", frozenset({RunMode.SERVICES, RunMode.PLAN_SERVICES}), "json"),
    Output("matrix", "With `plan-only`, JSON for `strategy.matrix` (`fromJSON`) listing the "
           "services that need a build.", frozenset({RunMode.PLAN, RunMode.PLAN_SERVICES}),
           "json"),
)
OUTPUT_BY_NAME: Mapping[str, Output] = {spec.name: spec for spec in OUTPUTS}
