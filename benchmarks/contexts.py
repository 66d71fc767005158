"""Generated build contexts for the benchmarks, reproducible from a seed.

Text is cut from the running interpreter's own standard-library sources (real code, so
deflate behaves as on a real project); binaries are seeded pseudo-random bytes (as
incompressible as model weights or media). A context is generated once and reused while
its spec is unchanged.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sysconfig
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path

from pipecat_build.archive.members import Member

MiB = 1 << 20


@dataclass(frozen=True)
class ContextSpec:
    name: str
    what: str
    text_files: int
    text_bytes: int
    binary_files: int = 0
    binary_bytes: int = 0
    seed: int = 4

    def scaled(self, factor: float) -> ContextSpec:
        return ContextSpec(
            self.name,
            self.what,
            max(5, int(self.text_files * factor)),
            int(self.text_bytes * factor),
            self.binary_files,
            int(self.binary_bytes * factor),
            self.seed,
        )


SPECS = [
    ContextSpec("small-py", "many small Python files", 2300, 30 * MiB),
    ContextSpec("mixed", "large binaries + text", 400, 90 * MiB, 4, 160 * MiB),
    ContextSpec("text", "text-heavy", 1600, 200 * MiB),
    ContextSpec("files-5000", "5,000 small files", 5000, 20 * MiB),
]


class TextSource:
    """Slices of real source code, taken at seeded offsets from the stdlib's .py files."""

    def __init__(self, rng: random.Random, limit: int = 48 * MiB) -> None:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        parts: list[bytes] = []
        size = 0
        for path in sorted(stdlib.rglob("*.py")):
            rel = path.relative_to(stdlib).parts
            if "site-packages" in rel or "test" in rel or "tests" in rel:
                continue
            data = path.read_bytes()
            parts.append(data)
            size += len(data)
            if size >= limit:
                break
        self._text = b"".join(parts)
        self._rng = rng

    def take(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            start = self._rng.randrange(len(self._text))
            out += self._text[start : start + n - len(out)]
        return bytes(out)


def _sizes(rng: random.Random, count: int, total: int) -> list[int]:
    """Log-normal file sizes (many small, a few large) scaled to the requested total."""
    raw = [rng.lognormvariate(0, 1.2) for _ in range(count)]
    scale = total / sum(raw)
    return [int(r * scale) for r in raw]


def _write(root: Path, spec: ContextSpec) -> None:
    rng = random.Random(spec.seed)
    text = TextSource(rng)
    (root / "Dockerfile").write_text('FROM python:3.11-slim\nCOPY . /app\nCMD ["python"]\n')
    for i, size in enumerate(_sizes(rng, spec.text_files, spec.text_bytes)):
        folder = root / f"pkg{i % 23:02d}" / f"sub{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"module_{i:05d}.py"
        path.write_bytes(text.take(size))
        if i % 50 == 0:
            path.chmod(0o755)
    for i in range(spec.binary_files):
        path = root / "models" / f"weights_{i}.bin"
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as fh:
            left = spec.binary_bytes // spec.binary_files
            while left:
                piece = min(left, 8 * MiB)
                fh.write(rng.randbytes(piece))
                left -= piece


def ensure_context(scratch: Path, spec: ContextSpec) -> Path:
    """The context folder for spec, generated unless an identical one is already there."""
    root = scratch / "contexts" / spec.name
    marker = scratch / "contexts" / f"{spec.name}.spec.json"
    wanted = json.dumps(asdict(spec), sort_keys=True)
    if root.is_dir() and marker.is_file() and marker.read_text() == wanted:
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _write(root, spec)
    marker.write_text(wanted)
    return root


def cli_members(root: Path) -> list[Member]:
    """The member list exactly as `pcc deploy` walks it (no exclusions needed here)."""
    found: list[Member] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            found.append(Member(path.relative_to(root).as_posix(), path, path.stat().st_size, mode))
    found.sort(key=lambda m: m.arcname)
    return found


def ensure_tar(scratch: Path, spec: ContextSpec, root: Path) -> Path:
    """The uncompressed tar of the context (what pcc compresses), for the deflate floor."""
    path = scratch / "tars" / f"{spec.name}.tar"
    marker = path.with_suffix(".spec.json")
    wanted = json.dumps(asdict(spec), sort_keys=True)
    if path.is_file() and marker.is_file() and marker.read_text() == wanted:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        for member in cli_members(root):
            info = tarfile.TarInfo(member.arcname)
            info.size, info.mtime, info.mode = member.size, 0, member.mode
            with member.path.open("rb") as fh:
                tar.addfile(info, fh)
    marker.write_text(wanted)
    return path


def describe(root: Path) -> tuple[int, int]:
    members = cli_members(root)
    return len(members), sum(m.size for m in members)
