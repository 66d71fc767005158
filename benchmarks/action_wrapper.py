"""Runs entrypoint.py as the container does (runpy, `__main__`), then writes this process's
VmHWM in KiB to the file named by BENCH_VMHWM_FILE: the whole action's peak RSS, measured by
the kernel, with nothing of the benchmark's own in the process."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path


def vmhwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    entry = sys.argv[1]
    sys.argv = [entry]
    code: object = 0
    try:
        runpy.run_path(entry, run_name="__main__")
    except SystemExit as done:
        code = done.code
    finally:
        Path(os.environ["BENCH_VMHWM_FILE"]).write_text(str(vmhwm_kib()))
    sys.exit(code)


if __name__ == "__main__":
    main()
