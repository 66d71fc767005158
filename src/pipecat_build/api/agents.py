"""Agent and secret-set endpoints, answering in typed models. Request bodies carry only fields
the spec defines: the service drops unknown ones silently, and a setting would be lost."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..models import Agent, SecretSet
from ..settings import DeploySpec
from .connection import ApiConnection, ApiError


def deploy_body(spec: DeploySpec, build_id: str, *, create: bool, region: str) -> dict[str, Any]:
    """CreateServiceRequest / UpdateServiceRequest for a deploy by build id; unset settings
    are not sent (the service keeps or chooses its default)."""
    body: dict[str, Any] = {"buildId": build_id}
    if create:
        body = {"serviceName": spec.agent, **body, "region": region}
    if spec.secret_set:
        body["secretSet"] = spec.secret_set
    scaling = {
        key: value
        for key, value in (("minAgents", spec.min_agents), ("maxAgents", spec.max_agents))
        if value is not None
    }
    if scaling:
        body["autoScaling"] = scaling
    if spec.agent_profile:
        body["agentProfile"] = spec.agent_profile
    if spec.max_session_duration is not None:
        body["maxSessionDuration"] = spec.max_session_duration
    if spec.audio_filter:
        body["krispViva"] = {"audioFilter": spec.audio_filter}
    if spec.force_redeploy and not create:
        body["forceRedeploy"] = True
    return body


class AgentsApi:
    def __init__(self, connection: ApiConnection) -> None:
        self.api = connection

    def _read(self, path: str, what: str) -> dict[str, Any] | None:
        """A read whose 404 means "there is none" rather than a failure."""
        try:
            return self.api.call("GET", path, what)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def get(self, name: str) -> Agent | None:
        """The agent, or None when there is none of that name."""
        body = self._read(f"/v1/agents/{quote(name)}", f"read agent {name}")
        return None if body is None else Agent.parse(body)

    def create(self, body: dict[str, Any]) -> Agent:
        """Not idempotent: one attempt (AnswerLost when the answer is lost)."""
        answer = self.api.send_once("POST", "/v1/agents", "create the agent", body)
        return Agent.parse(answer)

    def update(self, name: str, body: dict[str, Any]) -> Agent:
        """Not idempotent either (it starts a deployment): one attempt."""
        answer = self.api.send_once(
            "POST", f"/v1/agents/{quote(name)}", f"update agent {name}", body
        )
        return Agent.parse(answer)

    def put_secrets(self, name: str, pairs: tuple[tuple[str, str], ...], region: str) -> None:
        """Sets the given keys (others of the set are kept); idempotent, so retried. 409
        (the set is being modified) is retried too."""
        body = {
            "secrets": [{"secretKey": k, "secretValue": v} for k, v in pairs],
            "region": region,
        }
        self.api.call(
            "PUT",
            f"/v1/secrets/{quote(name)}",
            f"write secret set {name}",
            json=body,
            retry_statuses=(409,),
        )

    def get_secret_set(self, name: str) -> SecretSet | None:
        body = self._read(f"/v1/secrets/{quote(name)}", f"read secret set {name}")
        return None if body is None else SecretSet.parse(name, body)
