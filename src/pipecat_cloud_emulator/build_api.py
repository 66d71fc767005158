"""The build endpoints (openapi-builds.json): upload URLs, builds, logs, properties."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from typing import Any

from . import service
from .backend import ApiAnswer, ApiCall
from .builds import STATUSES, BuildRecord
from .config import EmulatorConfig
from .errors import ApiError
from .presigned_post import PostSigner
from .request_body import int_param, json_object
from .state import EmulatorState, Upload
from .timefmt import iso_ms

REGION_NAMES = {
    "us-west": "US West (Oregon)",
    "us-east": "US East (Virginia)",
    "eu-central": "Europe (Frankfurt)",
    "ap-south": "Asia Pacific (Mumbai)",
}


def _build_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise ApiError("Invalid build ID format") from None


class BuildApi:
    """Operations of the build endpoints; each takes an ApiCall and returns an ApiAnswer."""

    def __init__(
        self,
        config: Callable[[], EmulatorConfig],
        state: EmulatorState,
        signer: PostSigner,
        storage_url_for: Callable[[str | None], str],
    ) -> None:
        self._config = config
        self._state = state
        self._signer = signer
        self._storage_url_for = storage_url_for

    def _enabled_region(self, payload: dict[str, Any]) -> str:
        region = payload.get("region")
        if not isinstance(region, str) or not region:
            raise ApiError("'region' is required")
        if not self._config().regions.get(region, False):
            raise ApiError(
                f"Cloud builds are not enabled for region '{region}'"
            )
        return region

    def upload_url(self, call: ApiCall) -> ApiAnswer:
        region = self._enabled_region(json_object(call.body))
        config = self._config()
        upload_id = str(uuid.uuid4())
        key = f"{config.organization}/{upload_id}.tar.gz"
        now = time.time()
        expires = now + config.upload_expiry_seconds
        fields = self._signer.issue(key, config.max_upload_bytes, now, expires)
        with self._state.lock:
            self._state.uploads[upload_id] = Upload(upload_id, region, key, expires)
        return ApiAnswer(
            200,
            {
                "uploadId": upload_id,
                "uploadUrl": self._storage_url_for(call.host),
                "uploadFields": fields,
                "expiresAt": iso_ms(expires),
            },
        )

    def create_build(self, call: ApiCall) -> ApiAnswer:
        payload = json_object(call.body)
        upload_id = payload.get("uploadId")
        if not isinstance(upload_id, str) or not upload_id:
            raise ApiError("'uploadId' is required")
        region = self._enabled_region(payload)
        dockerfile_path = payload.get("dockerfilePath", "Dockerfile")
        if not isinstance(dockerfile_path, str) or not dockerfile_path:
            raise ApiError("'dockerfilePath' must be a non-empty string")
        state = self._state
        with state.lock:  # a snapshot: a retried upload may replace the object meanwhile
            found = state.uploads.get(upload_id)
            upload = dataclasses.replace(found) if found is not None else None
        if upload is None:
            raise ApiError(f"Upload '{upload_id}' not found")
        if upload.region != region:
            raise ApiError(
                f"Region '{region}' does not match the upload's region '{upload.region}'",
            )
        if upload.md5 is None:
            raise ApiError(
                f"Upload '{upload_id}' not found: the build context has not been uploaded",
            )
        record, cached = service.create_build(self._config(), state, upload, dockerfile_path)
        return ApiAnswer(
            200 if cached else 201,
            {"build": record.render(), "contextHash": record.context_hash, "cached": cached},
        )

    def list_builds(self, call: ApiCall) -> ApiAnswer:
        query = call.query
        limit = int_param(query, "limit", 20, 1, 100)
        offset = int_param(query, "offset", 0, 0, None)
        status = query.get("status", [None])[-1]
        if status is not None and status not in STATUSES:
            raise ApiError(f"'status' must be one of {', '.join(STATUSES)}")
        filters = {
            "region": query.get("region", [None])[-1],
            "contextHash": query.get("contextHash", [None])[-1],
            "status": status,
        }
        if self._config().honour_dockerfile_filter:
            filters["dockerfilePath"] = query.get("dockerfilePath", [None])[-1]
        now = time.time()
        with self._state.lock:
            records = list(enumerate(self._state.builds))
        records.sort(key=lambda item: (item[1].created, item[0]), reverse=True)
        builds = [record.render(now) for _index, record in records]
        builds = [
            build
            for build in builds
            if all(value is None or build[name] == value for name, value in filters.items())
        ]
        return ApiAnswer(
            200,
            {
                "builds": builds[offset : offset + limit],
                "total": len(builds),
                "limit": limit,
                "offset": offset,
            },
        )

    def find(self, raw_id: str) -> BuildRecord:
        build_id = _build_id(raw_id)
        with self._state.lock:
            for record in self._state.builds:
                if record.id == build_id:
                    return record
        raise ApiError(f"Build '{build_id}' not found", "NOT_FOUND", 404)

    def get_build(self, call: ApiCall) -> ApiAnswer:
        return ApiAnswer(200, {"build": self.find(call.params["id"]).render()})

    def logs(self, call: ApiCall) -> ApiAnswer:
        record = self.find(call.params["id"])
        limit = int_param(call.query, "limit", 500, 1, 10000)
        config = self._config()
        return ApiAnswer(
            200,
            service.log_window(
                record.visible_logs(), limit, config.log_mode, config.log_answer_cap, record.id
            ),
        )

    def properties(self, _call: ApiCall) -> ApiAnswer:
        return ApiAnswer(200, {"properties": {"defaultRegion": self._config().default_region}})

    def regions(self, _call: ApiCall) -> ApiAnswer:
        return ApiAnswer(
            200,
            {
                "regions": [
                    {"code": code, "display_name": REGION_NAMES.get(code, code)}
                    for code in self._config().regions
                ]
            },
        )
