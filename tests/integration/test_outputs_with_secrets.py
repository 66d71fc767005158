"""Outputs stay true whatever the secret set holds: common values such as `DEBUG=true`,
`REGION=us-west` or `A=2` are masked in the log, never in `cached`, `status`, `image-uri` or
`deploy-status` (issue 20 §6 review: they were `***` and `cached` read false)."""

from __future__ import annotations

from pathlib import Path

from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, run_in_process

COMMON = "DEBUG=true\nMODE=success\nREGION=us-west\nA=2\nS=ready\n"


def test_common_secret_values_leave_the_outputs_true(emulator: Emulator, workspace: Path) -> None:
    base = dict(api_key=TEST_KEY, api_url=emulator.api_url, poll_interval="0.05",
                region="us-west", agent_name="bot", secret_set="bot-env", secrets=COMMON)
    first = run_in_process(workspace, **base)
    again = run_in_process(workspace, **base)
    assert first.returncode == 0 and again.returncode == 0, again.log
    [build] = emulator.builds
    assert first.outputs["image-uri"] == build["imageUri"] and "us-west-2" in build["imageUri"]
    assert first.outputs["status"] == "success" and first.outputs["cached"] == "false"
    assert again.outputs["cached"] == "true" and again.outputs["image-uri"] == build["imageUri"]
    assert first.outputs["deploy-status"] == "ready" and again.outputs["deploy-status"] in (
        "ready", "unchanged"
    )
    assert "***" not in "".join(again.outputs.values())
