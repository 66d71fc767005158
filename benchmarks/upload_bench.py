"""Upload wall time: the action's upload (fresh interpreter) vs `curl -F`, same file, same
endpoint, each timed from process start to exit; against the emulator's storage (a real
presigned POST ticket) and against a sink that only discards the body (the client's own speed).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from figures import Figure
from sink import DiscardServer

from pipecat_cloud_emulator import Emulator, EmulatorConfig

HERE = Path(__file__).resolve().parent
MiB = 1 << 20


def random_file(path: Path, size: int) -> Path:
    if path.is_file() and path.stat().st_size == size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        left = size
        while left:
            piece = min(left, 8 * MiB)
            fh.write(os.urandom(piece))
            left -= piece
    return path


def emulator_ticket(emu: Emulator) -> dict[str, Any]:
    """A real ticket from POST /v1/builds/upload-url (fields in the API's order)."""
    request = urllib.request.Request(
        f"{emu.api_url}/v1/builds/upload-url",
        data=json.dumps({"region": "us-west"}).encode(),
        headers={
            "Authorization": f"Bearer {emu.config.api_key}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = json.load(answer)
    return {
        "upload_id": body["uploadId"],
        "url": body["uploadUrl"],
        "fields": list(body["uploadFields"].items()),
    }


def _timed(command: list[str]) -> tuple[float, str]:
    """Wall time from process start to exit, and what the process printed."""
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        # its output may echo the request's fields; say only which client failed
        raise SystemExit(f"upload benchmark: {command[0]} exited {proc.returncode}")
    return seconds, proc.stdout


def _ours(ticket_file: Path, archive: Path) -> list[str]:
    return [sys.executable, str(HERE / "upload_child.py"), str(ticket_file), str(archive)]


def _curl(ticket: dict[str, Any], archive: Path) -> list[str]:
    command = ["curl", "-sS", "--fail", "-o", "/dev/null"]
    for name, value in ticket["fields"]:
        command += ["--form-string", f"{name}={value}"]
    return [*command, "-F", f"file=@{archive};type=application/gzip", ticket["url"]]


def measure(scratch: Path, quick: bool, reps: int) -> list[Figure]:
    if not shutil.which("curl"):
        raise NotImplementedError("curl is not installed")
    size = 3 * MiB if quick else 300 * 1000 * 1000
    archive = random_file(scratch / "upload" / f"random-{size}.bin", size)
    ticket_file = scratch / "upload" / "ticket.json"
    figures = []
    config = EmulatorConfig(spool_uploads=False, max_upload_bytes=size * 2)
    with Emulator(config) as emu, DiscardServer() as sink:
        for label, endpoint in (("emulator storage", None), ("discard sink", sink.url)):
            times: dict[str, list[float]] = {k: [] for k in ("ours", "curl", "import", "send")}
            for rep in range(reps):
                for who in ("ours", "curl") if rep % 2 == 0 else ("curl", "ours"):
                    ticket = emulator_ticket(emu)
                    if endpoint:
                        ticket["url"] = endpoint
                    ticket_file.write_text(json.dumps(ticket))
                    command = (
                        _curl(ticket, archive) if who == "curl" else _ours(ticket_file, archive)
                    )
                    seconds, printed = _timed(command)
                    times[who].append(seconds)
                    if who == "ours":
                        inside = json.loads(printed)
                        times["import"].append(inside["import_seconds"])
                        times["send"].append(inside["upload_seconds"])
            ticket_file.unlink(missing_ok=True)
            ours, curl = statistics.median(times["ours"]), statistics.median(times["curl"])
            figures.append(
                Figure(
                    f"upload wall time / `curl -F`, {size / 1e6:.0f} MB, {label}",
                    ours / curl,
                    1.2,
                    f"ours {ours:.3f} s ({size / 1e6 / ours:.0f} MB/s), "
                    f"curl {curl:.3f} s ({size / 1e6 / curl:.0f} MB/s); inside our process: "
                    f"imports {statistics.median(times['import']):.3f} s, upload_archive "
                    f"{statistics.median(times['send']):.3f} s; {reps} reps",
                )
            )
    return figures
