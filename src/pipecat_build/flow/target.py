"""One target from folder to image (and agent): the steps in order, each returning a value;
the `Outcome` is made once, at the end, from what they returned."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..api.builds import RegionRefused
from ..config import Target
from ..errors import ActionError, InputError
from ..models import Build, BuildStatus, CreateAnswer
from ..outcome import BuildKey, DeployResult, Outcome, RunStatus
from .create import create, spread_then_look
from .deploy import deploy
from .follow import BuildTimedOut, Follower
from .pack import Packed, ensure_archive, pack
from .preflight import check_region, region_error
from .project_notes import project_notices
from .reuse import RegionResolver, find_reusable, find_running_or_done
from .tools import Tools
from .upload import upload


@dataclass(frozen=True)
class Built:
    """How the build step ended: the build (None in a plan that found none), whether it was
    reused, and the packed context as it was last seen (its archive may have been written)."""

    build: Build | None
    cached: bool
    packed: Packed


def _resolved(tools: Tools, target: Target, region: str) -> str:
    """One line saying what was used and where each value came from."""
    sources = target.sources
    folder = target.context_dir.relative_to(tools.settings.workspace).as_posix() or "."
    return (
        f"context {folder} (from {sources.get('context', 'context')}), "
        f"Dockerfile {target.dockerfile} (from {sources.get('dockerfile', 'dockerfile')}), "
        f"region {region} (from {sources.get('region', 'region')})"
    )


def _status(build: Build) -> RunStatus:
    return RunStatus(build.status.value) if build.status.terminal else RunStatus.ERROR


class TargetFlow:
    """`plan` stops after looking for an existing build: nothing is uploaded,
    created or deployed. An `InputError` ends the run unless `contain_input_errors` (one
    service of many: the others go on)."""

    def __init__(
        self,
        tools: Tools,
        regions: RegionResolver,
        *,
        plan: bool = False,
        contain_input_errors: bool = False,
    ) -> None:
        self.tools = tools
        self.regions = regions
        self.plan = plan
        self.contain_input_errors = contain_input_errors
        self.follower = Follower(tools)
        self._build: Build | None = None  # the build once it exists, for a failure's outputs
        self._archive: Path | None = None  # the archive on disk, removed when the target ends

    def run(self, target: Target) -> Outcome:
        packed: Packed | None = None
        region, error, status = "", "", RunStatus.ERROR
        built: Built | None = None
        deployed: DeployResult | None = None
        try:
            with self.tools.out.group("Pack the build context"):
                for note in project_notices(target):
                    self.tools.out.notice(note)
                packed = pack(self.tools, target)
                region = self.regions.region_for(target.region)
                self.tools.out.line(_resolved(self.tools, target, region))
            key = BuildKey(packed.context_hash, region, target.dockerfile)
            self._archive = packed.path
            try:
                built = (
                    self._plan(target, key, packed)
                    if self.plan
                    else self._reuse_or_build(target, key, packed)
                )
            finally:
                if self._archive is not None:  # the service has it, or it is not needed
                    self.tools.run.discard(self._archive)
            packed = built.packed
            if built.build is None:
                status = RunStatus.PLANNED
            else:
                status = _status(built.build)
                if built.build.status is not BuildStatus.SUCCESS:
                    ended = f"the build ended with status {status.value}"
                    error = built.build.error_message or ended
            if status is RunStatus.SUCCESS and target.deploy is not None and not self.plan:
                assert built.build is not None
                deployed = deploy(self.tools, target.deploy, built.build, region)
        except BuildTimedOut as exc:
            status, error = RunStatus.TIMED_OUT_WAITING, str(exc)
        except ActionError as exc:
            error = str(exc)
            if isinstance(exc, InputError) and not self.contain_input_errors:
                raise
        build = built.build if built is not None else self._build
        return Outcome(
            target=target,
            status=status,
            region=region,
            context_hash=packed.context_hash if packed else "",
            archive_bytes=packed.archive_bytes if packed else 0,
            file_count=packed.file_count if packed else 0,
            build=build,
            cached=built.cached if built is not None else False,
            error=error,
            context_report=packed.report if packed else "",
            last_log_lines=tuple(self.follower.last_lines),
            deploy=deployed,
        )

    def _plan(self, target: Target, key: BuildKey, packed: Packed) -> Built:
        with self.tools.out.group("Look for an existing build"):
            hit = find_reusable(self.tools.builds, key)
            if hit is not None:
                self.tools.out.line(f"build {hit.id} already built this context: {hit.image_uri}")
                return Built(hit, True, packed)
            check_region(self.tools, self.regions, target)  # no build there proves it
            self.tools.out.line(
                f"no successful build of context {key.context_hash} in {key.region} yet: "
                "it needs a build"
            )
            return Built(None, False, packed)

    def _reuse_or_build(self, target: Target, key: BuildKey, packed: Packed) -> Built:
        tools, out = self.tools, self.tools.out
        running = None
        with out.group("Look for a build to reuse"):
            if tools.settings.force:
                out.line("force is set: not looking for an earlier build")
            else:
                hit = find_reusable(tools.builds, key)
                if hit is not None:
                    out.line(f"build {hit.id} already built this context: reusing {hit.image_uri}")
                    return Built(hit, True, packed)
                out.line(f"no successful build of context {key.context_hash} in {key.region} yet")
                running = find_running_or_done(tools.builds, key)
        if running is not None:
            # Another run (or branch, or `pcc deploy`) is building this very context: follow
            # it instead of uploading the same bytes first.
            out.line(
                f"build {running.id} of this context is already {running.status.value}: "
                "following it, nothing to upload"
            )
            self._started(running)
            if running.status.terminal:
                return Built(running, running.status is BuildStatus.SUCCESS, packed)
            with out.group(f"Build {running.id}"):
                return Built(self.follower.follow(running), False, packed)
        check_region(tools, self.regions, target)  # before anything is uploaded
        if packed.path is None:  # a remembered hash: compress now, under its own heading
            with out.group("Compress the build context"):
                packed = ensure_archive(tools, packed)
            self._archive = packed.path
        with out.group("Upload the build context"):
            key = BuildKey(packed.context_hash, key.region, key.dockerfile)
            try:
                ticket = upload(tools, packed, key.region)
            except RegionRefused as refused:  # say where the region came from
                raise region_error(target, refused.detail) from None
        with out.group("Start the build"):
            answer = None
            if not tools.settings.force:
                found = find_running_or_done(tools.builds, key) or spread_then_look(tools, key)
                if found is not None:
                    out.line(
                        f"build {found.id} of this context is already {found.status.value}: "
                        "following it"
                    )
                    answer = CreateAnswer(found, found.status is BuildStatus.SUCCESS)
            if answer is None:
                answer = create(tools, ticket, key)
            build = answer.build
            self._started(build)
            if packed.path is not None:
                tools.run.discard(packed.path)  # the service has it now; free the disk
            if answer.cached:
                out.line("Pipecat Cloud answered with its cached build of this context")
                return Built(build, True, packed)
        with out.group(f"Build {build.id}"):
            return Built(self.follower.follow(build), False, packed)

    def _started(self, build: Build) -> None:
        self._build = build
        self.tools.run.build_started(build.id)
        self.tools.out.line(f"build id: {build.id}")
