"""Several targets at once, bounded by max-parallel: each one's lines carry its name, and a
failure (even a bug) in one does not stop the others; the outcomes come back in input order."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ..config import Target
from ..outcome import Outcome
from ..report.reporter import PrefixedReporter
from .reuse import RegionResolver
from .target import TargetFlow
from .tools import Tools


def _run_one(tools: Tools, regions: RegionResolver, target: Target, plan: bool) -> Outcome:
    tools = tools.with_reporter(PrefixedReporter(tools.out, target.label(tools.settings.workspace)))
    try:
        return TargetFlow(tools, regions, plan=plan, contain_input_errors=True).run(target)
    except Exception as exc:  # a bug in one service (its ActionErrors are in its outcome)
        return Outcome(target, error=f"unexpected error ({type(exc).__name__}): {exc}")


def run_all(tools: Tools, regions: RegionResolver, *, plan: bool) -> list[Outcome]:
    settings = tools.settings
    results: dict[str, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=settings.max_parallel, thread_name_prefix="service")
    try:
        futures: dict[Future[Outcome], Target] = {
            pool.submit(_run_one, tools, regions, t, plan): t for t in settings.targets
        }
        pending = set(futures)
        while pending:
            # A short timeout keeps the main thread responsive to SIGTERM.
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future].name] = future.result()
    finally:
        pool.shutdown(wait=not tools.run.cancel.is_set(), cancel_futures=True)
    return [results[t.name] for t in settings.targets]
