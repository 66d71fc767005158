"""Step 2: a build of this context that already succeeded (reuse it: no upload), or one that
is still running (follow it), looked up by context hash, region and Dockerfile."""

from __future__ import annotations

import threading

from ..models import Build, BuildStatus
from ..outcome import BuildKey
from .ports import BuildsPort

ADOPT_WINDOW = 300.0  # seconds: a build this recent with our hash may be our own lost create
CREATE_SPREAD = 1.0  # seconds: runs that reach "create" together spread over up to this


def newest(builds: list[Build]) -> Build | None:
    return max(builds, key=lambda b: b.created_at) if builds else None


def find_reusable(api: BuildsPort, key: BuildKey) -> Build | None:
    builds = api.find_builds(key.context_hash, key.region, status="success")
    return newest([b for b in builds if b.status is BuildStatus.SUCCESS and _same(b, key)])


def _same(build: Build, key: BuildKey) -> bool:
    return build.same_recipe(key.context_hash, key.region, key.dockerfile)


def find_running_or_done(
    api: BuildsPort, key: BuildKey, since: float | None = None
) -> Build | None:
    """A successful build to reuse, else a running one to follow (another run's, or our own
    create whose answer was lost); with `since`, also a build that ended badly after it (our
    own lost create, which must be adopted rather than created twice)."""
    builds = [b for b in api.find_builds(key.context_hash, key.region, limit=50) if _same(b, key)]
    done = newest([b for b in builds if b.status is BuildStatus.SUCCESS])
    if done is not None:
        return done
    running = [b for b in builds if b.status.running]
    if since is not None:
        running += [
            b
            for b in builds
            if not b.status.running
            and b.status is not BuildStatus.SUCCESS
            and b.created_at >= since
        ]
    return newest(running)


class RegionResolver:
    """Asks the API for the default region, and for the regions it offers, once each,
    whatever the number of targets."""

    def __init__(self, api: BuildsPort) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._default: str | None = None
        self._offered: list[str] | None = None

    def offered(self) -> list[str]:
        """The organization's regions (`GET /v1/regions`); may raise `ApiError`."""
        with self._lock:
            if self._offered is None:
                self._offered = self._api.regions()
            return self._offered

    def region_for(self, explicit: str | None) -> str:
        if explicit:
            return explicit
        with self._lock:
            if self._default is None:
                self._default = self._api.default_region()
            return self._default
