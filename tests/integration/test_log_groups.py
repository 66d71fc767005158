"""Issue 19 §6 and §2, in process against the emulator: what the log says, under which heading.
The resolved "context / Dockerfile / region (from ...)" line is in the pack group; on a
hash-cache hit that still needs an upload, the archive's "context hash" line is under its own
"Compress" heading, not under the upload's; a placeholder `image` in pcc-deploy.toml is named
in a notice in the pack group, and the build is what gets deployed."""

from __future__ import annotations

import json
from pathlib import Path

from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, run_in_process


def groups(log: str) -> dict[str, list[str]]:
    """Each `== heading` of the console log with the lines under it."""
    found: dict[str, list[str]] = {}
    current: list[str] = found.setdefault("", [])
    for line in log.splitlines():
        if line.startswith("== "):
            current = found.setdefault(line[3:], [])
        else:
            current.append(line)
    return found


def test_a_remembered_hash_is_not_shown_under_the_upload_heading(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    common = {"api_key": TEST_KEY, "api_url": emulator.api_url, "poll_interval": "0.05",
              "hash_cache": str(tmp_path / "cache")}
    first = run_in_process(workspace, **common)
    assert first.returncode == 0, first.log
    again = run_in_process(workspace, force="true", **common)  # a hit, and an upload
    assert again.returncode == 0, again.log
    by_heading = groups(again.log)
    pack = by_heading["Pack the build context"]
    assert any("remembered context hash" in line for line in pack)
    assert any(line.startswith("context . (from context)") for line in pack)
    assert any("context hash" in line for line in by_heading["Compress the build context"])
    assert not any("context hash" in line for line in by_heading["Upload the build context"])


def test_a_placeholder_image_is_named_and_the_build_is_deployed(
    emulator: Emulator, workspace: Path
) -> None:
    (workspace / "pcc-deploy.toml").write_text(
        'agent_name = "starter"\nimage = "your_username/starter:0.1"\n'
    )
    run = run_in_process(workspace, api_key=TEST_KEY, api_url=emulator.api_url,
                         poll_interval="0.05", deploy="true")
    assert run.returncode == 0, run.log
    [note] = [ln for ln in groups(run.log)["Pack the build context"] if ln.startswith("note:")]
    assert "image = 'your_username/starter:0.1' is not used" in note
    assert "builds this folder and deploys that build" in note
    [created] = [json.loads(r.body) for r in emulator.requests
                 if r.server == "api" and r.method == "POST" and r.path == "/v1/agents"]
    assert created["buildId"] == run.outputs["build-id"] and "image" not in created
