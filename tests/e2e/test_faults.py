"""The flow against an unreliable API and storage: every fault kind, lost create answers, a long
poll through outages, and the 30% mix. Real HTTP to the emulator; runs mostly in-process
(`main.action`, the flow the entrypoint calls) to stay fast, some through the entrypoint."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator, Fault
from tests.action_harness import TEST_KEY, InProcessRun, run_action, run_in_process

IDEMPOTENT = (
    "GET /v1/properties",
    "GET /v1/builds",
    "POST /v1/builds/upload-url",
    "GET /v1/builds/{id}",
)


@pytest.fixture(autouse=True)
def _quick(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Short builds and a short read timeout, so stalls and outages cost little wall time."""
    emulator.config.pending_seconds = 0.05
    emulator.config.building_seconds = 0.2
    monkeypatch.setenv("PIPECAT_BUILD_HTTP_TIMEOUT", "0.5")


def build_in_process(emulator: Emulator, workspace: Path, **inputs: str) -> InProcessRun:
    base = {"api_key": TEST_KEY, "api_url": emulator.api_url, "poll_interval": "0.1"}
    return run_in_process(workspace, **{**base, **inputs})


def assert_built_once(emulator: Emulator, run: InProcessRun) -> dict[str, object]:
    assert run.returncode == 0, run.log
    [build] = emulator.builds
    assert run.outputs["image-uri"] == build["imageUri"]
    assert run.outputs["build-id"] == build["id"]
    return build


def requests_to(emulator: Emulator, server: str) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests if r.server == server]


def stall_until(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, condition: Callable[[], Callable[[], bool]]
) -> None:
    """Injected stalls end when a condition holds instead of after a fixed time, so a test
    states what it waits for and a slow machine cannot reorder events. `condition()` is
    called when a stall begins and returns the predicate that ends it. The deadline only
    keeps a broken client from hanging the suite."""
    original = emulator.backend.wait_stopped

    def wait_stopped(seconds: float) -> bool:
        done, ends = condition(), time.monotonic() + 60
        while not done() and time.monotonic() < ends:
            if original(0.01):
                return True
        return False

    monkeypatch.setattr(emulator.backend, "wait_stopped", wait_stopped)


# -- idempotent calls ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kinds", [("500", "502", "503", "429"), ("reset", "lost", "non_json", "truncated")]
)
def test_idempotent_calls_are_retried_through_each_fault_kind(
    emulator: Emulator, workspace: Path, kinds: tuple[str, ...]
) -> None:
    # Every idempotent endpoint meets every kind of the group, one after the other.
    for kind in kinds:
        for endpoint in IDEMPOTENT:
            emulator.inject(Fault(kind, endpoint, retry_after=0.1))
    run = build_in_process(emulator, workspace)
    assert emulator.faults.pending() == [], "every injected fault met a request"
    assert_built_once(emulator, run)
    assert "retrying in" in run.log


