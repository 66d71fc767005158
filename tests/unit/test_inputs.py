"""The input table is the one vocabulary: action.yml, the CLI's flags and --help, and the
messages of each front door all follow it."""

from __future__ import annotations

import yaml

from pipecat_build.errors import InputError
from pipecat_build.inputs import ACTION, CLI, INPUTS
from tests.action_harness import ROOT


def test_action_yml_declares_exactly_the_table() -> None:
    declared = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    assert list(declared) == [spec.name for spec in INPUTS]
    for spec in INPUTS:
        meta = declared[spec.name]
        assert meta["description"] == spec.help, spec.name
        assert bool(meta.get("required")) == spec.required, spec.name
        assert str(meta.get("default", "")) == spec.default, spec.name


def test_cli_help_explains_every_option_in_words() -> None:
    from pipecat_build.entry.cli import _parser

    text = " ".join(_parser().format_help().split())
    for spec in INPUTS:
        assert spec.flag in text and spec.env in text, spec.name
        # The first words of the table's help (in the CLI's words: flags, not inputs), not
        # just "action input `x`".
        assert " ".join(CLI.help(spec).split()[:4]) in text, spec.name


def test_each_front_door_names_inputs_its_own_way() -> None:
    error = InputError("secret-files", "'x' is not one of: warn, exclude, fail")
    assert error.render(ACTION.name).startswith("Input 'secret-files': ")
    assert error.render(CLI.name).startswith("--secret-files / PIPECAT_SECRET_FILES: ")
    advice = "secret-looking files would be packed; set secret-files: exclude"
    assert ACTION.speak(advice) == advice
    assert CLI.speak(advice).endswith(
        "set `--secret-files exclude` (or PIPECAT_SECRET_FILES=exclude)"
    )
    example = "expected lines such as `name: {context: folder}`"
    assert CLI.speak(example) == example


def test_the_readme_lists_every_input_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for spec in INPUTS:
        default = f"`{spec.default}`" if spec.default else "empty"
        default = "required" if spec.required else default
        assert f"| `{spec.name}` | {default} |" in readme, spec.name


def test_an_input_named_in_brackets_is_spoken_as_the_clis_flag() -> None:
    said = "image pull secret set x does not exist (image-credentials); region 'y' (from region)"
    assert CLI.speak(said) == (
        "image pull secret set x does not exist (--image-credentials / "
        "PIPECAT_IMAGE_CREDENTIALS); region 'y' (from --region / PIPECAT_REGION)"
    )
    assert ACTION.speak(said) == said
    assert CLI.speak("(from pcc-deploy.toml region) (b)") == "(from pcc-deploy.toml region) (b)"


def test_prose_that_only_looks_like_a_setting_is_left_as_it_is() -> None:
    for prose in ("cannot be used with build-id: a step builds", "hash-cache: cannot write",
                  "left out of the context: it holds a CACHEDIR.TAG"):
        assert CLI.speak(prose) == prose
    assert CLI.speak("set `delete-secret-set: true`") == (
        "set `--delete-secret-set` (or PIPECAT_DELETE_SECRET_SET=true)"
    )
