"""The in-process backend behind both servers: state, config, faults and the operations."""

from __future__ import annotations

import hmac
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from urllib.parse import quote

from .agent_api import AgentApi
from .backend import ApiAnswer, ApiCall
from .build_api import BuildApi
from .config import EmulatorConfig, Fault
from .deploy_controls import running_view
from .errors import ApiError
from .faults import FaultPlan
from .presigned_post import PostSigner, check_size
from .s3_error import access_denied
from .secret_api import SecretApi
from .state import EmulatorState, RecordedRequest

Operation = Callable[[ApiCall], ApiAnswer]


class LocalBackend:
    """Implements ApiBackend and StorageBackend over one emulator's state.

    `origin` gives the storage server's `http://host:port` (known once it listens) and
    `storage_url_for` the upload URL for a request's Host header.
    """

    def __init__(
        self,
        config: EmulatorConfig,
        bucket: str,
        verbose: bool,
        origin: Callable[[], str],
        storage_url_for: Callable[[str | None], str],
    ) -> None:
        self.config = config
        self.bucket = bucket
        self.verbose = verbose
        self.state = EmulatorState()
        self.faults = FaultPlan()
        self.signer = PostSigner(bucket)
        self.stop_event = threading.Event()
        self.spool_dir: str | None = None
        self._origin = origin
        self.builds = BuildApi(lambda: self.config, self.state, self.signer, storage_url_for)
        self._operations: dict[str, Operation] = {
            "upload_url": self.builds.upload_url,
            "create_build": self.builds.create_build,
            "list_builds": self.builds.list_builds,
            "get_build": self.builds.get_build,
            "logs": self.builds.logs,
            "properties": self.builds.properties,
            "regions": self.builds.regions,
        }
        self.agents = AgentApi(lambda: self.config, self.state)
        self._operations.update(
            create_agent=self.agents.create,
            list_agents=self.agents.list,
            update_agent=self.agents.update,
            get_agent=self.agents.get,
            delete_agent=self.agents.delete,
        )
        self.secrets = SecretApi(lambda: self.config, self.state)
        self._operations.update(
            list_secret_sets=self.secrets.list,
            put_secret_set=self.secrets.put,
            get_secret_set=self.secrets.get,
            delete_secret_set=self.secrets.delete,
            delete_secret=self.secrets.delete_key,
        )

    # -- HandlerBackend ----------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        self.state.record(request)

    def take_fault(self, endpoint: str) -> Fault | None:
        return self.faults.take(endpoint, self.config)

    def wait_stopped(self, seconds: float) -> bool:
        return self.stop_event.wait(seconds)

    def redirect_location(self, path: str) -> str:
        return f"{self._origin()}/_redirect{path}"

    # -- ApiBackend --------------------------------------------------------------------
    def authorized(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.config.api_key.encode())

    def call(self, action: str, call: ApiCall) -> ApiAnswer:
        operation = self._operations.get(action)
        if operation is None:
            raise ApiError(f"Not found: {call.method} {call.path}", "NOT_FOUND", 404)
        return operation(call)

    def control(self, action: str, call: ApiCall) -> ApiAnswer:
        if action == "running":
            return ApiAnswer(
                200, running_view(self.state, self.config.clock(), call.params["name"])
            )
        raise ApiError(f"Not found: {call.method} {call.path}", "NOT_FOUND", 404)

    # -- StorageBackend ----------------------------------------------------------------
    @property
    def bucket_path(self) -> str:
        return "/" + self.bucket

    def incoming_path(self) -> str | None:
        if self.spool_dir is None:
            return None
        return os.path.join(self.spool_dir, f"incoming-{uuid.uuid4().hex}")

    def accept_object(
        self, fields: Sequence[tuple[str, str]], spool_path: str | None, md5: str, size: int
    ) -> str:
        _form, size_range = self.signer.check_fields(fields, time.time())
        check_size(size, size_range)
        key = dict(fields)["key"]
        with self.state.lock:
            upload = next((u for u in self.state.uploads.values() if u.key == key), None)
            if upload is None:
                raise access_denied("Access Denied")
            if spool_path is not None and self.spool_dir is not None:
                final = os.path.join(self.spool_dir, f"{upload.id}.tar.gz")
                os.replace(spool_path, final)
                upload.path = final
            upload.md5 = md5
            upload.size = size
        return f"{self._origin()}/{self.bucket}/{quote(key)}"
