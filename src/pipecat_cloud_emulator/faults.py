"""Which request gets which failure: scripted faults first, then the seeded random mix."""

from __future__ import annotations

import random
import re
import threading

from .config import EmulatorConfig, Fault

STORAGE_ENDPOINT = "POST storage"
_PLACEHOLDER = re.compile(r"\{[^}/]*\}")


def same_endpoint(template: str, endpoint: str) -> bool:
    """Whether `template` names `endpoint`; placeholder names do not matter, so
    "POST /v1/agents/{agentName}" (the spec's) and "POST /v1/agents/{name}" both match."""
    return _PLACEHOLDER.sub("{}", template) == _PLACEHOLDER.sub("{}", endpoint)


class FaultPlan:
    """Thread-safe queue of scripted faults plus a deterministic random source."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: list[Fault] = []
        self._remaining: list[int] = []
        self._rng = random.Random(0)
        self._seed: int | None = None

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._scripted.append(fault)
            self._remaining.append(fault.count)

    def clear(self) -> None:
        with self._lock:
            self._scripted.clear()
            self._remaining.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._scripted)

    def take(self, endpoint: str, config: EmulatorConfig) -> Fault | None:
        """The fault to apply to this request, if any, consuming one use of it."""
        is_storage = endpoint == STORAGE_ENDPOINT
        with self._lock:
            for index, fault in enumerate(self._scripted):
                if (fault.endpoint is None and not is_storage) or (
                    fault.endpoint is not None and same_endpoint(fault.endpoint, endpoint)
                ):
                    self._remaining[index] -= 1
                    if self._remaining[index] == 0:
                        del self._scripted[index]
                        del self._remaining[index]
                    return fault
            if config.fault_rate <= 0 or not config.fault_kinds:
                return None
            if config.fault_endpoints is None:
                if is_storage:
                    return None
            elif not any(same_endpoint(listed, endpoint) for listed in config.fault_endpoints):
                return None
            if self._seed != config.fault_seed:
                self._seed = config.fault_seed
                self._rng = random.Random(config.fault_seed)
            if self._rng.random() >= config.fault_rate:
                return None
            kind = self._rng.choice(config.fault_kinds)
        return Fault(
            kind=kind,
            endpoint=endpoint,
            retry_after=config.fault_retry_after,
            stall_seconds=config.fault_stall_seconds,
        )
