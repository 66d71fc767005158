"""One measured operation, run in a fresh interpreter by run.py; prints one JSON line.

Usage: python benchmarks/child.py KIND CONTEXT_DIR TAR_PATH OUT_PATH [HASH_CACHE_DIR]
KIND: baseline | floor | cli | fast | pcc | hit. The timed section excludes interpreter
start-up, imports and (for our writer) building the member list, which the selection step owns.
"cli" also remembers its hash in HASH_CACHE_DIR (after the clock stops), as a run does;
"hit" is a run with a remembered hash: select_context + digest_stream + HashCache.recall, all
timed (its selection included), and it fails if the hash is not remembered.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contexts import cli_members

from pipecat_build.archive.hash_cache import HashCache, cache_key
from pipecat_build.archive.select import select_context
from pipecat_build.archive.stream_digest import digest_stream
from pipecat_build.archive.tar_stream import write_archive

CACHE_KEY = cache_key("pk_test_cache")  # the key a run derives from its API key

CHUNK = 1 << 20


def floor(tar_path: Path) -> dict[str, object]:
    """zlib -9 streaming over the prebuilt tar in one thread: the time nothing can beat."""
    data = tar_path.read_bytes()
    view = memoryview(data)
    start = time.perf_counter()
    z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
    size = 0
    for i in range(0, len(view), CHUNK):
        size += len(z.compress(view[i : i + CHUNK]))
    size += len(z.flush())
    return {"seconds": time.perf_counter() - start, "bytes": size, "md5": ""}


def ours(root: Path, out_path: Path, compression: str, cache: Path | None) -> dict[str, object]:
    members = cli_members(root)
    with out_path.open("wb") as out:
        start = time.perf_counter()
        result = write_archive(members, out, "fast" if compression == "fast" else "cli")
        seconds = time.perf_counter() - start
    if cache is not None:
        warning = HashCache(cache, key=CACHE_KEY).remember(
            result.stream_key, result.context_hash, result.archive_bytes
        )
        if warning:
            raise SystemExit(warning)
    return {"seconds": seconds, "bytes": result.archive_bytes, "md5": result.md5_hex}


def hit(root: Path, cache: Path) -> dict[str, object]:
    """The remembered-hash path of a run: select, digest the tar stream, recall; no deflate."""
    start = time.perf_counter()
    selection = select_context(root, "Dockerfile")
    digest = digest_stream(selection.members, "cli")
    remembered = HashCache(cache, key=CACHE_KEY).recall(digest.key)
    seconds = time.perf_counter() - start
    if remembered is None:
        raise SystemExit(f"no remembered hash for {root.name} in {cache} (run cli first)")
    return {
        "seconds": seconds,
        "bytes": remembered.archive_bytes,
        "md5": "",
        "context_hash": remembered.context_hash,
        "tar_bytes": digest.tar_bytes,
    }


def pcc(root: Path) -> dict[str, object]:
    from pipecatcloud._utils.build_utils import create_deterministic_tarball

    start = time.perf_counter()
    context = create_deterministic_tarball(str(root), set(), ".")
    seconds = time.perf_counter() - start
    md5 = hashlib.md5(context.tarball).hexdigest()
    return {"seconds": seconds, "bytes": len(context.tarball), "md5": md5}


def peak_rss_kib() -> int:
    """This process's own high-water RSS. ru_maxrss would not do: Linux carries the parent's
    high-water mark across fork+exec into the child's (and RUSAGE_CHILDREN's) figure."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    kind, root, tar_path, out_path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    cache = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    if kind == "baseline":
        cli_members(root)
        result: dict[str, object] = {"seconds": 0.0, "bytes": 0, "md5": ""}
    elif kind == "floor":
        result = floor(tar_path)
    elif kind in ("cli", "fast"):
        result = ours(root, Path(out_path), kind, cache if kind == "cli" else None)
    elif kind == "hit":
        if cache is None:
            raise SystemExit("hit needs HASH_CACHE_DIR")
        result = hit(root, cache)
    elif kind == "pcc":
        result = pcc(root)
    else:
        raise SystemExit(f"unknown kind {kind}")
    result["vmhwm_kib"] = peak_rss_kib()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
