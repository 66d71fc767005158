"""Agent and secret-set endpoints: typed requests in (`DeployRequest`), typed models out."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..models import Agent, DeployRequest, SecretSet
from .connection import ApiConnection, ApiError


def segment(value: str) -> str:
    """One path segment: every character that could end it or start a query is escaped, so a
    name such as `../agents/victim` stays a name (`..%2Fagents%2Fvictim`)."""
    return quote(value, safe="")


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
        body = self._read(f"/v1/agents/{segment(name)}", f"read agent {name}")
        return None if body is None else Agent.parse(body)

    def create(self, request: DeployRequest) -> Agent:
        """Not idempotent: one attempt (AnswerLost when the answer is lost)."""
        answer = self.api.send_once(
            "POST", "/v1/agents", "create the agent", request.body(create=True)
        )
        return Agent.parse(answer)

    def update(self, request: DeployRequest) -> Agent:
        """Not idempotent either (it starts a deployment): one attempt."""
        name = request.agent
        answer = self.api.send_once(
            "POST",
            f"/v1/agents/{segment(name)}",
            f"update agent {name}",
            request.body(create=False),
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
            f"/v1/secrets/{segment(name)}",
            f"write secret set {name}",
            json=body,
            retry_statuses=(409,),
        )

    def get_secret_set(self, name: str) -> SecretSet | None:
        body = self._read(f"/v1/secrets/{segment(name)}", f"read secret set {name}")
        return None if body is None else SecretSet.parse(name, body)
