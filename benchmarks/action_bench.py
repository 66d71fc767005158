"""Whole-action figures: `python entrypoint.py` as the runner starts it, against the emulator.

- peak RSS while it archives and uploads a ~400 MB mixed context (VmHWM of the entrypoint's
  own process, via action_wrapper.py);
- a cache-hit run's wall time vs a fresh process that only selects and archives the context;
- `-X importtime` cumulative import time, failing fast (no api-key) and on the cache-hit path.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml
from contexts import ContextSpec, ensure_context
from figures import Figure

from pipecat_cloud_emulator import Emulator, EmulatorConfig

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ENTRYPOINT = REPO / "entrypoint.py"
MiB = 1 << 20

RSS_SPEC = ContextSpec(
    "action-400", "mostly incompressible binaries + text", 300, 60 * MiB, 4, 320 * MiB
)
HIT_SPEC = ContextSpec("files-5000", "5,000 small files", 5000, 20 * MiB)
TOP_LEVEL = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", re.M)


def runner_env(emu: Emulator | None, workspace: Path, files: Path) -> dict[str, str]:
    """What GitHub's runner gives a container action: every action.yml input as INPUT_<NAME>
    (hyphens kept), file commands in files, the workspace. No emulator: no api-key."""
    shutil.rmtree(files, ignore_errors=True)
    (files / "tmp").mkdir(parents=True)
    (files / "output").touch()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_"))
    }
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(files / "output"),
        GITHUB_STEP_SUMMARY=str(files / "summary.md"),
        TMPDIR=str(files / "tmp"),
    )
    spec = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {name: str(meta.get("default", "")) for name, meta in spec["inputs"].items()}
    if emu is not None:
        inputs.update({"api-key": emu.config.api_key, "api-url": emu.api_url, "region": "us-west"})
        inputs["poll-interval"] = "0.2"
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    return env


def _outputs(files: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's `name=value` and `name<<DELIMITER` forms; the last value wins."""
    found: dict[str, str] = {}
    lines = iter((files / "output").read_text().splitlines())
    for line in lines:
        name, heredoc, delimiter = line.partition("<<")
        if heredoc:
            found[name] = "\n".join(iter(lines.__next__, delimiter))
        else:
            key, _, value = line.partition("=")
            found[key] = value
    return found


