"""The build endpoints, answering in typed models (`models.Build`, `UploadTicket`)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from ..errors import ActionError, InputError
from ..models import Build, CreateAnswer, UploadTicket, parse_time
from ..retry_policy import RetryPolicy
from .connection import AnswerLost, ApiConnection, ApiError, segment
from .transport import plain_http_allowed

LOG_LIMIT = 10_000  # the endpoint's maximum: a whole log up to this size fits one answer
TICKET_FALLBACK = 600.0  # unknown expiry: assume the documented 15 minutes, minus margin


class RegionRefused(ActionError):
    """Pipecat Cloud refused to take a build in `region` (unknown, or builds not enabled
    there). The API layer does not know where the region came from: the flow names it."""

    def __init__(self, region: str, detail: str) -> None:
        super().__init__(f"region {detail}")
        self.region = region
        self.detail = detail


class BuildsApi:
    def __init__(self, connection: ApiConnection) -> None:
        self.api = connection
        # Log lines are a nicety: a failed fetch is tried once more, then the next poll comes.
        policy = connection.policy
        self._log_policy = RetryPolicy(
            max_attempts=2,
            base_delay=policy.base_delay,
            max_delay=policy.max_delay,
            total_deadline=policy.total_deadline,
        )

    def default_region(self) -> str:
        body = self.api.call("GET", "/v1/properties", "read the organization's default region")
        properties = body.get("properties")
        region = properties.get("defaultRegion") if isinstance(properties, Mapping) else None
        if not isinstance(region, str) or not region:
            raise InputError(
                "region", "is empty and the organization has no default region; set it"
            )
        return region

    def regions(self) -> list[str]:
        """Region codes the organization may use (GET /v1/regions); the flow remembers them
        for the run (`flow.reuse.RegionResolver`)."""
        body = self.api.call("GET", "/v1/regions", "list the regions")
        items = body.get("regions")
        return [
            str(item["code"])
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping) and isinstance(item.get("code"), str)
        ]

    def find_builds(
        self, context_hash: str, region: str, status: str | None = None, limit: int = 20
    ) -> list[Build]:
        params: dict[str, str | int] = {
            "contextHash": context_hash,
            "region": region,
            "limit": limit,
        }
        if status:
            params["status"] = status
        try:
            body = self.api.call("GET", "/v1/builds", "list builds", params=params)
        except ApiError as exc:
            if exc.status == 404:  # a collection cannot be missing: the base URL is wrong
                raise InputError(
                    "api-url",
                    f"{self.api.base}/v1/builds does not exist (HTTP 404); give the API's base "
                    "URL, e.g. https://api.pipecat.daily.co (the /v1 paths are added)",
                ) from None
            raise
        builds = body.get("builds", [])
        raw = builds if isinstance(builds, list) else []
        return [Build.parse(b) for b in raw if isinstance(b, Mapping)]

    def request_upload(self, region: str) -> UploadTicket:
        try:
            body = self.api.call(
                "POST", "/v1/builds/upload-url", "get an upload URL", json={"region": region}
            )
        except ApiError as exc:
            if exc.status == 400:
                raise self._region_refused(region, str(exc).split(": ", 1)[-1]) from None
            raise
        fields = body.get("uploadFields")
        if not isinstance(fields, Mapping) or not isinstance(body.get("uploadUrl"), str):
            raise ApiError("the upload-url answer has no uploadUrl/uploadFields")
        if not plain_http_allowed(body["uploadUrl"]):
            # The archive and the presigned credentials would cross the network in clear (or
            # go where no TLS certificate vouches for the host): refused, not retried.
            scheme, _, rest = str(body["uploadUrl"]).partition("://")
            host = rest.split("/", 1)[0].rpartition("@")[2][:100]
            raise ApiError(
                f"the upload-url answer's uploadUrl is not https ({scheme[:10]}://{host}); "
                "refusing to send the archive there (plain http is accepted only for loopback)"
            )
        expires = parse_time(body.get("expiresAt")) or time.time() + TICKET_FALLBACK
        return UploadTicket(
            upload_id=str(body.get("uploadId", "")),
            url=str(body["uploadUrl"]),
            fields=[(str(k), str(v)) for k, v in fields.items()],
            expires_at=expires,
        )

    def _region_refused(self, region: str, detail: str) -> RegionRefused:
        try:
            known = self.regions()
        except ApiError:
            known = []
        if known and region not in known:
            return RegionRefused(
                region, f"'{region}' is not a Pipecat Cloud region; use one of: {', '.join(known)}"
            )
        return RegionRefused(region, f"'{region}' refused by Pipecat Cloud: {detail}")

    def create_build(self, upload_id: str, region: str, dockerfile: str) -> CreateAnswer:
        """Not idempotent: one attempt; a lost answer raises AnswerLost."""
        what = "create the build"
        body = self.api.send_once(
            "POST",
            "/v1/builds",
            what,
            {"uploadId": upload_id, "region": region, "dockerfilePath": dockerfile},
        )
        raw = body.get("build")
        if not isinstance(raw, Mapping) or not raw.get("id"):
            raise AnswerLost(f"{what}: the answer holds no build")
        return CreateAnswer(Build.parse(raw), bool(body.get("cached")))

    def get_build(self, build_id: str) -> Build:
        body = self.api.call("GET", f"/v1/builds/{segment(build_id)}", f"read build {build_id}")
        raw = body.get("build")
        if not isinstance(raw, Mapping):
            raise ApiError(f"read build {build_id}: the answer holds no build")
        return Build.parse(raw)

    def get_logs(self, build_id: str, limit: int = LOG_LIMIT) -> tuple[list[str], bool]:
        """The current log window and whether the server left lines out (nextToken)."""
        body = self.api.call(
            "GET",
            f"/v1/builds/{segment(build_id)}/logs",
            f"read logs of build {build_id}",
            self._log_policy,
            params={"limit": limit},
        )
        logs = body.get("logs", [])
        lines = [str(line) for line in logs] if isinstance(logs, list) else []
        return lines, bool(body.get("nextToken"))
