"""The GitHub runner's entry: inputs from INPUT_* variables, results as workflow commands and
file commands, errors as one annotation line."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ..cancellation import Cancelled, disarm, install_handlers
from ..inputs import ACTION, read_action_inputs
from ..report.github import GitHubReporter
from ..run import Run
from ..runtime import Runtime


def run(environ: Mapping[str, str]) -> int:
    from ..job import run_job

    out = GitHubReporter(
        outputs=bool(environ.get("GITHUB_OUTPUT")), summary=bool(environ.get("GITHUB_STEP_SUMMARY"))
    )
    job_run = Run()
    install_handlers(job_run.cancel)
    try:
        try:
            return run_job(
                read_action_inputs(environ),
                Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()),
                out,
                run=job_run,
                vocabulary=ACTION,
                runtime=Runtime.from_environ(environ),
                debug_traceback=environ.get("RUNNER_DEBUG") == "1",
            )
        finally:
            job_run.discard_all()
            disarm()
    except Cancelled as stop:
        # Say what keeps running, remove scratch files, and exit now: worker threads
        # (packing, uploading) must not hold the exit back past the runner's patience.
        job_run.discard_all()
        try:
            out.error(job_run.cancel_message(str(stop)), title="Cancelled")
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(stop.exit_code)
