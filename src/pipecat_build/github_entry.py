"""The GitHub runner adapter's entry: inputs from the environment, errors as one annotation
line, exit codes the runner understands."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from . import scratch
from .cancellation import Cancelled, disarm, install_handlers
from .errors import ActionError
from .github_runner import GitHubReporter
from .settings import build_settings, read_action_inputs


def _cancel_message(signal_name: str) -> str:
    from .build_flow import STARTED_BUILDS

    if STARTED_BUILDS:
        ids = ", ".join(STARTED_BUILDS)
        return (
            f"Cancelled ({signal_name}). Build {ids} keeps running on Pipecat Cloud (there is "
            "no cancel endpoint); its id is in the build-id output."
        )
    return f"Cancelled ({signal_name}) before any build was created on Pipecat Cloud."


def _cancelled(out: GitHubReporter, stop: Cancelled) -> None:
    """Say what keeps running, remove scratch files, and exit now: worker threads (packing,
    uploading) must not hold the exit back past the runner's patience."""
    scratch.discard_all()
    try:
        out.error(_cancel_message(str(stop)), title="Cancelled")
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(stop.exit_code)


def run(environ: Mapping[str, str]) -> int:
    out = GitHubReporter()
    cancel = threading.Event()
    install_handlers(cancel)
    try:
        try:
            return _run(environ, out, cancel)
        finally:
            scratch.discard_all()
            disarm()
    except Cancelled as stop:
        _cancelled(out, stop)
        raise AssertionError("unreachable: _cancelled exits") from None


def _run(environ: Mapping[str, str], out: GitHubReporter, cancel: threading.Event) -> int:
    try:
        inputs = read_action_inputs(environ)
        # Before anything else is printed: the runner masks only what comes after this line.
        out.mask(inputs.get("api-key", "").strip())
        workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
        settings = build_settings(inputs, workspace)

        from .http_sessions import api_session, storage_session
        from .main import action

        with api_session() as api, storage_session() as storage:
            return action(settings, api, storage, out, cancel)
    except ActionError as exc:
        out.error(str(exc))
        return exc.exit_code
    except Exception as exc:  # a bug: still one line, no traceback unless debugging
        if environ.get("RUNNER_DEBUG") == "1":
            import traceback

            out.debug(traceback.format_exc())
        out.error(f"unexpected error ({type(exc).__name__}): {exc}")
        return 1
