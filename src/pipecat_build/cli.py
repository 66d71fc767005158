"""`pipecat-build`: the same job for GitLab, Jenkins, Buildkite and shells.

Progress goes to stderr, the result as JSON to stdout (nothing else is written there), and
`--output-env FILE` writes `KEY=value` lines (GitLab's dotenv reports). Exit codes: 0 built or
reused, 1 build failed or bad input, 2 bad command line, 130/143 interrupted (the remote build
keeps running).
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
from .errors import ActionError, InputError
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
    parser.add_argument("--workspace", metavar="DIR",
                        help="folder that context and services paths are relative to "
                        "(env PIPECAT_WORKSPACE; default: the current folder)")
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


def _typed(name: str, value: str) -> object:
    """Outputs are strings for the runner; the JSON result gives them their JSON types."""
    try:
        if name in ("images", "matrix"):
            return json.loads(value)
        if name == "cached":
            return value == "true"
        if name in ("context-size-bytes", "image-size-bytes"):
            return int(value)
        if name == "build-duration-seconds":
            return float(value)
    except ValueError:
        pass
    return value


def _report(out: ConsoleReporter, code: int, output_env: str | None) -> None:
    """The JSON result on stdout (the only thing written there) and the dotenv file."""
    outputs = dict(out.outputs)
    result: dict[str, object] = {"exit-code": code}
    result.update({name: _typed(name, value) for name, value in outputs.items()})
    if out.errors:
        result["errors"] = list(out.errors)
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()
    if output_env:
        lines = [f"{_env_name(k)}={v}" for k, v in sorted(outputs.items()) if "\n" not in v]
        try:
            Path(output_env).write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")
        except OSError as exc:
            out.error(f"--output-env: cannot write {output_env}: {exc.strerror}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        try:
            from pipecat_cloud_emulator.demo import main as demo_main
        except ImportError:  # the action's image ships the product only
            print("pipecat-build demo: the emulator is not installed here; run it from a "
                  "checkout with ./dev demo", file=sys.stderr)
            return 2
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

        workspace = Path(args.workspace or os.environ.get("PIPECAT_WORKSPACE") or os.getcwd())
        if not workspace.is_dir():
            raise InputError("workspace", f"'{workspace}' is not a folder")
        settings = build_settings(inputs, workspace)
        from .http_sessions import api_session, storage_session
        from .main import action

        with api_session() as api, storage_session() as storage:
            code = action(settings, api, storage, out, cancel)
    except Cancelled as stop:
        out.error("interrupted; a build already created keeps running on Pipecat Cloud")
        scratch.discard_all()
        _report(out, stop.exit_code, args.output_env)
        os._exit(stop.exit_code)  # worker threads must not hold the exit back
    except ActionError as exc:
        out.error(str(exc))
        code = exc.exit_code
    except Exception as exc:  # a bug: still one line and a JSON result
        out.error(f"unexpected error ({type(exc).__name__}): {exc}")
        code = 1
    finally:
        scratch.discard_all()
    _report(out, code, args.output_env)
    return code


if __name__ == "__main__":
    sys.exit(main())
