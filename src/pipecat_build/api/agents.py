"""Agent and secret-set endpoints: typed requests in (`DeployRequest`), typed models out."""

from __future__ import annotations

from typing import Any

from ..models import Agent, DeployRequest, SecretSet, SecretSetSummary
from .connection import ApiConnection, ApiError, segment


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

    def delete(self, name: str) -> bool:
        """Deletes the agent: True when deleted, False when there was none of that name (404,
        as after an earlier deletion). Idempotent, so retried like a read."""
        return self._delete(f"/v1/agents/{segment(name)}", f"delete agent {name}")

    def delete_secret_set(self, name: str) -> bool:
        """Deletes a secret set: True when deleted, False when there was none (404)."""
        return self._delete(f"/v1/secrets/{segment(name)}", f"delete secret set {name}")

    def _delete(self, path: str, what: str) -> bool:
        try:
            self.api.call("DELETE", path, what)
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def secret_sets(self) -> dict[str, SecretSetSummary]:
        """Every secret set by name (GET /v1/secrets): the one way to see an image pull
        secret set, which GET /v1/secrets/{set} does not show."""
        body = self.api.call("GET", "/v1/secrets", "list the secret sets")
        sets = body.get("sets")
        items = sets if isinstance(sets, list) else []
        summaries = (SecretSetSummary.parse(item) for item in items)
        return {summary.name: summary for summary in summaries if summary.name}

    def get_secret_set(self, name: str) -> SecretSet | None:
        body = self._read(f"/v1/secrets/{segment(name)}", f"read secret set {name}")
        return None if body is None else SecretSet.parse(name, body)
