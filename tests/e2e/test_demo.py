"""`pipecat-build demo` as a newcomer runs it: build then deploy, exit 0, the outputs printed,
and a log that reads like the runner's viewer (folded phases, human sizes, no raw workflow
commands or secrets)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pipecat_cloud_emulator.demo import DEMO_AGENT, DEMO_KEY, RunnerLog
from tests.action_harness import ROOT

CLI = Path(sys.executable).with_name("pipecat-build")


def test_demo_runs_end_to_end_and_reads_well(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(CLI), "demo", "--build-seconds", "0.2", "--deploy-seconds", "0.4"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    assert not [ln for ln in out.splitlines() if ln.lstrip().startswith("::")]
    assert DEMO_KEY not in out
    for phase in ("Pack the build context", "Look for a build to reuse",
                  "Upload the build context", "Start the build"):
        assert f"▸ {phase}" in out
    assert re.search(r"^  packed \d+ files, \d+(\.\d)? (B|KiB|MiB) -> ", out, flags=re.M)
    first, second = out.split("== second run")[0], out.split("== second run")[1]
    assert "▸ Upload the build context" not in second, "the second run uploads nothing"
    assert [ln for ln in first.splitlines() if ln.startswith("✅")][-1].startswith("✅ built ")
    assert [ln for ln in second.splitlines() if ln.startswith("✅")][-1].startswith("✅ reused ")
    # Build then deploy: the first run creates the agent and waits until the new deployment
    # serves; the second deploys the same build, which the service answers as unchanged.
    assert f"▸ Deploy to agent {DEMO_AGENT}" in first
    assert f"creating agent {DEMO_AGENT}" in first
    phases = re.findall(r"deployment \S+ is (\w+)$", first, flags=re.M)
    assert phases == ["Creating", "Validating", "Active"]
    assert f"agent {DEMO_AGENT} serves deployment" in first
    assert f"▸ Deploy to agent {DEMO_AGENT}" in second and "nothing changed" in second
    assert "is Creating" not in second
    runs = out.split("== outputs")[1].split("run 2:")
    shown = [dict(re.findall(r"^  ([a-z-]+) +(\S+)$", part, flags=re.M)) for part in runs]
    assert shown[0]["cached"] == "false" and shown[1]["cached"] == "true"
    assert shown[0]["image-uri"] == shown[1]["image-uri"]
    assert shown[0]["image-uri"].startswith("123456789012.dkr.ecr")
    assert shown[0]["agent-name"] == shown[1]["agent-name"] == DEMO_AGENT
    assert shown[0]["deploy-status"] == "ready" and shown[1]["deploy-status"] == "unchanged"
    assert shown[0]["deployment-id"] == shown[1]["deployment-id"]
    assert out.rstrip().splitlines()[-1] == (
        f"demo finished: the first run built and deployed agent {DEMO_AGENT} (ready), the "
        "second reused the build and left the deployment unchanged"
    )


def test_the_runner_log_view_masks_folds_and_labels() -> None:
    shown: list[str] = []
    log = RunnerLog(shown.append)
    for raw in [
        "::add-mask ::s3cr3t-value",
        "::group ::Upload the build context",
        "sending s3cr3t-value now",
        "::endgroup ::",
        "::debug ::hidden detail",
        "::error title=Pipecat Cloud build::it failed%0ALast log lines:%0Aline 1",
        "::warning file=agent/.env::secret-looking file",
        "plain",
    ]:
        log.feed(raw + "\n")
    assert shown == [
        "▸ Upload the build context",
        "  sending *** now",
        "Error: it failed",
        "Last log lines:",
        "line 1",
        "Warning: secret-looking file",
        "plain",
    ]
