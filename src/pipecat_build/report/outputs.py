"""The one writer of outputs: each is written once (a value set early, like build-id, is not
written again), and only by a mode the outputs table lists for it."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from ..mode import RunMode
from ..outputs import OUTPUT_BY_NAME
from .reporter import Reporter


class OutputWriter:
    def __init__(self, out: Reporter, mode: RunMode) -> None:
        self._out = out
        self._mode = mode
        self._written: dict[str, str] = {}
        self._lock = threading.Lock()

    def set(self, name: str, value: str) -> None:
        spec = OUTPUT_BY_NAME[name]
        if self._mode not in spec.modes:
            raise AssertionError(f"output {name} is not set in {self._mode.value} mode")
        with self._lock:
            if self._written.get(name) == value:
                return
            self._written[name] = value
        self._out.set_output(name, value)

    def set_all(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            self.set(name, value)
