"""The job summary of a real run, as the runner's page shows it."""

from __future__ import annotations

from pathlib import Path

import markdown_it

from pipecat_cloud_emulator import Emulator
from tests.action_harness import TEST_KEY, run_action
from tests.unit.report.test_summary import tables


def test_a_real_runs_job_summary_renders(emulator: Emulator, workspace: Path, files: Path) -> None:
    run = run_action(workspace, files, api_key=TEST_KEY, api_url=emulator.api_url,
                     poll_interval="0.1", region="us-west")
    assert run.returncode == 0, run.log
    [build] = emulator.builds
    rendered = tables(run.summary)
    rows = dict((r[0], r[1]) for r in rendered[0][1:])
    assert rows["Image URI"] == build["imageUri"]
    assert rows["Build id"] == build["id"]
    assert rows["Context hash"] == build["contextHash"]
    assert rows["Region"] == "us-west"
    assert all(len(set(map(len, table))) == 1 for table in rendered), "every row as wide"
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(run.summary)
    assert "|" not in html.replace("\\|", ""), "no table syntax left unrendered"
