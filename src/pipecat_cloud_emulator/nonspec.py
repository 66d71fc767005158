"""Everything the emulator answers that the official OpenAPI spec does not document.

The ONE list, each entry with its source, so a contract test can allow exactly these and
nothing else. Sources are files of the shared reference folder (`deploy.md`, `openapi.json`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NonSpecField:
    """A response field beyond the schema (`where` is a component schema name)."""

    where: str
    name: str
    shape: str
    source: str


@dataclass(frozen=True)
class NonSpecAnswer:
    """An answer status an operation does not list."""

    operation: str
    status: int
    code: str
    source: str


NON_SPEC_FIELDS: tuple[NonSpecField, ...] = (
    NonSpecField(
        "ServiceDetailsResponse",
        "errors",
        "array of {code: string, message: string}; empty when there are none",
        "deploy.md 'Is it ready?': not in the spec but sent and read by both clients "
        "(pcc deploy fails on errors[]; the official action reads errors[] only)",
    ),
    NonSpecField(
        "ServiceDetailsResponse",
        "conditions",
        "array of {type: Degraded|Progressing, status: 'True'|'False', reason, message}; "
        "empty when settled",
        "deploy.md 'Is it ready?': conditions[] (Degraded / Progressing with status, "
        "reason, message)",
    ),
    NonSpecField(
        "ServiceDetailsResponse",
        "warning",
        "string, only on an update that changed nothing (no new deployment)",
        "deploy.md 'Agents': update 200 ServiceDetailsResponse (may carry `warning` when "
        "nothing changed)",
    ),
    NonSpecField(
        "ServiceDetailsResponse.deployment.manifest.spec",
        "krispModels",
        "{enabled: false}",
        "openapi.json: every ServiceDetailsResponse example carries it; the schema omits it",
    ),
)

# Fields the spec types as non-null that the emulator sends as null.
NULL_FIELDS: tuple[NonSpecField, ...] = (
    NonSpecField(
        "ServiceDetailsResponse",
        "reconciledDeploymentId",
        "null until the first deployment is reconciled",
        "openapi.json: the createService 200 example has reconciledDeploymentId: null",
    ),
)

NON_SPEC_ANSWERS: tuple[NonSpecAnswer, ...] = (
    NonSpecAnswer(
        "POST /agents",
        409,
        "CONFLICT",
        "deploy.md 'Secret sets' and the upsertSecretSet description in openapi.json: "
        "deploys that bind a secret set whose status is not ready are rejected with 409",
    ),
    NonSpecAnswer(
        "POST /agents/{agentName}",
        409,
        "CONFLICT",
        "same as POST /agents",
    ),
)
