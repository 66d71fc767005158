"""Issue 20 §5 end to end (in process, against the emulator): a hostile imageUri never becomes
the `image-uri` output, and the run fails naming the build (the summary's escaping of server
text: tests/unit/report/test_summary_security.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_cloud_emulator import Emulator
from pipecat_cloud_emulator.builds import BuildRecord
from tests.action_harness import TEST_KEY, run_in_process

HOSTILE_URI = 'x"; touch /tmp/pwned-by-image-uri; echo "'


def test_a_hostile_image_uri_never_reaches_the_outputs(
    emulator: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BuildRecord, "image_uri", lambda self: HOSTILE_URI)
    run = run_in_process(workspace, api_key=TEST_KEY, api_url=emulator.api_url,
                         poll_interval="0.05")
    assert run.returncode == 1
    assert "image-uri" not in run.outputs
    assert all(HOSTILE_URI not in value for value in run.outputs.values())
    [build] = emulator.builds
    assert f"build {build['id']}" in run.log and "not a container image reference" in run.log

