"""Runs `python entrypoint.py` the way GitHub's runner starts the container action: every input
from action.yml's defaults as INPUT_<NAME> (hyphens kept), file commands in files, a workspace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"
TEST_KEY = "pk_live_RECOGNISABLE_s3cr3t_4f2a9c"
# The runner reads `::add-mask::V`; github-action-utils writes it with an empty property list.
MASK_LINES = (f"::add-mask::{TEST_KEY}", f"::add-mask ::{TEST_KEY}")
NOBODY = 65534  # uid and gid of `nobody`, for runs that must not be root


def action_defaults() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    return {name: str(meta.get("default", "")) for name, meta in spec["inputs"].items()}


def read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        name, sep, delimiter = lines[i].partition("<<")
        if not sep:
            key, _, value = lines[i].partition("=")
            outputs[key] = value
            i += 1
            continue
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    files: list[Path] = field(default_factory=list)

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def plain_lines(self) -> list[str]:
        """Log lines that are not workflow commands."""
        return [ln for ln in self.stdout.splitlines() if not ln.startswith("::")]


def runner_env(workspace: Path, files: Path, inputs: dict[str, str]) -> dict[str, str]:
    files.mkdir(parents=True, exist_ok=True)
    (files / "output").touch()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_"))
    }
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(files / "output"),
            "GITHUB_STEP_SUMMARY": str(files / "summary.md"),
            "HOME": str(files / "home"),
            "TMPDIR": str(files / "tmp"),
        }
    )
    (files / "tmp").mkdir(exist_ok=True)
    merged = {**action_defaults(), **inputs}
    env.update({f"INPUT_{name.upper()}": value for name, value in merged.items()})
    return env


def setpriv() -> str | None:
    """util-linux's setpriv, to run the entrypoint unprivileged when the tests run as root."""
    return shutil.which("setpriv")


def start_action(
    workspace: Path,
    files: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    as_nobody: bool = False,
    **inputs: str,
) -> subprocess.Popen[str]:
    """`extra_env` adds variables such as RUNNER_DEBUG; `as_nobody` runs the entrypoint as
    uid/gid 65534 through setpriv (the caller makes the folders it needs accessible)."""
    env = runner_env(workspace, files, {k.replace("_", "-"): v for k, v in inputs.items()})
    env.update(extra_env or {})
    command = [sys.executable, str(ENTRYPOINT)]
    if as_nobody:
        tool = setpriv()
        assert tool, "setpriv is not installed"
        command = [tool, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    return subprocess.Popen(
        command,
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_key_not_leaked(run: ActionRun) -> None:
    """The test key may appear only in the add-mask line, which must be the first line of
    stdout (the runner masks only what follows it); never in stderr, outputs or summary."""
    lines = run.stdout.splitlines()
    leaks = [n for n, line in enumerate(lines) if TEST_KEY in line and line not in MASK_LINES]
    assert not leaks, f"API key printed on stdout line(s) {leaks}"
    masks = [n for n, line in enumerate(lines) if line in MASK_LINES]
    assert masks in ([], [0]), f"the key is masked on line(s) {masks}, not first"
    assert TEST_KEY not in run.stderr, "API key printed on stderr"
    assert not any(TEST_KEY in k or TEST_KEY in v for k, v in run.outputs.items()), "in outputs"
    assert TEST_KEY not in run.summary, "API key in the step summary"


def finish(proc: subprocess.Popen[str], files: Path, timeout: float = 60) -> ActionRun:
    """Waits for the run and checks, for every run of the suite, that the key did not leak."""
    stdout, stderr = proc.communicate(timeout=timeout)
    summary_file = files / "summary.md"
    run = ActionRun(
        proc.returncode,
        stdout,
        stderr,
        read_outputs(files / "output"),
        summary_file.read_text() if summary_file.exists() else "",
        sorted((files / "tmp").iterdir()),
    )
    assert_key_not_leaked(run)
    return run


def run_action(
    workspace: Path,
    files: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    as_nobody: bool = False,
    **inputs: str,
) -> ActionRun:
    """Inputs as keyword arguments with `_` for `-` (api_key= -> INPUT_API-KEY)."""
    return finish(
        start_action(workspace, files, extra_env=extra_env, as_nobody=as_nobody, **inputs), files
    )


@dataclass
class InProcessRun:
    """A run of `main.action` in this process: the same flow and HTTP, without the ~0.5 s
    interpreter start, for tests that run it many times."""

    returncode: int
    log: str
    outputs: dict[str, str]
    summary: str


def run_in_process(workspace: Path, **inputs: str) -> InProcessRun:
    """Inputs as for `run_action`; the console reporter stands in for the runner."""
    import io

    from pipecat_build.config.settings import build_settings
    from pipecat_build.job import action, default_sessions
    from pipecat_build.report.reporter import ConsoleReporter
    from pipecat_build.runtime import Runtime

    merged = {**action_defaults(), **{k.replace("_", "-"): v for k, v in inputs.items()}}
    settings = build_settings(merged, workspace)
    stream = io.StringIO()
    out = ConsoleReporter(stream, verbose=True)
    out.mask(settings.api_key)
    runtime = Runtime.from_environ(os.environ)
    with default_sessions(runtime) as (api, storage):
        code = action(settings, api, storage, out, runtime=runtime)
    run = InProcessRun(code, stream.getvalue(), dict(out.outputs), "\n".join(out.summaries))
    assert TEST_KEY not in run.log and TEST_KEY not in run.summary
    assert not any(TEST_KEY in value for value in run.outputs.values())
    return run
