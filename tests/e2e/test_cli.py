"""`pipecat-build` as another CI system runs it: a plain subprocess, the key in the environment,
no GITHUB_* variables; progress on stderr, one JSON document on stdout, documented exit codes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipecat_cloud_emulator import Emulator, EmulatorConfig
from tests.action_harness import TEST_KEY

CLI = Path(sys.executable).with_name("pipecat-build")


@pytest.fixture
def emu() -> Iterator[Emulator]:
    config = EmulatorConfig(api_key=TEST_KEY, pending_seconds=0.05, building_seconds=0.3)
    with Emulator(config) as emulator:
        yield emulator


def plain_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "PIPECAT_"))
    }
    # The CLI remembers hashes in the user's cache: a test keeps its own.
    env.update({"PIPECAT_API_KEY": TEST_KEY, "TMPDIR": str(tmp_path),
                "XDG_CACHE_HOME": str(tmp_path / "cache"), **extra})
    return env


def cli(
    cwd: Path, env: dict[str, str], *args: str
) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [str(CLI), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert TEST_KEY not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)  # valid JSON and nothing else
    assert result["exit-code"] == done.returncode
    return done.returncode, result, done.stderr


@pytest.fixture
def project(workspace: Path, tmp_path: Path) -> Path:
    """The example agent inside a folder of a repository, run from the repository root."""
    root = tmp_path / "repo"
    shutil.copytree(workspace, root / "agent")
    return root


def test_fresh_then_cached_with_dotenv_output(
    emu: Emulator, project: Path, tmp_path: Path
) -> None:
    env = plain_env(tmp_path, PIPECAT_POLL_INTERVAL="0.1")
    code, result, stderr = cli(
        project, env, "--context", "agent", "--api-url", emu.api_url,
        "--output-env", str(tmp_path / "build.env"),
    )
    assert code == 0, stderr
    [build] = emu.builds
    assert result["image-uri"] == build["imageUri"]
    assert result["build-id"] == build["id"]
    assert result["context-hash"] == build["contextHash"]
    assert result["cached"] is False and result["status"] == "success"
    assert result["context-size-bytes"] == build["contextSizeBytes"]
    assert "errors" not in result
    # Human progress on stderr: phases and one closing line.
    assert "== Pack the build context" in stderr and "== Upload the build context" in stderr
    assert stderr.rstrip().splitlines()[-1].startswith("✅ built " + build["imageUri"])
    dotenv = dict(
        line.split("=", 1) for line in (tmp_path / "build.env").read_text().splitlines()
    )
    assert dotenv["PIPECAT_IMAGE_URI"] == build["imageUri"]
    assert dotenv["PIPECAT_BUILD_ID"] == build["id"]
    assert dotenv["PIPECAT_CACHED"] == "false"

    emu.clear_requests()
    code, again, stderr = cli(project, {**env, "PIPECAT_CONTEXT": "agent"},
                              "--api-url", emu.api_url)
    assert code == 0, stderr
    assert again["cached"] is True and again["image-uri"] == build["imageUri"]
    assert [r for r in emu.requests if r.server == "storage"] == []
    assert "POST /v1/builds" not in {f"{r.method} {r.path}" for r in emu.requests}
    assert stderr.rstrip().splitlines()[-1].startswith("✅ reused ")


def test_failed_build_exits_1_with_the_error_in_the_json(
    emu: Emulator, project: Path, tmp_path: Path
) -> None:
    emu.config.outcome = "failed"
    code, result, stderr = cli(project, plain_env(tmp_path), "--context", "agent",
                               "--api-url", emu.api_url, "--poll-interval", "0.1",
                               "--region", "us-west")
    assert code == 1
    [build] = emu.builds
    assert result["status"] == "failed" and "image-uri" not in result
    assert result["build-id"] == build["id"]
    [error] = result["errors"]
    assert build["errorMessage"] in error
    assert f"error: {build['errorMessage']}" in stderr


@pytest.mark.parametrize(
    ("args", "env", "hint"),
    [
        (["--context", "nowhere"], {}, "--context / PIPECAT_CONTEXT:"),
        (["--context", "agent"], {"PIPECAT_API_KEY": ""}, "--api-key / PIPECAT_API_KEY:"),
        (["--context", "agent", "--api-url", "http://api.example.com"], {},
         "--api-url / PIPECAT_API_URL:"),
        (["--services", "a: [", "--api-url", "http://127.0.0.1:9"], {},
         "--services / PIPECAT_SERVICES:"),
        (["--context", "agent", "--workspace", "/nonexistent/ws"], {},
         "--workspace / PIPECAT_WORKSPACE:"),
    ],
)
def test_bad_input_exits_1_with_one_error(
    project: Path, tmp_path: Path, args: list[str], env: dict[str, str], hint: str
) -> None:
    code, result, stderr = cli(project, {**plain_env(tmp_path), **env}, *args)
    assert code == 1
    [error] = result["errors"]
    assert hint in error and "\n" not in error
    assert [ln for ln in stderr.splitlines() if ln.startswith("error: ")] == [f"error: {error}"]


def test_bad_command_line_exits_2_and_writes_nothing_to_stdout(
    project: Path, tmp_path: Path
) -> None:
    done = subprocess.run([str(CLI), "--no-such-flag"], cwd=project, env=plain_env(tmp_path),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "--no-such-flag" in done.stderr


def test_plan_and_services_results_are_json_objects(
    emu: Emulator, project: Path, tmp_path: Path
) -> None:
    env = plain_env(tmp_path, PIPECAT_SERVICES="agent: {context: agent}", PIPECAT_PLAN_ONLY="1")
    code, result, stderr = cli(project, env, "--api-url", emu.api_url, "--workspace",
                               str(project))
    assert code == 0, stderr
    [leg] = result["matrix"]["include"]
    assert leg["service"] == "agent" and leg["context"] == "agent"
    assert result["images"] == {}
    assert not [r for r in emu.requests if r.server == "storage"]


def test_sigterm_while_following_exits_143_with_the_build_id(
    emu: Emulator, project: Path, tmp_path: Path
) -> None:
    emu.config.building_seconds = 30
    proc = subprocess.Popen(
        [str(CLI), "--context", "agent", "--api-url", emu.api_url, "--poll-interval", "0.1"],
        cwd=project, env=plain_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("following build"):
            break
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=20)
    assert proc.returncode == 143
    result = json.loads(stdout)
    [build] = emu.builds
    assert result["exit-code"] == 143 and result["build-id"] == build["id"]
    assert "keeps running" in result["errors"][-1]
    assert list(tmp_path.glob("pipecat-context-*")) == [], "the archive is removed"