def run_action(
    env: dict[str, str],
    workspace: Path,
    files: Path,
    *,
    wrapper: bool = False,
    importtime: bool = False,
) -> tuple[float, subprocess.CompletedProcess[str], int]:
    """Wall time, the finished process, and (with wrapper) its VmHWM in KiB."""
    command = [sys.executable]
    if importtime:
        command += ["-X", "importtime"]
    if wrapper:
        env = {**env, "BENCH_VMHWM_FILE": str(files / "vmhwm")}
        command += [str(HERE / "action_wrapper.py")]
    start = time.perf_counter()
    proc = subprocess.run(
        [*command, str(ENTRYPOINT)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak = int((files / "vmhwm").read_text()) if wrapper else 0
    return seconds, proc, peak


def _require(ok: bool, what: str, proc: subprocess.CompletedProcess[str]) -> None:
    if not ok:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise SystemExit(f"action benchmark: {what} (exit {proc.returncode})\n{tail}")


def peak_rss(scratch: Path, quick: bool, reps: int) -> list[Figure]:
    spec = RSS_SPEC.scaled(0.02) if quick else RSS_SPEC
    root = ensure_context(scratch, spec)
    files = scratch / "action-files"
    config = EmulatorConfig(
        spool_uploads=False, pending_seconds=0.05, building_seconds=0.2, max_upload_bytes=1 << 30
    )
    peaks, times = [], []
    with Emulator(config) as emu:
        for _ in range(reps):
            env = runner_env(emu, root, files)
            env["INPUT_FORCE"] = "true"  # each run archives and uploads, whatever ran before
            seconds, proc, peak = run_action(env, root, files, wrapper=True)
            _require(
                proc.returncode == 0 and bool(_outputs(files).get("image-uri")), "run failed", proc
            )
            peaks.append(peak / 1024)
            times.append(seconds)
        uploaded = max(u["size"] for u in emu.uploads.values())
    content = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return [
        Figure(
            f"peak RSS of the whole action, archive + upload, {content / 1e6:.0f} MB context",
            statistics.median(peaks),
            64.0,
            f"VmHWM of the entrypoint process, median of {reps} (max {max(peaks):.1f}); "
            f"archive {uploaded / 1e6:.0f} MB uploaded; run {statistics.median(times):.1f} s",
            "MiB",
        )
    ]


def _import_total(stderr: str) -> tuple[float, list[tuple[int, str]]]:
    found = [(int(us), name) for us, name in TOP_LEVEL.findall(stderr)]
    return sum(us for us, _ in found) / 1000, sorted(found, reverse=True)


def _compile_sources() -> None:
    """The image ships compiled bytecode (Dockerfile: compileall); so must the measured tree,
    or the import figures would time the compiler (PYTHONDONTWRITEBYTECODE machines)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True)


def _requests_import_ms() -> float:
    """For scale, in the same run: the HTTP library the action used before (0 if absent)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import requests"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        return 0.0
    return max((int(us) for us, name in TOP_LEVEL.findall(proc.stderr) if name == "requests"),
               default=0) / 1000


def cache_hit(scratch: Path, quick: bool, reps: int) -> list[Figure]:
    _compile_sources()
    spec = HIT_SPEC.scaled(0.02) if quick else HIT_SPEC
    root = ensure_context(scratch, spec)
    files = scratch / "action-files"
    out = scratch / "out" / "archive-only.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    archive_cmd = [sys.executable, str(HERE / "archive_only.py"), str(root), str(out)]
    context_hash = subprocess.run(
        archive_cmd, capture_output=True, text=True, check=True
    ).stdout.strip()
    hits: list[float] = []
    alone: list[float] = []
    no_input: list[float] = []
    requests_ms: list[float] = []
    hit_imports: list[float] = []
    heaviest: dict[str, list[int]] = defaultdict(list)
    config = EmulatorConfig(spool_uploads=False)
    with Emulator(config) as emu:
        emu.add_build(context_hash, region="us-west")
        for rep in range(reps):
            for kind in ("hit", "alone") if rep % 2 == 0 else ("alone", "hit"):
                if kind == "alone":
                    start = time.perf_counter()
                    subprocess.run(archive_cmd, capture_output=True, check=True)
                    alone.append(time.perf_counter() - start)
                    continue
                emu.clear_requests()
                seconds, proc, _ = run_action(runner_env(emu, root, files), root, files)
                outputs = _outputs(files)
                _require(
                    proc.returncode == 0 and outputs.get("cached") == "true",
                    "not a cache hit",
                    proc,
                )
                _require(
                    outputs.get("context-hash") == context_hash,
                    "hash differs from archive_only",
                    proc,
                )
                _require(len(emu.requests) == 1, f"{len(emu.requests)} requests, not one", proc)
                hits.append(seconds)
        # import time on the same path, and failing fast without inputs; cheap, so more reps
        for _ in range(max(5, reps)):
            _, proc, _ = run_action(runner_env(emu, root, files), root, files, importtime=True)
            total, ranked = _import_total(proc.stderr)
            hit_imports.append(total)
            for us, name in ranked:
                heaviest[name].append(us)
            _, proc, _ = run_action(runner_env(None, root, files), root, files, importtime=True)
            _require(
                proc.returncode != 0 and "api-key" in proc.stdout, "no-input run did not fail", proc
            )
            no_input.append(_import_total(proc.stderr)[0])
            requests_ms.append(_requests_import_ms())
    hit, ref = statistics.median(hits), statistics.median(alone)
    top = sorted(heaviest.items(), key=lambda kv: -statistics.median(kv[1]))[:6]
    top_text = ", ".join(f"{name} {statistics.median(us) / 1000:.0f}" for name, us in top)
    return [
        Figure(
            f"cache-hit run wall time / archive+hash alone, {spec.text_files}-file context",
            hit / ref,
            1.15,
            f"hit run {hit:.2f} s (entrypoint, one GET), select+archive process {ref:.2f} s; "
            f"{reps} reps",
        ),
        Figure(
            "`python -X importtime entrypoint.py` cumulative, no inputs (fails on api-key)",
            statistics.median(no_input),
            150.0,
            "sum of top-level cumulative entries incl. interpreter start-up, median of "
            f"{len(no_input)}",
            "ms",
        ),
        Figure(
            "`-X importtime` cumulative, cache-hit run",
            statistics.median(hit_imports),
            150.0,
            f"heaviest top-level (ms): {top_text}; for scale, `import requests` alone: "
            f"{statistics.median(requests_ms):.0f} ms; median of {len(hit_imports)}",
            "ms",
        ),
    ]
