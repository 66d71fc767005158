"""The unit layer opens no network socket and starts no process: each module is tested with
fakes handed in, so the whole layer runs in seconds and a failure points at one module.
Trying either fails the test at once."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest


class Forbidden(AssertionError):
    pass


@pytest.fixture(autouse=True)
def _no_network_no_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_socket = socket.socket

    class GuardedSocket(real_socket):
        def __init__(self, family: Any = -1, *args: Any, **kwargs: Any) -> None:
            if family in (socket.AF_INET, socket.AF_INET6, -1):
                raise Forbidden("a unit test opened a network socket; use a fake instead")
            super().__init__(family, *args, **kwargs)

    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise Forbidden("a unit test started a process; move it to tests/integration")

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    monkeypatch.setattr(subprocess, "Popen", no_process)
    monkeypatch.setattr(socket, "create_connection", no_process)
    yield
