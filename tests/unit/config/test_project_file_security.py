"""Issue 20 §10: a pcc-deploy.toml that is a symbolic link out of the workspace is refused
(reading it could read any file of the runner); one linked inside the workspace is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.config.project_file import load_project_file
from pipecat_build.config.settings import build_settings
from pipecat_build.errors import InputError


def test_a_project_file_linked_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "Dockerfile").write_text("FROM scratch\n")
    outside = tmp_path / "runner-secret.toml"
    outside.write_text('agent_name = "stolen"\n')
    (workspace / "pcc-deploy.toml").symlink_to(outside)
    with pytest.raises(InputError) as caught:
        build_settings({"api-key": "pk_live_1234"}, workspace)
    assert caught.value.is_file and "symbolic link" in str(caught.value)
    with pytest.raises(InputError):
        load_project_file(workspace, workspace)


def test_a_project_file_linked_inside_the_workspace_is_read(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "agent").mkdir(parents=True)
    (workspace / "shared.toml").write_text('region = "eu-central"\n')
    (workspace / "agent" / "pcc-deploy.toml").symlink_to(workspace / "shared.toml")
    project = load_project_file(workspace / "agent", workspace)
    assert project is not None and project.region == "eu-central"
