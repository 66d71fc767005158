"""Runs `python entrypoint.py` the way GitHub's runner starts the container action: every input
from action.yml's defaults as INPUT_<NAME> (hyphens kept), file commands in files, a workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"
TEST_KEY = "pk_live_RECOGNISABLE_s3cr3t_4f2a9c"


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


def start_action(workspace: Path, files: Path, **inputs: str) -> subprocess.Popen[str]:
    env = runner_env(workspace, files, {k.replace("_", "-"): v for k, v in inputs.items()})
    return subprocess.Popen(
        [sys.executable, str(ENTRYPOINT)],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], files: Path, timeout: float = 60) -> ActionRun:
    stdout, stderr = proc.communicate(timeout=timeout)
    summary_file = files / "summary.md"
    return ActionRun(
        proc.returncode,
        stdout,
        stderr,
        read_outputs(files / "output"),
        summary_file.read_text() if summary_file.exists() else "",
        sorted((files / "tmp").iterdir()),
    )


def run_action(workspace: Path, files: Path, **inputs: str) -> ActionRun:
    """Inputs as keyword arguments with `_` for `-` (api_key= -> INPUT_API-KEY)."""
    return finish(start_action(workspace, files, **inputs), files)
