"""Issue 19 §2: a build run names the pcc-deploy.toml keys it accepts but does not act on (the
starter template's placeholder `image`, `build_id`, `image_credentials`, [docker])."""

from __future__ import annotations

from pathlib import Path

from pipecat_build.config.project_file import ProjectFile
from pipecat_build.config.targets import DeploySpec, Target
from pipecat_build.flow.project_notes import project_notices


def target(project: ProjectFile | None, deploy: DeploySpec | None = None) -> Target:
    return Target("", Path("/ws"), "Dockerfile", None, project=project, deploy=deploy)


def project(**fields: object) -> ProjectFile:
    return ProjectFile(Path("/ws/pcc-deploy.toml"), None, ".", None, (), **fields)  # type: ignore[arg-type]


def test_no_file_or_nothing_unused_says_nothing() -> None:
    assert project_notices(target(None)) == []
    assert project_notices(target(project(agent_name="a", secret_set="s"))) == []


def test_a_placeholder_image_is_named_and_the_build_deployed_instead() -> None:
    [note] = project_notices(target(project(image="you/bot:0.1"), DeploySpec(agent="bot")))
    assert "image = 'you/bot:0.1' is not used" in note
    assert "builds this folder and deploys that build" in note
    assert "remove image" in note
    [build_only] = project_notices(target(project(image="you/bot:0.1")))
    assert "this action builds this folder (" in build_only


def test_build_id_credentials_and_unused_tables_are_each_named() -> None:
    notes = project_notices(
        target(project(build_id="b-1", image_credentials="hub", unused=("[docker] x",)))
    )
    assert len(notes) == 3
    assert "build_id = 'b-1' is not used" in notes[0]
    assert "image_credentials = 'hub' is not used" in notes[1]
    assert "[docker] x not used" in notes[2] and "pcc docker build-push" in notes[2]



def test_unknown_build_keys_are_named_without_a_word_about_docker() -> None:
    [note] = project_notices(target(project(unused=("[build] bogus", "[build.exclude] other"))))
    assert "[build] bogus, [build.exclude] other not used" in note
    assert "docker" not in note
