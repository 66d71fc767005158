"""The cache-hit run's reference: a fresh interpreter that only selects and archives a context
(the action's own select_context + write_archive), then exits; timed from outside.

Usage: python benchmarks/archive_only.py CONTEXT_DIR OUT_PATH   (prints the context hash)
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipecat_build.archive.select import select_context
from pipecat_build.archive.tar_stream import write_archive


def main() -> None:
    selection = select_context(Path(sys.argv[1]), "Dockerfile")
    with Path(sys.argv[2]).open("wb") as out:
        result = write_archive(selection.members, out, "cli")
    print(result.context_hash)


if __name__ == "__main__":
    main()
