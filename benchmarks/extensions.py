"""Extension points: whole-action measurements that need modules built by other engineers.

Each takes (scratch folder, quick flag) and returns a one-line summary; one whose parts do
not exist yet raises NotImplementedError saying what it waits for. `run.py --extensions`
runs them all after the archive table.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

Extension = Callable[[Path, bool], str]


def upload_vs_curl(scratch: Path, quick: bool) -> str:
    """Upload wall time of pipecat_build.upload vs `curl -F` to the local emulator's storage.

    To wire: start `pipecat_build.emulator` on 127.0.0.1, get a ticket from its
    /v1/builds/upload-url, time upload_archive(storage_session(), ticket, archive) and
    `curl -sS -o /dev/null` with one `-F name=value` per ticket field plus
    `-F file=@archive`, each several times in fresh processes; report medians and the ratio.
    """
    raise NotImplementedError("not wired yet: start pipecat_build.emulator, then see docstring")


def action_peak_rss(scratch: Path, quick: bool) -> str:
    """Peak RSS of the whole action (select + archive + upload) on a 400 MB context.

    To wire: generate a 400 MB ContextSpec (see contexts.py), run the entrypoint against the
    emulator in a subprocess and read ru_maxrss from os.wait4 as run.run_child does.
    """
    raise NotImplementedError("needs the emulator to accept a full action run (in progress)")


def cache_hit_vs_archive(scratch: Path, quick: bool) -> str:
    """Wall time of a cache-hit run (archive, hash, find the earlier build) vs archive alone.

    To wire: seed the emulator with a successful build of the context's hash, run the
    entrypoint, compare its wall time with child.py `cli` on the same context.
    """
    raise NotImplementedError("needs the emulator's seeded builds reachable from a run")


def import_time(scratch: Path, quick: bool) -> str:
    """`python -X importtime entrypoint.py` (imports only, not run): the action's start-up."""
    entry = REPO / "entrypoint.py"
    if not entry.is_file():
        raise NotImplementedError("no entrypoint.py at the repository root yet")
    code = f"import runpy; runpy.run_path({str(entry)!r}, run_name='bench')"
    top_level = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", re.M)
    totals = []
    for _ in range(1 if quick else 5):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        )
        totals.append(sum(int(m.group(1)) for m in top_level.finditer(proc.stderr)))
    median_ms = statistics.median(totals) / 1000
    return f"{median_ms:.1f} ms cumulative, all top-level imports incl. start-up (median)"


EXTENSIONS: dict[str, Extension] = {
    "upload vs curl -F": upload_vs_curl,
    "action peak RSS, 400 MB context": action_peak_rss,
    "cache-hit run vs archive alone": cache_hit_vs_archive,
    "import time (entrypoint.py)": import_time,
}
