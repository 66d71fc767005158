"""The Emulator object: two loopback servers (API and storage) sharing one state."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from . import service
from .api import ApiHandler
from .config import EmulatorConfig, Fault
from .deploy_controls import DeployControls
from .faults import FaultPlan
from .http_common import EmulatorServer
from .local_backend import LocalBackend
from .presigned_post import PostSigner
from .state import EmulatorState, RecordedRequest
from .storage import StorageHandler

DEFAULT_BUCKET = "pcc-emulator-build-context"


class Emulator(DeployControls):
    """A local Pipecat Cloud build API plus S3-like storage, for tests and demos.

    `host`/`port` bind the API server, `storage_port` the storage server (0 = ephemeral).
    `advertise_host` is the host name put into upload URLs when a request's Host header
    cannot say how the client reached the emulator.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        storage_port: int = 0,
        advertise_host: str | None = None,
        bucket: str = DEFAULT_BUCKET,
        verbose: bool = False,
    ) -> None:
        self.bucket = bucket
        self.backend = LocalBackend(
            config if config is not None else EmulatorConfig(),
            bucket,
            verbose,
            origin=lambda: self.storage_origin,
            storage_url_for=self.storage_url_for,
        )
        self._host = host
        self._ports = (port, storage_port)
        self._advertise = advertise_host or ("127.0.0.1" if host in ("", "0.0.0.0", "::") else host)
        self._servers: list[EmulatorServer] = []
        self._threads: list[threading.Thread] = []

    # -- what the backend owns, under the names tests have always used --------------------
    @property
    def config(self) -> EmulatorConfig:
        """The live settings: tests may change fields (or replace it) between requests."""
        return self.backend.config

    @config.setter
    def config(self, value: EmulatorConfig) -> None:
        self.backend.config = value

    @property
    def verbose(self) -> bool:
        return self.backend.verbose

    @verbose.setter
    def verbose(self, value: bool) -> None:
        self.backend.verbose = value

    @property
    def state(self) -> EmulatorState:
        return self.backend.state

    @property
    def faults(self) -> FaultPlan:
        return self.backend.faults

    @property
    def signer(self) -> PostSigner:
        return self.backend.signer

    @property
    def stop_event(self) -> threading.Event:
        return self.backend.stop_event

    @property
    def spool_dir(self) -> str | None:
        return self.backend.spool_dir

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._servers:
            return self
        self.stop_event.clear()
        if self.config.spool_uploads:
            self.backend.spool_dir = tempfile.mkdtemp(prefix="pcc-emulator-")
        api = EmulatorServer((self._host, self._ports[0]), ApiHandler, self.backend)
        try:
            storage = EmulatorServer((self._host, self._ports[1]), StorageHandler, self.backend)
        except OSError:
            api.server_close()
            raise
        self._servers = [api, storage]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.02},
                daemon=True,
                name=f"pcc-emulator-{server.server_address[1]}",
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        stoppers = [threading.Thread(target=server.shutdown) for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []
        if self.spool_dir is not None:
            shutil.rmtree(self.spool_dir, ignore_errors=True)
            self.backend.spool_dir = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------
    def _port(self, index: int) -> int:
        if not self._servers:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._servers[index].server_address[1])

    @property
    def api_url(self) -> str:
        return f"http://{self._advertise}:{self._port(0)}"

    @property
    def storage_origin(self) -> str:
        return f"http://{self._advertise}:{self._port(1)}"

    @property
    def storage_url(self) -> str:
        return f"{self.storage_origin}/{self.bucket}"

    def storage_url_for(self, host_header: str | None) -> str:
        """The upload URL on the host name the client used to reach the API."""
        if host_header:
            hostname = urlsplit(f"//{host_header}").hostname
            if hostname:
                shown = f"[{hostname}]" if ":" in hostname else hostname
                return f"http://{shown}:{self._port(1)}/{self.bucket}"
        return self.storage_url

    # -- inspection and scripting --------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def clear_requests(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    @property
    def builds(self) -> list[dict[str, Any]]:
        """Server-side builds in creation order, rendered as the API would render them now."""
        now = time.time()
        with self.state.lock:
            return [record.render(now) for record in self.state.builds]

    @property
    def uploads(self) -> dict[str, dict[str, Any]]:
        """Upload id -> region, key, and (once received) the object's md5 and size."""
        with self.state.lock:
            return {
                upload.id: {
                    "region": upload.region,
                    "key": upload.key,
                    "md5": upload.md5,
                    "size": upload.size,
                }
                for upload in self.state.uploads.values()
            }

    def add_build(
        self,
        context_hash: str,
        region: str = "us-west",
        dockerfile_path: str = "Dockerfile",
        status: str = "success",
        created_ago: float = 60.0,
        context_size: int = 1024,
    ) -> dict[str, Any]:
        """Seed a build that already exists; returns it as the API renders it."""
        record = service.seed_build(
            self.config,
            self.state,
            context_hash=context_hash,
            region=region,
            dockerfile_path=dockerfile_path,
            status=status,
            created_ago=created_ago,
            context_size=context_size,
        )
        return record.render()

    def inject(self, fault: Fault) -> None:
        self.faults.inject(fault)

    def clear_faults(self) -> None:
        self.faults.clear()
