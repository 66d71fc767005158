"""`pipecat-build demo`: the action's whole job, end to end, against the local emulator.

It runs the action exactly as GitHub's runner would (inputs in INPUT_* variables, a
GITHUB_OUTPUT file, a workspace), twice, with `agent-name` set: first a fresh build deployed to
a new agent (waited for until it serves), then a reuse of that build, which the service answers
as an unchanged deployment. Nothing is written outside a temporary folder, and no account is
needed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

DEMO_KEY = "pk_emulator_demo"
DEMO_AGENT = "demo-agent"
SHOWN_OUTPUTS = (
    "image-uri", "build-id", "context-hash", "cached", "status",
    "agent-name", "deployment-id", "deploy-status",
)
_FALLBACK_AGENT = {
    "Dockerfile": "FROM dailyco/pipecat-base:latest\nCOPY ./bot.py bot.py\n",
    "bot.py": "async def bot(args):\n    print('hello from the demo agent')\n",
}


def _agent_source(context: str | None) -> Path | None:
    if context:
        return Path(context)
    candidate = Path("examples/agent")
    return candidate if candidate.is_dir() else None


def _read_outputs(path: Path) -> dict[str, str]:
    """Parses the runner's heredoc records (`name<<DELIM`, value lines, `DELIM`)."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        name, _, delimiter = lines[i].partition("<<")
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


_COMMAND = re.compile(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$")
_LABELS = {"error": "Error", "warning": "Warning", "notice": "Notice"}


def _unescape(data: str) -> str:
    return data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


class RunnerLog:
    """Shows the action's stdout as the runner's log viewer does: masks applied and hidden,
    groups as folded sections, annotations labelled, debug lines left out."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._masks: list[str] = []
        self._indent = ""

    def _show(self, text: str) -> None:
        for secret in self._masks:
            text = text.replace(secret, "***")
        for line in text.splitlines() or [""]:
            self._write(self._indent + line)

    def feed(self, raw: str) -> None:
        match = _COMMAND.match(raw.rstrip("\n"))
        if match is None:
            self._show(raw.rstrip("\n"))
            return
        command, data = match.group(1), _unescape(match.group(3))
        if command == "add-mask":
            if data:
                self._masks.append(data)
        elif command == "group":
            self._indent = ""
            self._show(f"▸ {data}")
            self._indent = "  "
        elif command == "endgroup":
            self._indent = ""
        elif command in _LABELS:
            self._show(f"{_LABELS[command]}: {data}")
        elif command != "debug":
            self._show(raw.rstrip("\n"))


def _run_action(workspace: Path, api_url: str, files: Path, run: int) -> dict[str, str]:
    output_file = files / f"output-{run}"
    output_file.touch()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))},
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(files / f"summary-{run}.md"),
        "INPUT_API-KEY": DEMO_KEY,
        "INPUT_API-URL": api_url,
        "INPUT_CONTEXT": ".",
        "INPUT_POLL-INTERVAL": "0.2",
        "INPUT_AGENT-NAME": DEMO_AGENT,
    }
    log = RunnerLog(lambda line: print(line, flush=True))
    with subprocess.Popen(
        [sys.executable, "-m", "pipecat_build"],
        env=env,
        cwd=workspace,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            log.feed(raw)
    return _read_outputs(output_file)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="pipecat-build demo", description=__doc__)
    parser.add_argument("--context", help="agent folder to build (default: examples/agent)")
    parser.add_argument("--build-seconds", type=float, default=3.0, metavar="SECONDS",
                        help="how long the emulated build takes (default: 3)")
    parser.add_argument("--deploy-seconds", type=float, default=2.0, metavar="SECONDS",
                        help="how long the emulated deployment takes to serve (default: 2)")
    args = parser.parse_args(list(argv))
    from . import Emulator, EmulatorConfig

    with tempfile.TemporaryDirectory(prefix="pipecat-demo-") as tmp:
        root = Path(tmp)
        workspace = root / "workspace"
        source = _agent_source(args.context)
        if source is not None:
            shutil.copytree(source, workspace, symlinks=True)
        else:
            workspace.mkdir()
            for name, text in _FALLBACK_AGENT.items():
                (workspace / name).write_text(text, encoding="utf-8")
        deploy_seconds = max(args.deploy_seconds, 0.0)
        config = EmulatorConfig(
            api_key=DEMO_KEY,
            pending_seconds=0.5,
            building_seconds=max(args.build_seconds, 0.0),
            # reconcile, Creating, Validating: a quarter, a quarter, a half
            deploy_reconcile_seconds=deploy_seconds / 4,
            deploy_creating_seconds=deploy_seconds / 4,
            deploy_validating_seconds=deploy_seconds / 2,
        )
        with Emulator(config) as emulator:
            print(f"== local Pipecat Cloud emulator at {emulator.api_url}", flush=True)
            results = []
            titles = (
                (1, f"first run: a fresh build, deployed to agent {DEMO_AGENT}"),
                (2, "second run: same context, same agent"),
            )
            for run, title in titles:
                print(f"\n== {title}", flush=True)
                results.append(_run_action(workspace, emulator.api_url, root, run))
        print("\n== outputs")
        for run, outputs in enumerate(results, 1):
            print(f"run {run}:")
            for name in SHOWN_OUTPUTS:
                print(f"  {name:14} {outputs.get(name, '')}")
        first, second = results
        built = bool(first.get("image-uri")) and first.get("deploy-status") == "ready"
        reused = second.get("cached") == "true" and second.get("deploy-status") == "unchanged"
        same = bool(first.get("deployment-id")) and (
            first.get("deployment-id") == second.get("deployment-id")
        )
        ok = built and reused and same
        print(
            "\ndemo finished: "
            + (
                f"the first run built and deployed agent {DEMO_AGENT} (ready), the second "
                "reused the build and left the deployment unchanged"
                if ok
                else "FAILED"
            )
        )
        return 0 if ok else 1
