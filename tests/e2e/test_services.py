"""`services`: many images in one step, at most `max-parallel` builds at once, against the
emulator over real HTTP, run the way GitHub's runner runs the action."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipecat_cloud_emulator import Emulator, EmulatorConfig
from tests.action_harness import TEST_KEY, run_action


@pytest.fixture
def emu() -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=TEST_KEY, pending_seconds=0.05, building_seconds=0.3)
    with Emulator(config) as emulator:
        yield emulator


def make_service(root: Path, folder: str, *, dockerfile: str = "Dockerfile") -> None:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / dockerfile).write_text("FROM dailyco/pipecat-base:latest\nCOPY bot.py bot.py\n")
    (path / "bot.py").write_text(f"print('hello from {folder}')\n")


def error_lines(stdout: str) -> list[str]:
    return [ln.replace("%0A", "\n") for ln in stdout.splitlines() if ln.startswith("::error")]


class CreateWatch:
    """The emulator's `outcome` hook, called as each build is created: proves two builds run at
    once (the first two creates wait for each other) and records how many were in progress at
    each create, which is the most there ever were."""

    def __init__(self, emu: Emulator, fail_dockerfile: str) -> None:
        self.emu = emu
        self.fail_dockerfile = fail_dockerfile
        self.lock = threading.Lock()
        self.inside = 0
        self.calls = 0
        self.peaks: list[int] = []
        self.meet = threading.Barrier(2, timeout=15)

    def __call__(self, build: dict[str, Any]) -> str:
        with self.lock:
            self.inside += 1
            self.calls += 1
            first_two = self.calls <= 2
            running = [b for b in self.emu.builds if b["status"] in ("pending", "building")]
            self.peaks.append(len(running) + self.inside)
        try:
            if first_two:
                self.meet.wait()  # raises (500 to the client) if builds ran one by one
        finally:
            with self.lock:
                self.inside -= 1
        return "failed" if build["dockerfilePath"] == self.fail_dockerfile else "success"


def test_services_build_concurrently_within_max_parallel_and_one_failure_waits_for_the_rest(
    emu: Emulator, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    for name in ("alpha", "bravo", "delta"):
        make_service(workspace, f"services/{name}")
    make_service(workspace, "services/charlie", dockerfile="Dockerfile.broken")
    watch = CreateWatch(emu, fail_dockerfile="Dockerfile.broken")
    emu.config.outcome = watch
    services = (
        "alpha: {context: services/alpha}\n"
        "bravo: {context: services/bravo}\n"
        "charlie: {context: services/charlie, dockerfile: Dockerfile.broken}\n"
        "delta: {context: services/delta}\n"
    )
    run = run_action(
        workspace, tmp_path / "runner", api_key=TEST_KEY, api_url=emu.api_url,
        services=services, max_parallel="2", poll_interval="0.1",
    )

    assert run.returncode == 1, run.log
    assert watch.calls == 4, "every service got its build, the failed one included"
    assert max(watch.peaks) == 2, watch.peaks

    builds = {b["dockerfilePath"] + ":" + b["contextHash"]: b for b in emu.builds}
    successes = [b for b in builds.values() if b["status"] == "success"]
    [failed] = [b for b in builds.values() if b["status"] == "failed"]
    assert len(successes) == 3

    images = json.loads(run.outputs["images"])
    assert set(images) == {"alpha", "bravo", "delta"}
    assert sorted(images.values()) == sorted(b["imageUri"] for b in successes)

    [error] = error_lines(run.stdout)
    assert "charlie" in error and failed["id"] in error and failed["errorMessage"] in error

    # Every line of a service's own work carries its name.
    for build in emu.builds:
        name = next(n for n, uri in images.items() if uri == build.get("imageUri")) if (
            build["status"] == "success"
        ) else "charlie"
        lines = [ln for ln in run.plain_lines() if build["contextHash"] in ln]
        assert lines and all(ln.startswith(f"[{name}] ") for ln in lines), lines
    log_lines = [ln for ln in run.plain_lines() if "[Container]" in ln]
    assert log_lines and all(re.match(r"^\[(alpha|bravo|charlie|delta)\] \[Container\]", ln)
                             for ln in log_lines)
    assert run.plain_lines()[-1] == "❌ 4 services: 3 built, 0 reused, 1 failed"

    for name in ("alpha", "bravo", "charlie", "delta"):
        assert re.search(rf"^\| {name} \| ", run.summary, flags=re.M), run.summary
    assert re.search(r"^\| charlie \| ❌ failed \|", run.summary, flags=re.M)
    assert "Traceback" not in run.log


def test_unchanged_services_are_reused_with_one_request_each(
    emu: Emulator, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    make_service(workspace, "agents/voice")
    make_service(workspace, "agents/chat", dockerfile="Dockerfile.prod")
    make_service(workspace, "agents/worker")
    (workspace / "ci").mkdir()
    (workspace / "ci/pipecat.yml").write_text(
        "services:\n"
        "  voice: agents/voice\n"
        "  chat: {context: agents/chat, dockerfile: Dockerfile.prod, region: eu-central}\n"
        "  worker:\n"
        "    context: agents/worker\n"
    )
    first = run_action(
        workspace, tmp_path / "first", api_key=TEST_KEY, api_url=emu.api_url,
        services="ci/pipecat.yml", region="us-west", poll_interval="0.1",
    )
    assert first.returncode == 0, first.log
    by_region = {(b["region"], b["dockerfilePath"]) for b in emu.builds}
    assert by_region == {("us-west", "Dockerfile"), ("eu-central", "Dockerfile.prod")}
    assert len(emu.builds) == 3
    first_images = json.loads(first.outputs["images"])
    assert first.plain_lines()[-1] == "✅ 3 services: 3 built, 0 reused"

    (workspace / "agents/chat/bot.py").write_text("print('changed')\n")
    emu.clear_requests()
    second = run_action(
        workspace, tmp_path / "second", api_key=TEST_KEY, api_url=emu.api_url,
        services="ci/pipecat.yml", region="us-west", poll_interval="0.1",
    )
    assert second.returncode == 0, second.log
    images = json.loads(second.outputs["images"])
    assert images["voice"] == first_images["voice"]
    assert images["worker"] == first_images["worker"]
    assert images["chat"] != first_images["chat"]

    api = [r for r in emu.requests if r.server == "api"]
    assert len([r for r in emu.requests if r.server == "storage"]) == 1, "only chat uploads"
    assert [r.method + " " + r.path for r in api].count("POST /v1/builds") == 1
    for name in ("voice", "worker"):
        context_hash = images[name].rsplit(":", 1)[1]
        asked = [r for r in api if r.query.get("contextHash") == [context_hash]]
        assert len(asked) == 1, f"{name}: reused with one request"
    assert second.plain_lines()[-1] == "✅ 3 services: 1 built, 2 reused"
    assert re.search(r"^\| voice \| ✅ success \|.*\| yes \|", second.summary, flags=re.M)


@pytest.mark.parametrize(
    ("services", "hint"),
    [
        ("voice: {context: agents/voice\n", "not valid YAML"),
        ("voice: {context: nowhere}", "service 'voice': folder 'nowhere' does not exist"),
    ],
)
def test_bad_services_fail_before_any_request_in_one_line(
    emu: Emulator, tmp_path: Path, services: str, hint: str
) -> None:
    workspace = tmp_path / "ws"
    make_service(workspace, "agents/voice")
    run = run_action(workspace, tmp_path / "runner", api_key=TEST_KEY, api_url=emu.api_url,
                     services=services)
    assert run.returncode == 1
    [error] = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert "%0A" not in error and "Input 'services'" in error and hint in error
    assert emu.requests == []
    assert "Traceback" not in run.log
