"""One target from folder to image (and agent): the steps in order, nothing else."""

from __future__ import annotations

from ..errors import ActionError, InputError
from ..models import Build, BuildStatus, CreateAnswer
from ..outcome import Outcome
from ..settings import Target
from .create import create, spread_then_look
from .follow import BuildTimedOut, Follower
from .pack import Packed, ensure_archive, pack
from .reuse import RegionResolver, find_reusable, find_running_or_done
from .tools import Tools
from .upload import upload


def _resolved(tools: Tools, target: Target, region: str) -> str:
    """One line saying what was used and where each value came from."""
    sources = target.sources
    folder = target.context_dir.relative_to(tools.settings.workspace).as_posix() or "."
    return (
        f"context {folder} (from {sources.get('context', 'context')}), "
        f"Dockerfile {target.dockerfile} (from {sources.get('dockerfile', 'dockerfile')}), "
        f"region {region} (from {sources.get('region', 'region')})"
    )


class TargetFlow:
    def __init__(self, tools: Tools, regions: RegionResolver) -> None:
        self.tools = tools
        self.regions = regions
        self.follower = Follower(tools)

    def run(self, target: Target) -> Outcome:
        outcome = Outcome(target)
        try:
            self._build(target, outcome)
            if outcome.built and target.deploy is not None and not self.tools.settings.plan_only:
                from .deploy import deploy

                outcome.deploy = deploy(self.tools, target.deploy, outcome)
        except BuildTimedOut as exc:
            outcome.status, outcome.error = "timed-out-waiting", str(exc)
        except ActionError as exc:
            if not outcome.built:
                outcome.status = "error"
            outcome.error = str(exc)
            if isinstance(exc, InputError) and not self.tools.settings.multi_service:
                raise
        finally:
            outcome.last_log_lines = list(self.follower.last_lines)
        return outcome

    def _build(self, target: Target, outcome: Outcome) -> None:
        tools, out = self.tools, self.tools.out
        with out.group("Pack the build context"):
            packed = pack(tools, target)
        try:
            outcome.context_hash = packed.context_hash
            outcome.archive_bytes = packed.archive_bytes
            outcome.file_count = packed.file_count
            outcome.context_report = packed.report
            outcome.region = region = self.regions.region_for(target.region)
            out.line(_resolved(tools, target, region))
            self._reuse_or_build(target, outcome, packed, region)
        finally:
            if packed.path is not None:
                tools.run.discard(packed.path)

    def _reuse_or_build(
        self, target: Target, outcome: Outcome, packed: Packed, region: str
    ) -> None:
        tools, out, settings = self.tools, self.tools.out, self.tools.settings
        context_hash, dockerfile = packed.context_hash, target.dockerfile
        running = None
        with out.group("Look for a build to reuse"):
            if settings.force:
                out.line("force is set: not looking for an earlier build")
            else:
                hit = find_reusable(tools.builds, context_hash, region, dockerfile)
                if hit is not None:
                    out.line(f"build {hit.id} already built this context: reusing {hit.image_uri}")
                    self._finish(outcome, hit, cached=True)
                    return
                out.line(f"no successful build of context {context_hash} in {region} yet")
                if not settings.plan_only:
                    running = find_running_or_done(tools.builds, context_hash, region, dockerfile)
        if settings.plan_only:
            outcome.status, outcome.needs_build = "planned", True
            return
        if running is not None:
            # Another run (or branch, or `pcc deploy`) is building this very context: follow
            # it instead of uploading the same bytes first.
            out.line(
                f"build {running.id} of this context is already {running.status.value}: "
                "following it, nothing to upload"
            )
            self._started(outcome, running)
            if running.status.terminal:
                self._finish(outcome, running, cached=running.status is BuildStatus.SUCCESS)
                return
            with out.group(f"Build {running.id}"):
                build = self.follower.follow(running)
            self._finish(outcome, build, cached=False)
            return
        with out.group("Upload the build context"):
            ensure_archive(tools, packed)
            outcome.context_hash = context_hash = packed.context_hash
            outcome.archive_bytes = packed.archive_bytes
            ticket = upload(tools, packed, region)
        with out.group("Start the build"):
            answer = None
            if not settings.force:
                found = find_running_or_done(
                    tools.builds, context_hash, region, dockerfile
                ) or spread_then_look(tools, context_hash, region, dockerfile)
                if found is not None:
                    out.line(
                        f"build {found.id} of this context is already {found.status.value}: "
                        "following it"
                    )
                    answer = CreateAnswer(found, found.status is BuildStatus.SUCCESS)
            if answer is None:
                answer = create(tools, ticket, context_hash, region, dockerfile)
            build = answer.build
            self._started(outcome, build)
            if packed.path is not None:
                tools.run.discard(packed.path)  # the service has it now; free the disk
            if answer.cached:
                out.line("Pipecat Cloud answered with its cached build of this context")
                self._finish(outcome, build, cached=True)
                return
        with out.group(f"Build {build.id}"):
            build = self.follower.follow(build)
        self._finish(outcome, build, cached=False)

    def _started(self, outcome: Outcome, build: Build) -> None:
        outcome.build = build
        self.tools.run.build_started(build.id)
        self.tools.out.line(f"build id: {build.id}")

    @staticmethod
    def _finish(outcome: Outcome, build: Build, *, cached: bool) -> None:
        outcome.build = build
        outcome.cached = cached
        outcome.status = build.status.value
        if build.status is not BuildStatus.SUCCESS:
            outcome.error = build.error_message or f"the build ended with status {outcome.status}"