def test_a_stall_shorter_than_the_read_timeout_is_just_slow(
    emulator: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read timeout fifty times the stall: only a client that gave up early would retry.
    monkeypatch.setenv("PIPECAT_BUILD_HTTP_TIMEOUT", "10")
    for endpoint in IDEMPOTENT:
        emulator.inject(Fault("stall", endpoint, stall_seconds=0.2))
    run = build_in_process(emulator, workspace)
    assert_built_once(emulator, run)
    assert "retrying" not in run.log
    assert requests_to(emulator, "api").count("GET /v1/properties") == 1


def test_a_stall_past_the_read_timeout_is_retried(emulator: Emulator, workspace: Path) -> None:
    # Sixty times the read timeout (0.5 s): only the client giving up ends it in time.
    emulator.inject(Fault("stall", "GET /v1/properties", stall_seconds=30))
    run = build_in_process(emulator, workspace)
    assert_built_once(emulator, run)
    assert "timed out" in run.log
    # The emulator records a request when it answers: the stalled one never was, the retry was.
    assert requests_to(emulator, "api").count("GET /v1/properties") == 1


def test_an_outage_longer_than_the_retry_budget_fails_in_one_line_naming_the_call(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.inject(Fault("503", "POST /v1/builds/upload-url", count=1000))
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     region="us-west", retry_budget="1")
    assert run.returncode == 1
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "upload URL" in error and "503" in error
    assert "Traceback" not in run.log
    assert emulator.builds == []
    assert run.files == []


# -- the upload ------------------------------------------------------------------------------


def test_the_upload_is_sent_again_after_storage_faults(
    emulator: Emulator, workspace: Path
) -> None:
    for kind in ("500", "503", "reset", "lost"):
        emulator.inject(Fault(kind, "POST storage", retry_after=0.1))
    run = build_in_process(emulator, workspace, region="us-west")
    assert_built_once(emulator, run)
    uploads = [r for r in emulator.requests if r.server == "storage"]
    assert [r.status for r in uploads] == [500, 503, "reset", "reset", 204]
    assert len(emulator.uploads) == 1, "the same URL is used again while it is valid"
    assert "upload: storage refused the upload (HTTP 500" in run.log and "retrying in" in run.log


def test_an_expired_upload_url_is_replaced(
    emulator: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Storage answers only once the URL's 1 s of validity is over: S3 says "Policy expired".
    emulator.config.upload_expiry_seconds = 1.0

    def expired() -> Callable[[], bool]:
        latest = max(upload.expires for upload in emulator.state.uploads.values())
        return lambda: time.time() > latest + 0.01

    stall_until(emulator, monkeypatch, expired)
    emulator.inject(Fault("stall", "POST storage"))
    run = build_in_process(emulator, workspace, region="us-west")
    assert_built_once(emulator, run)
    uploads = [r for r in emulator.requests if r.server == "storage"]
    assert [r.status for r in uploads] == [403, 204]
    assert dict(uploads[0].form_fields)["key"] != dict(uploads[1].form_fields)["key"]
    assert "AccessDenied" in run.log and "Policy expired" in run.log
    assert requests_to(emulator, "api").count("POST /v1/builds/upload-url") == 2


def test_an_upload_url_about_to_expire_is_replaced_before_sending(
    emulator: Emulator, workspace: Path
) -> None:
    # Storage asks to wait 0.7 s; by then less than half of the URL's 1.2 s is left.
    emulator.config.upload_expiry_seconds = 1.2
    emulator.inject(Fault("429", "POST storage", retry_after=0.7))
    run = build_in_process(emulator, workspace, region="us-west")
    assert_built_once(emulator, run)
    uploads = [r for r in emulator.requests if r.server == "storage"]
    assert [r.status for r in uploads] == [429, 204]
    [first, second] = emulator.uploads.values()
    assert first["size"] is None and second["size"] == int(run.outputs["context-size-bytes"])
    assert "about to expire" in run.log


def test_a_storage_refusal_is_reported_with_its_code_and_message_and_not_resent(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.config.max_upload_bytes = 100
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     region="us-west")
    assert run.returncode == 1
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "EntityTooLarge" in error
    assert "Your proposed upload exceeds the maximum allowed size" in error
    assert len([r for r in emulator.requests if r.server == "storage"]) == 1
    assert emulator.builds == []


def test_a_web_page_instead_of_the_storage_answer_is_not_taken_for_success(
    emulator: Emulator, workspace: Path
) -> None:
    emulator.inject(Fault("non_json", "POST storage"))
    run = build_in_process(emulator, workspace, region="us-west")
    assert_built_once(emulator, run)
    assert len([r for r in emulator.requests if r.server == "storage"]) == 2


# -- creating the build ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lost", "truncated", "500", "502", "429", "reset"])
def test_a_lost_create_answer_ends_with_exactly_one_build(
    emulator: Emulator, workspace: Path, kind: str
) -> None:
    emulator.inject(Fault(kind, "POST /v1/builds", retry_after=0.1))
    run = build_in_process(emulator, workspace, region="us-west")
    assert_built_once(emulator, run)
    assert "checking whether the build was created anyway" in run.log
    creates = requests_to(emulator, "api").count("POST /v1/builds")
    if kind in ("lost", "truncated"):  # processed: the build is found and adopted
        assert creates == 1 and "adopting it" in run.log
    else:  # refused before processing: nothing found, created again
        assert creates == 2


def test_a_create_answer_later_than_the_read_timeout_is_awaited_not_duplicated(
    emulator: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service creates the build only after the client gave up waiting for the answer
    # (read timeout) and began looking for it: the look must wait for it, not create again.
    monkeypatch.setenv("PIPECAT_BUILD_HTTP_TIMEOUT", "1.0")

    def client_looks() -> Callable[[], bool]:
        before = requests_to(emulator, "api").count("GET /v1/builds")
        return lambda: requests_to(emulator, "api").count("GET /v1/builds") > before

    stall_until(emulator, monkeypatch, client_looks)
    emulator.inject(Fault("stall", "POST /v1/builds"))
    run = build_in_process(emulator, workspace, region="us-west")
    assert_built_once(emulator, run)
    assert "adopting it" in run.log
    assert requests_to(emulator, "api").count("POST /v1/builds") == 1


def test_a_lost_create_through_the_entrypoint(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.inject(Fault("lost", "POST /v1/builds"))
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     region="us-west", poll_interval="0.1")
    assert run.returncode == 0, run.log
    [build] = emulator.builds
    assert run.outputs["image-uri"] == build["imageUri"]
    assert run.outputs["build-id"] == build["id"]


def test_an_old_failed_build_of_the_context_is_not_adopted(
    emulator: Emulator, workspace: Path
) -> None:
    first = build_in_process(emulator, workspace, region="us-west")
    emulator.state.builds.clear()
    old = emulator.add_build(first.outputs["context-hash"], status="failed", created_ago=3600)
    emulator.inject(Fault("500", "POST /v1/builds"))
    run = build_in_process(emulator, workspace, region="us-west")
    assert run.returncode == 0, run.log
    assert run.outputs["build-id"] != old["id"]
    assert len(emulator.builds) == 2


# -- following the build ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    ["GET /v1/properties", "GET /v1/builds", "POST /v1/builds/upload-url", "GET /v1/builds/{id}"],
)
def test_every_step_rides_out_more_failures_than_a_count_of_attempts_would(
    emulator: Emulator, workspace: Path, endpoint: str
) -> None:
    # 10 failures in a row: more than the 8 attempts one call used to get. The budget is
    # time (retry-budget), the same at every step, so an outage costs time, not the build.
    emulator.inject(Fault("503", endpoint, count=10))
    run = build_in_process(emulator, workspace)
    assert_built_once(emulator, run)
    assert "HTTP 503; retrying in" in run.log and "retry-budget left" in run.log


def test_only_a_streak_of_failed_polls_ends_the_wait_naming_the_build(
    emulator: Emulator, workspace: Path, files: Path
) -> None:
    emulator.inject(Fault("500", "GET /v1/builds/{id}", count=10_000))
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     region="us-west", poll_interval="0.1", retry_budget="1")
    assert run.returncode == 1
    [build] = emulator.builds
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert build["id"] in error and "lost contact" in error
    assert "still be running" in error
    assert run.outputs["build-id"] == build["id"]
    assert "image-uri" not in run.outputs
    assert "Traceback" not in run.log


@pytest.mark.parametrize("outcome", ["success", "failed"])
def test_log_fetch_failures_never_decide_the_outcome(
    emulator: Emulator, workspace: Path, outcome: str
) -> None:
    emulator.config.outcome = outcome
    emulator.inject(Fault("500", "GET /v1/builds/{id}/logs", count=10_000))
    run = build_in_process(emulator, workspace, region="us-west")
    [build] = emulator.builds
    assert run.outputs["status"] == build["status"] == outcome
    assert run.returncode == (0 if outcome == "success" else 1)
    if outcome == "success":
        assert run.outputs["image-uri"] == build["imageUri"]
    else:
        assert "image-uri" not in run.outputs and build["errorMessage"] in run.log
    assert "could not read the build log" in run.log


# -- the 30% target --------------------------------------------------------------------------


def test_twenty_runs_with_thirty_percent_of_api_requests_failing(
    emulator: Emulator, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPECAT_BUILD_HTTP_TIMEOUT", "1.0")
    config = emulator.config
    config.fault_rate = 0.3
    config.fault_kinds = ("500", "503", "429", "reset", "lost", "stall")
    config.fault_retry_after = 0.1
    config.fault_stall_seconds = 0.2
    config.fault_seed = 20
    contexts = []
    for n in range(5):
        folder = tmp_path / f"context-{n}"
        shutil.copytree(workspace, folder)
        (folder / "variant.txt").write_text(f"variant {n}\n")
        contexts.append(folder)
    order = [0, 1, 0, 2, 3, 1, 4, 0, 2, 3, 4, 1, 0, 2, 3, 4, 1, 0, 2, 4]
    through_entrypoint = {2, 6, 11, 17}
    seen: dict[int, set[tuple[str, str]]] = {}
    for step, n in enumerate(order):
        inputs = {"api_key": TEST_KEY, "api_url": emulator.api_url, "poll_interval": "0.1"}
        if step in through_entrypoint:
            full = run_action(contexts[n], tmp_path / f"runner-{step}", **inputs)
            code, outputs, log = full.returncode, full.outputs, full.log
        else:
            quick = run_in_process(contexts[n], **inputs)
            code, outputs, log = quick.returncode, quick.outputs, quick.log
        assert code == 0, f"run {step} (context {n}):\n{log}"
        seen.setdefault(n, set()).add((outputs["context-hash"], outputs["image-uri"]))
    api = [r for r in emulator.requests if r.server == "api"]
    faulted = Counter(r.status for r in api if r.status not in (200, 201))
    assert sum(faulted.values()) >= 0.15 * len(api), faulted  # the mix really happened
    builds = emulator.builds
    per_hash = Counter(b["contextHash"] for b in builds)
    assert len(per_hash) == len(contexts) and set(per_hash.values()) == {1}, per_hash
    image_of = {b["contextHash"]: b["imageUri"] for b in builds}
    for n, results in seen.items():
        [(context_hash, image_uri)] = results  # every run of a context: one hash, one image
        assert image_of[context_hash] == image_uri, n
