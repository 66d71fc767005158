"""One upload in a fresh interpreter, as the action does it (timed from outside, like curl).

Usage: python benchmarks/upload_child.py TICKET_JSON ARCHIVE
TICKET_JSON holds {"upload_id", "url", "fields": [[name, value], ...]}. Prints one JSON line:
the seconds spent importing and the seconds spent in upload_archive itself.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from pipecat_build.api.storage import upload_archive  # noqa: E402
from pipecat_build.api.transport import HttpClient  # noqa: E402
from pipecat_build.models import UploadTicket  # noqa: E402

_IMPORTED = time.perf_counter()


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    ticket = UploadTicket(
        spec["upload_id"], spec["url"], [tuple(f) for f in spec["fields"]], time.time() + 900
    )
    start = time.perf_counter()
    with HttpClient() as session:
        upload_archive(session, ticket, Path(sys.argv[2]))
    seconds = time.perf_counter() - start
    print(json.dumps({"import_seconds": _IMPORTED - _STARTED, "upload_seconds": seconds}))


if __name__ == "__main__":
    main()
