"""Issue 20 §4 and §7 at the API layer: every path is built from quoted segments (a name can
never reach another endpoint), and an upload URL that would send the archive and its
presigned credentials in clear is refused."""

from __future__ import annotations

from typing import Any

import pytest

from pipecat_build.api.agents import AgentsApi
from pipecat_build.api.builds import BuildsApi
from pipecat_build.api.connection import ApiError
from pipecat_build.models import DeployRequest


class FakeConnection:
    """Records the paths asked for and answers with `answer` (no socket)."""

    def __init__(self, answer: dict[str, Any] | None = None) -> None:
        self.paths: list[str] = []
        self.answer = answer or {}
        self.policy = type("P", (), {"base_delay": 0.0, "max_delay": 0.0,
                                     "total_deadline": 1.0})()
        self.base = "https://api.example"

    def call(self, method: str, path: str, what: str, *args: Any, **kwargs: Any) -> Any:
        self.paths.append(path)
        return self.answer

    def send_once(self, method: str, path: str, what: str, body: Any) -> Any:
        self.paths.append(path)
        return self.answer


HOSTILE = ["../agents/victim", "a/b", "set?x=1", "set#f", "%2e%2e", "a b", "..", "."]


@pytest.mark.parametrize("name", HOSTILE)
def test_names_stay_one_path_segment(name: str) -> None:
    connection = FakeConnection({"name": "x", "build": {"id": "b"}})
    agents = AgentsApi(connection)  # type: ignore[arg-type]
    builds = BuildsApi(connection)  # type: ignore[arg-type]
    agents.put_secrets(name, (("K", "v"),), "us-west")
    agents.get_secret_set(name)
    agents.get(name)
    agents.update(DeployRequest(agent=name, build_id="b", region="us-west"))
    builds.get_build(name)
    builds.get_logs(name)
    for path in connection.paths:
        segments = path.split("/")
        assert segments[:2] == ["", "v1"] and "?" not in path and "#" not in path, path
        assert ".." not in segments and "." not in segments[2:] and " " not in path, path
    assert len({len(p.split("/")) for p in connection.paths[:4]}) == 1  # /v1/<kind>/<one>


def test_a_traversing_set_name_never_reaches_the_agents_endpoint() -> None:
    connection = FakeConnection()
    AgentsApi(connection).put_secrets(  # type: ignore[arg-type]
        "../agents/victim", (("K", "v"),), "us-west"
    )
    assert connection.paths == ["/v1/secrets/..%2Fagents%2Fvictim"]


@pytest.mark.parametrize(
    "url",
    ["http://storage.example/bucket", "http://10.0.0.5/up", "ftp://storage.example/x",
     "http://127.0.0.1.evil.example/x", "http://user@storage.example/", "//storage.example/",
     "file:///etc/passwd", "https:///nohost"],
)
def test_an_upload_url_in_clear_to_another_host_is_refused(url: str) -> None:
    answer = {"uploadId": "u1", "uploadUrl": url, "uploadFields": {"policy": "p"}}
    with pytest.raises(ApiError, match="not https"):
        BuildsApi(FakeConnection(answer)).request_upload("us-west")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["https://storage.example/bucket", "http://127.0.0.1:9000/b", "http://[::1]:80/b",
            "http://localhost:9000/b"],
)
def test_https_and_loopback_upload_urls_are_accepted(url: str) -> None:
    answer = {"uploadId": "u1", "uploadUrl": url, "uploadFields": {"policy": "p"}}
    ticket = BuildsApi(FakeConnection(answer)).request_upload("us-west")  # type: ignore[arg-type]
    assert ticket.url == url
