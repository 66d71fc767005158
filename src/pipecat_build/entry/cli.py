"""`pipecat-build`: the same job for GitLab, Jenkins, Buildkite and shells.

Progress goes to stderr, the result as JSON to stdout (nothing else is written there), and
`--output-env FILE` writes `KEY=value` lines (GitLab's dotenv reports, or `set -a; . FILE`).
Exit codes: 0 built or reused, 1 failed or bad input, 2 bad command line, 130/143
interrupted (the remote build keeps running).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..cancellation import Cancelled, install_handlers
from ..config.cleaners import FALSE_WORDS, TRUE_WORDS
from ..inputs import CLI, INPUTS
from ..outputs import OUTPUT_BY_NAME
from ..report.reporter import ConsoleReporter
from ..run import Run
from ..runtime import Runtime

# What a POSIX shell reads back unchanged in an assignment (`X=value` under `set -a; .`): an
# assignment is not split or globbed, so `?`, `*`, `[`, `]`, `#` (not at a word's start) and
# `&`-free URLs stay bare, and GitLab's dotenv report (which keeps quotes) reads the same.
# Whitespace, quotes, `$`, backquote, `\\`, `;`, `&`, `|`, `<`, `>`, `(`, `)` and `~` (tilde
# expansion after `=` or `:`) need quotes.
_SHELL_SAFE = re.compile(r"(?:[A-Za-z0-9_./:@%+,=?*\[\]{}!^-][A-Za-z0-9_./:@%+,=?*\[\]{}!^#-]*)?")
# The words a boolean input takes, as its variable is cleaned (an empty flag value is no word).
TRUE_VALUES = TRUE_WORDS
FALSE_VALUES = FALSE_WORDS - {""}


class Switch(argparse.Action):
    """A boolean input as a command line expects it: `--x` and `--no-x`, and also `--x=false`
    or `--x false` (what its variable takes). The value handed on is `true` or `false`."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        flag = option_strings[0]
        kwargs.pop("nargs", None)
        super().__init__(
            [flag, "--no-" + flag[2:]], dest, nargs="?", metavar="true|false",
            **kwargs,  # type: ignore[arg-type]
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        negated = bool(option_string and option_string.startswith("--no-"))
        if values is None:
            setattr(namespace, self.dest, "false" if negated else "true")
            return
        word = str(values).strip().lower()
        if negated or word not in TRUE_VALUES | FALSE_VALUES:
            parser.error(
                f"{option_string}: '{values}' is not true or false; use {self.option_strings[0]}, "
                f"{self.option_strings[1]} or {self.option_strings[0]}=true|false"
                if not negated
                else f"{option_string} takes no value; use {self.option_strings[0]}=false"
            )
        setattr(namespace, self.dest, "true" if word in TRUE_VALUES else "false")

    def format_usage(self) -> str:
        return " | ".join(self.option_strings)


class _Formatter(argparse.HelpFormatter):
    def _format_action_invocation(self, action: argparse.Action) -> str:
        if isinstance(action, Switch):
            flag, negated = action.option_strings
            return f"{flag}[=true|false], {negated}"
        return super()._format_action_invocation(action)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipecat-build",
        formatter_class=_Formatter,
        description="Build a Docker image on Pipecat Cloud from a folder, reusing an earlier "
        "build of the same context, and optionally deploy it to an agent. Every option also "
        "reads the environment variable shown with it; a flag wins over its variable.",
        epilog="Exit codes: 0 built or reused (and deployed); 1 failed or bad input; 2 bad "
        "command line; 130/143 interrupted (the remote build keeps running). "
        "`pipecat-build demo` runs the whole job against a local emulator (from a checkout).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    for spec in INPUTS:
        default = f" Default: {spec.default}." if spec.default else ""
        if spec.kind == "bool":
            default = " Default: on." if spec.default == "true" else " Default: off."
        helptext = f"{CLI.help(spec)}{default} (env {spec.env})".replace("%", "%%")
        if spec.kind == "bool":
            parser.add_argument(spec.flag, dest=spec.name, action=Switch, default=None,
                                help=helptext)
        else:
            metavar = "{" + ",".join(spec.choices) + "}" if spec.choices else (
                spec.name.upper().replace("-", "_")
            )
            parser.add_argument(spec.flag, dest=spec.name, metavar=metavar, help=helptext)
    parser.add_argument("--workspace", metavar="DIR",
                        help="Folder that context and services paths are relative to "
                        "(env PIPECAT_WORKSPACE; default: the current folder).")
    parser.add_argument("--output-env", metavar="FILE",
                        help="Also write the outputs as PIPECAT_<NAME>=value lines, for "
                        "GitLab's dotenv report or `set -a; . FILE`: plain values, URLs "
                        "and numbers bare, as in the JSON result; only a value a shell would "
                        "change (spaces, quotes, $, ;, &, ~, JSON) is single-quoted.")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Print debug lines (what was resolved and why).")
    return parser


def _inputs(args: argparse.Namespace) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for spec in INPUTS:
        value = getattr(args, spec.name)
        if value is None:
            value = os.environ.get(spec.env, "")
        inputs[spec.name] = str(value)
    if not inputs["hash-cache"]:
        inputs["hash-cache"] = str(_user_cache())
    return inputs


def _user_cache() -> Path:
    """A developer's second run is instant: hashes are remembered in the user's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pipecat-build"


def _env_name(output: str) -> str:
    return OUTPUT_BY_NAME[output].env


def _typed(name: str, value: str) -> object:
    """Outputs are strings for the runner; the JSON result gives them the JSON type of the
    outputs table."""
    kind = OUTPUT_BY_NAME[name].kind
    try:
        if kind == "json":
            return json.loads(value)
        if kind == "bool":
            return value == "true"
        if kind == "int":
            return int(value)
        if kind == "float":  # as the value was written: 12 stays 12, as in --output-env
            number = float(value)
            return int(number) if re.fullmatch(r"-?[0-9]+", value) else number
    except ValueError:
        pass
    return value


def env_line(name: str, value: str) -> str:
    """`PIPECAT_X=value`, read back exactly by GitLab's dotenv report and by a POSIX shell's
    `set -a; . FILE`: plain values stay bare (GitLab keeps quotes), others are single-quoted."""
    if _SHELL_SAFE.fullmatch(value):
        return f"{_env_name(name)}={value}"
    return f"{_env_name(name)}='" + value.replace("'", "'\\''") + "'"


def _check_output_env(path: str) -> str | None:
    """Before anything is sent: a file that cannot be written must fail the job, not lose
    `$PIPECAT_IMAGE_URI` in a later one."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        return f"--output-env: folder {folder} does not exist; create it or pick another file"
    if target.is_dir():
        return f"--output-env: {path} is a folder; give a file name"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return f"--output-env: cannot write {path}; pick a writable file"
    return None


def _report(out: ConsoleReporter, code: int, output_env: str | None) -> int:
    """The JSON result on stdout (the only thing written there) and the dotenv file."""
    outputs = dict(out.outputs)
    if output_env:
        lines = [env_line(k, v) for k, v in sorted(outputs.items()) if "\n" not in v]
        try:
            Path(output_env).write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")
        except OSError as exc:
            out.error(f"--output-env: cannot write {output_env}: {exc.strerror}")
            code = code or 1
    result: dict[str, object] = {"exit-code": code}
    result.update({name: _typed(name, value) for name, value in outputs.items()})
    if out.errors:
        result["errors"] = [error.splitlines()[0] for error in out.errors]
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()
    return code


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
    job_run = Run()
    install_handlers(job_run.cancel)
    from ..job import run_job

    try:
        problem = _check_output_env(args.output_env) if args.output_env else None
        inputs = _inputs(args)
        if problem:
            out.mask(inputs["api-key"].strip())
            out.error(problem)
            return _report(out, 1, None)
        workspace = Path(args.workspace or os.environ.get("PIPECAT_WORKSPACE") or os.getcwd())
        if not workspace.is_dir():
            out.mask(inputs["api-key"].strip())
            out.error(f"--workspace / PIPECAT_WORKSPACE: '{workspace}' is not a folder")
            return _report(out, 1, args.output_env)
        code = run_job(inputs, workspace, out, run=job_run, vocabulary=CLI,
                       runtime=Runtime.from_environ(os.environ), debug_traceback=args.verbose)
    except Cancelled as stop:
        job_run.discard_all()
        out.error(job_run.cancel_message(str(stop)))
        _report(out, stop.exit_code, args.output_env)
        os._exit(stop.exit_code)  # worker threads must not hold the exit back
    finally:
        job_run.discard_all()
    return _report(out, code, args.output_env)


if __name__ == "__main__":
    sys.exit(main())
