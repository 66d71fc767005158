"""What the flow uses of the Pipecat Cloud API, as protocols: `api.builds.BuildsApi` and
`api.agents.AgentsApi` satisfy them, and the unit tests hand in an in-memory fake of the
service that does too (tests/unit/fakes.py). A method the flow starts to call is added here."""

from __future__ import annotations

from typing import Protocol

from ..models import (
    Agent,
    Build,
    CreateAnswer,
    DeployRequest,
    SecretSet,
    SecretSetSummary,
    UploadTicket,
)


class BuildsPort(Protocol):
    def default_region(self) -> str: ...

    def regions(self) -> list[str]: ...

    def find_builds(
        self, context_hash: str, region: str, status: str | None = None, limit: int = 20
    ) -> list[Build]: ...

    def request_upload(self, region: str) -> UploadTicket: ...

    def create_build(self, upload_id: str, region: str, dockerfile: str) -> CreateAnswer: ...

    def get_build(self, build_id: str) -> Build: ...

    def get_logs(self, build_id: str, limit: int = ...) -> tuple[list[str], bool]: ...


class AgentsPort(Protocol):
    def get(self, name: str) -> Agent | None: ...

    def create(self, request: DeployRequest) -> Agent: ...

    def update(self, request: DeployRequest) -> Agent: ...

    def put_secrets(self, name: str, pairs: tuple[tuple[str, str], ...], region: str) -> None: ...

    def get_secret_set(self, name: str) -> SecretSet | None: ...

    def delete(self, name: str) -> bool: ...

    def delete_secret_set(self, name: str) -> bool: ...

    def secret_sets(self) -> dict[str, SecretSetSummary]: ...
