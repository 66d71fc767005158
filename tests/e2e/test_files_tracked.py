"""`files: tracked` end to end: a file an earlier step wrote (a `.env` from secrets) never
reaches the archive the service receives, while `files: all` (pcc deploy's behaviour) packs it."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path
from subprocess import PIPE, Popen

from pipecat_cloud_emulator import Emulator
from tests.action_harness import ENTRYPOINT, TEST_KEY, finish, runner_env

GIT = ("git", "-c", "user.name=ci", "-c", "user.email=ci@example.com")


def start_with_files(workspace: Path, runner: Path, files: str, **inputs: str) -> Popen[str]:
    """`start_action`, for the one input whose name its own parameter takes (`files`)."""
    env = runner_env(workspace, runner, {**inputs, "files": files})
    return Popen([sys.executable, str(ENTRYPOINT)], cwd=workspace, env=env, stdout=PIPE,
                 stderr=PIPE, text=True)


def received_members(emu: Emulator, context_hash: str) -> list[str]:
    """Names in the archive the storage endpoint received (and spooled) for `context_hash`."""
    with emu.state.lock:
        uploads = list(emu.state.uploads.values())
    paths = [u.path for u in uploads if u.md5 and u.md5[:16] == context_hash]
    path = paths[-1]  # the same object may be sent twice (a retry)
    assert path is not None
    with tarfile.open(path, "r:gz") as tar:
        return sorted(tar.getnames())


def test_tracked_leaves_out_a_generated_env_file_that_all_packs(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    # A .dockerignore replaces pcc deploy's default exclusions (which drop .env): with one that
    # forgets .env, only `files: tracked` keeps a generated .env out.
    (workspace / ".dockerignore").write_text("README.md\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "agent"]):
        subprocess.run([*GIT, *args], cwd=workspace, check=True, capture_output=True)
    (workspace / ".env").write_text("OPENAI_API_KEY=sk-generated-by-an-earlier-step\n")
    (workspace / "bot.py").write_text((workspace / "bot.py").read_text() + "# edited, tracked\n")

    common = {"api-key": TEST_KEY, "api-url": emulator.api_url, "poll-interval": "0.1",
              "region": "us-west"}
    tracked_proc = start_with_files(workspace, tmp_path / "tracked", "tracked", **common)
    all_proc = start_with_files(workspace, tmp_path / "all", "all", **common)
    tracked = finish(tracked_proc, tmp_path / "tracked")
    everything = finish(all_proc, tmp_path / "all")
    assert tracked.returncode == 0, tracked.log
    assert everything.returncode == 0, everything.log

    tracked_names = received_members(emulator, tracked.outputs["context-hash"])
    all_names = received_members(emulator, everything.outputs["context-hash"])
    assert ".env" in all_names
    assert ".env" not in tracked_names
    assert set(all_names) - set(tracked_names) == {".env"}
    assert "bot.py" in tracked_names, "the working copy of a tracked file is packed"
    assert not any(n == ".git" or n.startswith(".git/") for n in tracked_names + all_names)
    assert ".env" in everything.stdout, "files: all warns about the secret-looking file"
