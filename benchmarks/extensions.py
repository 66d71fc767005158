"""Whole-action measurements run after the archive table: upload vs `curl -F`, the action's
peak RSS on a 400 MB context, the cache-hit run vs archiving alone, and import time.

Each takes (scratch folder, quick flag, reps) and returns the Targets-table figures it
measured; the ones skipped (e.g. no curl) raise NotImplementedError saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import action_bench
import upload_bench
from figures import Figure

Extension = Callable[[Path, bool, int], list[Figure]]

EXTENSIONS: dict[str, Extension] = {
    "upload vs curl -F": upload_bench.measure,
    "action peak RSS, 400 MB context": action_bench.peak_rss,
    "cache-hit run vs archive alone, import time": action_bench.cache_hit,
}
