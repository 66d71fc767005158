"""The outputs table is the one vocabulary of results: action.yml's outputs, the CLI's JSON
keys and types, `--output-env` names and the README's outputs table all follow it."""

from __future__ import annotations

import yaml

from pipecat_build.entry.cli import _typed, env_line
from pipecat_build.mode import RunMode
from pipecat_build.outputs import OUTPUTS
from tests.action_harness import ROOT


def test_action_yml_declares_exactly_the_table() -> None:
    declared = yaml.safe_load((ROOT / "action.yml").read_text())["outputs"]
    assert list(declared) == [spec.name for spec in OUTPUTS]
    for spec in OUTPUTS:
        assert declared[spec.name]["description"] == spec.description, spec.name


def test_the_readme_lists_every_output_with_the_modes_that_set_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for spec in OUTPUTS:
        row = f"| `{spec.name}` | {spec.description} | {spec.set_by} |"
        assert row in readme, f"README's outputs table needs: {row}"


def test_every_mode_sets_some_output_and_every_output_has_a_mode() -> None:
    assert all(spec.modes for spec in OUTPUTS)
    assert {mode for spec in OUTPUTS for mode in spec.modes} == set(RunMode)


def test_the_cli_types_each_output_as_the_table_says() -> None:
    samples = {"text": "x", "int": "42", "float": "7.5", "bool": "true", "json": '{"a":1}'}
    expected = {"text": "x", "int": 42, "float": 7.5, "bool": True, "json": {"a": 1}}
    for spec in OUTPUTS:
        assert _typed(spec.name, samples[spec.kind]) == expected[spec.kind], spec.name


def test_output_env_names_come_from_the_table() -> None:
    for spec in OUTPUTS:
        assert env_line(spec.name, "v") == f"{spec.env}=v"
        assert spec.env == "PIPECAT_" + spec.name.upper().replace("-", "_")
