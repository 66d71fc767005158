"""The other-CI recipes as users copy them (issue 22).

The GitLab pipelines live as files under examples/gitlab/, which the container stage runs
with gitlab-ci-local (tests/container/recipes.py); the documentation must show exactly those
files, so what a reader copies is what CI ran. Every recipe must get `pipecat-build` in a way
that works on the image it names: the action's released image with its entrypoint cleared,
or PyPI, never `pip install "git+https://..."` on an image without git. Offline, fast.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GITLAB = ROOT / "examples" / "gitlab"
COMPONENT = ROOT / "templates" / "pipecat-build" / "template.yml"
PIPELINES = ROOT / "docs" / "pipelines.md"
README = ROOT / "README.md"
RELEASED_IMAGE = "ghcr.io/owner/repo:v1"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def _section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(heading)
    level = heading.split(" ")[0]
    rest = text[start + len(heading):]
    end = re.search(rf"^{level} ", rest, re.M)
    return rest[: end.start()] if end else rest


def _recipes() -> list[Path]:
    return sorted(GITLAB.glob("*.gitlab-ci.yml"))


def test_the_three_gitlab_recipes_exist() -> None:
    names = {p.name for p in _recipes()}
    assert names == {
        "build.gitlab-ci.yml",
        "build-and-deploy.gitlab-ci.yml",
        "plan-child-pipeline.gitlab-ci.yml",
    }


@pytest.mark.parametrize("recipe", _recipes(), ids=lambda p: p.name)
def test_docs_show_each_gitlab_recipe_exactly(recipe: Path) -> None:
    text = recipe.read_text(encoding="utf-8")
    assert text in _blocks(PIPELINES.read_text(encoding="utf-8"), "yaml"), (
        f"docs/pipelines.md must show {recipe.name} verbatim in a ```yaml block"
    )


def test_every_gitlab_block_in_the_docs_is_a_recipe_file_or_the_component_use() -> None:
    """A GitLab job shown in the docs that is not a tested file would be untested advice."""
    files = {p.read_text(encoding="utf-8") for p in _recipes()}
    gitlab_sections = [
        _section(PIPELINES, "### GitLab CI\n"),
        _section(README, "## Other CI systems\n"),
    ]
    for section in gitlab_sections:
        for body in _blocks(section, "yaml"):
            document = yaml.safe_load(body)
            if "steps" in document:  # Buildkite
                continue
            assert body in files, f"a GitLab pipeline in the docs is not a file:\n{body}"


def test_readme_shows_the_build_recipe() -> None:
    section = _section(README, "## Other CI systems\n")
    assert (GITLAB / "build.gitlab-ci.yml").read_text(encoding="utf-8") in section


def _jobs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    reserved = {"stages", "variables", "include", "default", "workflow", "spec"}
    return {k: v for k, v in document.items() if k not in reserved and isinstance(v, dict)}


@pytest.mark.parametrize("recipe", _recipes(), ids=lambda p: p.name)
def test_gitlab_jobs_that_call_the_cli_run_in_the_released_image(recipe: Path) -> None:
    """python:3.12-slim has no git and no pipecat-build; the action's image has the CLI, but
    its entrypoint is the GitHub action's, so a job must clear it."""
    document = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    calling = 0
    for name, job in _jobs(document).items():
        script = "\n".join(job.get("script") or [])
        if "pipecat-build" not in script:
            continue
        calling += 1
        assert job.get("image") == {"name": RELEASED_IMAGE, "entrypoint": [""]}, (
            f"{recipe.name} job {name}: image {job.get('image')!r}"
        )
        assert "pip install" not in script, f"{recipe.name} job {name} installs at run time"
    assert calling, f"{recipe.name}: no job calls pipecat-build"


def test_the_child_pipeline_jobs_use_the_released_image_too() -> None:
    text = (GITLAB / "plan-child-pipeline.gitlab-ci.yml").read_text(encoding="utf-8")
    assert f'image = {{"name": "{RELEASED_IMAGE}", "entrypoint": [""]}}' in text


def test_no_recipe_installs_from_git() -> None:
    for path in [README, PIPELINES, *_recipes(), COMPONENT]:
        for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) or [("", "")]:
            assert "git+https" not in body, f"{path.name}: a recipe installs from git ({lang})"
        if path.suffix == ".yml":
            assert "git+https" not in path.read_text(encoding="utf-8"), path.name


def test_buildkite_installs_from_pypi_and_jenkins_runs_in_the_image() -> None:
    buildkite = yaml.safe_load(_blocks(_section(PIPELINES, "### Buildkite\n"), "yaml")[0])
    command = buildkite["steps"][0]["command"]
    assert "pip install --quiet pipecat-build" in command
    assert "pipecat-build --context agent" in command
    groovy = "".join(_blocks(_section(PIPELINES, "### Jenkins\n"), "groovy"))
    assert f"image '{RELEASED_IMAGE}'" in groovy
    assert "args '--entrypoint='" in groovy
    assert re.search(r"^\s*sh 'pipecat-build ", groovy, re.M)


def test_component_declares_its_inputs_and_uses_the_released_image() -> None:
    header, body = COMPONENT.read_text(encoding="utf-8").split("\n---\n", 1)
    spec = yaml.safe_load(header)["spec"]["inputs"]
    for name in ("job-name", "stage", "image", "context", "dockerfile", "region",
                 "agent-name", "secret-set", "secrets-file", "hash-cache", "result-file"):
        assert name in spec, f"input {name} missing"
        assert "default" in spec[name] and spec[name].get("description"), name
        assert f"$[[ inputs.{name} ]]" in body, f"input {name} is declared but never used"
    assert spec["image"]["default"] == RELEASED_IMAGE
    used = set(re.findall(r"\$\[\[ inputs\.([\w-]+) \]\]", body))
    assert used <= set(spec), f"undeclared inputs used: {used - set(spec)}"
    assert "PIPECAT_API_KEY" not in spec, "the key must never be an input"


def test_docs_list_every_component_input() -> None:
    header = COMPONENT.read_text(encoding="utf-8").split("\n---\n", 1)[0]
    section = _section(PIPELINES, "### GitLab CI/CD component\n")
    for name in yaml.safe_load(header)["spec"]["inputs"]:
        assert f"`{name}`" in section, f"docs/pipelines.md does not describe input {name}"


def _check_jsonschema() -> str:
    beside = Path(sys.executable).parent / "check-jsonschema"
    found = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    if found is None:
        pytest.fail("check-jsonschema is not installed (it is a test dependency)")
    return found


def test_gitlab_files_match_gitlab_ci_schema(tmp_path: Path) -> None:
    """GitLab's own CI schema (vendored by check-jsonschema, offline). The component's job is
    the document after its `spec:` header."""
    body = COMPONENT.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    component_job = tmp_path / "component-job.yml"
    component_job.write_text(body, encoding="utf-8")
    result = subprocess.run(
        [_check_jsonschema(), "--builtin-schema", "vendor.gitlab-ci",
         *map(str, _recipes()), str(component_job)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
