"""`pipecat-build`: the same job for GitLab, Jenkins, Buildkite and shells.

Progress goes to stderr, the result as JSON to stdout, and `--output-env FILE` writes
`KEY=value` lines (GitLab's dotenv reports). Exit codes: 0 built or reused, 1 build failed or
bad input, 2 bad command line, 130/143 interrupted (the remote build keeps running).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from . import __version__, scratch
from .cancellation import Cancelled, install_handlers
from .errors import ActionError
from .reporter import ConsoleReporter

# flag -> (action input, environment variable)
_OPTIONS: dict[str, tuple[str, str]] = {
    "--api-key": ("api-key", "PIPECAT_API_KEY"),
    "--region": ("region", "PIPECAT_REGION"),
    "--context": ("context", "PIPECAT_CONTEXT"),
    "--dockerfile": ("dockerfile", "PIPECAT_DOCKERFILE"),
    "--build-timeout": ("build-timeout", "PIPECAT_BUILD_TIMEOUT"),
    "--poll-interval": ("poll-interval", "PIPECAT_POLL_INTERVAL"),
    "--api-url": ("api-url", "PIPECAT_API_URL"),
    "--compression": ("compression", "PIPECAT_COMPRESSION"),
    "--files": ("files", "PIPECAT_FILES"),
    "--ignore-rules": ("ignore-rules", "PIPECAT_IGNORE_RULES"),
    "--secret-files": ("secret-files", "PIPECAT_SECRET_FILES"),
    "--services": ("services", "PIPECAT_SERVICES"),
    "--max-parallel": ("max-parallel", "PIPECAT_MAX_PARALLEL"),
}
_FLAGS: dict[str, tuple[str, str]] = {
    "--force": ("force", "PIPECAT_FORCE"),
    "--include-git": ("include-git", "PIPECAT_INCLUDE_GIT"),
    "--plan-only": ("plan-only", "PIPECAT_PLAN_ONLY"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipecat-build",
        description="Build a Docker image on Pipecat Cloud from a folder, reusing an earlier "
        "build of the same context. Every option also reads an environment variable.",
        epilog="Exit codes: 0 built or reused; 1 build failed or bad input; 2 bad command "
        "line; 130/143 interrupted (the remote build keeps running). `pipecat-build demo` "
        "runs the action end to end against a local emulator.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    for flag, (name, env) in _OPTIONS.items():
        parser.add_argument(flag, dest=name, metavar=name.upper().replace("-", "_"),
                            help=f"action input `{name}` (env {env})")
    for flag, (name, env) in _FLAGS.items():
        parser.add_argument(flag, dest=name, action="store_true", default=None,
                            help=f"action input `{name}` (env {env}=true)")
    parser.add_argument("--output-env", metavar="FILE",
                        help="also write the outputs as KEY=value lines (GitLab dotenv report)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print debug lines")
    return parser


def _inputs(args: argparse.Namespace) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for name, env in [*_OPTIONS.values(), *_FLAGS.values()]:
        value = getattr(args, name)
        if value is None:
            value = os.environ.get(env, "")
        elif value is True:
            value = "true"
        inputs[name] = str(value)
    return inputs


def _env_name(output: str) -> str:
    return "PIPECAT_" + output.upper().replace("-", "_")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        from .demo import main as demo_main

        return demo_main(argv[1:])
    args = _parser().parse_args(argv)
    out = ConsoleReporter(sys.stderr, verbose=args.verbose)
    cancel = threading.Event()
    install_handlers(cancel)
    code = 1
    try:
        inputs = _inputs(args)
        out.mask(inputs["api-key"].strip())
        from .settings import build_settings

        settings = build_settings(inputs, Path.cwd())
        from .http_sessions import api_session, storage_session
        from .main import action

        with api_session() as api, storage_session() as storage:
            code = action(settings, api, storage, out, cancel)
    except Cancelled as stop:
        out.error("interrupted; a build already created keeps running on Pipecat Cloud")
        scratch.discard_all()
        os._exit(stop.exit_code)
    except ActionError as exc:
        out.error(str(exc))
        code = exc.exit_code
    finally:
        scratch.discard_all()
    result = {"exit-code": code, **out.outputs}
    print(json.dumps(result, indent=2, sort_keys=True))
    if args.output_env:
        lines = [f"{_env_name(k)}={v}" for k, v in sorted(out.outputs.items()) if "\n" not in v]
        Path(args.output_env).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
