"""The build service's rules, independent of HTTP: caching, outcomes, log windows."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from .archive_probe import asks_to_crash, instructions, outcome_directive, read_dockerfile
from .builds import STATUSES, TERMINAL, BuildRecord, synthetic_logs
from .config import OUTCOMES, EmulatorConfig
from .state import EmulatorState, Upload


def _finish(config: EmulatorConfig, record: BuildRecord, upload: Upload | None) -> BuildRecord:
    """Decide the build's outcome and its log lines when it is created."""
    text = None
    if upload is not None and upload.path is not None:
        text = read_dockerfile(upload.path, record.dockerfile_path)
    directive = None
    if config.outcome == "success" and text is not None:
        directive = outcome_directive(text)
    if text is not None:
        record.steps = instructions(text)
        record.crashes = asks_to_crash(text)
    if callable(config.outcome):
        outcome = config.outcome(record.render(record.created))
    else:
        outcome = directive or config.outcome
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    record.final_status = outcome
    if directive == "failed":
        record.error_message = (
            "Docker build failed: the Dockerfile asks the emulator to fail (# emulator: fail)"
        )
    source = config.log_lines
    record.log_lines = (
        list(source(record.render(record.completed))) if source else synthetic_logs(record)
    )
    return record


def find_cached(
    state: EmulatorState, context_hash: str, region: str, dockerfile_path: str, now: float
) -> BuildRecord | None:
    with state.lock:
        for record in reversed(state.builds):
            if (
                record.context_hash == context_hash
                and record.region == region
                and record.dockerfile_path == dockerfile_path
                and record.status(now) == "success"
            ):
                return record
    return None


def create_build(
    config: EmulatorConfig, state: EmulatorState, upload: Upload, dockerfile_path: str
) -> tuple[BuildRecord, bool]:
    """A cached successful build of the same context, or a new one starting now."""
    assert upload.md5 is not None and upload.size is not None
    now = time.time()
    context_hash = upload.md5[:16]
    cached = find_cached(state, context_hash, upload.region, dockerfile_path, now)
    if cached is not None:
        return cached, True
    started = now + config.pending_seconds
    record = BuildRecord(
        id=str(uuid.uuid4()),
        organization=config.organization,
        region=upload.region,
        context_hash=context_hash,
        dockerfile_path=dockerfile_path,
        context_size=upload.size,
        created=now,
        started=started,
        completed=started + config.building_seconds,
        final_status="success",
    )
    # Outside the lock: reading the Dockerfile may decompress part of a large archive.
    _finish(config, record, upload)
    with state.lock:
        state.builds.append(record)
    return record, False


def seed_build(
    config: EmulatorConfig,
    state: EmulatorState,
    *,
    context_hash: str,
    region: str,
    dockerfile_path: str,
    status: str,
    created_ago: float,
    context_size: int = 1024,
) -> BuildRecord:
    """An existing build; terminal ones stay as given, others progress from now."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    now = time.time()
    created = now - created_ago
    if status in TERMINAL:
        started, completed = created + 0.1 * created_ago, created + 0.9 * created_ago
    elif status == "building":
        started, completed = max(created, now - 1e-3), now + config.building_seconds
    else:
        started = now + config.pending_seconds
        completed = started + config.building_seconds
    record = BuildRecord(
        id=str(uuid.uuid4()),
        organization=config.organization,
        region=region,
        context_hash=context_hash,
        dockerfile_path=dockerfile_path,
        context_size=context_size,
        created=created,
        started=started,
        completed=completed,
        final_status=status,
    )
    if status in TERMINAL:
        source = config.log_lines
        record.log_lines = (
            list(source(record.render(completed))) if source else synthetic_logs(record)
        )
    else:
        _finish(config, record, None)
    with state.lock:
        state.builds.append(record)
    return record


def log_window(
    lines: list[str], limit: int, mode: str, cap: int | None, build_id: str
) -> dict[str, Any]:
    """The logs answer: at most min(limit, cap) lines, first or last, nextToken if any were cut."""
    size = min(limit, cap) if cap is not None else limit
    if len(lines) <= size:
        return {"logs": lines}
    kept = lines[:size] if mode == "first" else lines[-size:]
    token = {"buildId": build_id, "position": size if mode == "first" else len(lines) - size}
    return {
        "logs": kept,
        "nextToken": base64.b64encode(json.dumps(token).encode()).decode(),
    }
