"""Issue 19 §5: the CLI as a command-line user expects it. Every boolean option switches both
ways (`--x`, `--no-x`, `--x=false`, `--x false`); `--help` and errors speak flags and
variables, never the action's words; `--output-env` quotes only what needs quoting, and
numbers read as in the JSON result."""

from __future__ import annotations

import shlex

import pytest

from pipecat_build.entry.cli import _inputs, _parser, _typed, env_line
from pipecat_build.inputs import CLI, INPUTS
from pipecat_build.outputs import OUTPUTS

BOOLS = [spec for spec in INPUTS if spec.kind == "bool"]


def parsed(*argv: str) -> dict[str, str]:
    return _inputs(_parser().parse_args(list(argv)))


@pytest.mark.parametrize("spec", BOOLS, ids=lambda spec: spec.name)
@pytest.mark.parametrize(
    ("argv", "value"),
    [
        (["{flag}"], "true"),
        (["--no-{name}"], "false"),
        (["{flag}=false"], "false"),
        (["{flag}=true"], "true"),
        (["{flag}", "false"], "false"),
        (["{flag}", "no"], "false"),
        (["{flag}=On"], "true"),
    ],
)
def test_every_boolean_switches_both_ways(
    spec: object, argv: list[str], value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, flag = spec.name, spec.flag  # type: ignore[attr-defined]
    monkeypatch.setenv(spec.env, "true" if value == "false" else "false")  # type: ignore[attr-defined]
    args = [a.format(flag=flag, name=name) for a in argv]
    assert parsed(*args)[name] == value, "a flag wins over its variable"


def test_an_unset_boolean_falls_back_to_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPECAT_WAIT_FOR_READY", "false")
    assert parsed()["wait-for-ready"] == "false"
    assert parsed("--region", "us-west", "--force")["force"] == "true"


@pytest.mark.parametrize("argv", [["--force=maybe"], ["--no-force=1"], ["--force", "later"]])
def test_a_boolean_that_is_not_one_is_a_usage_error_naming_the_flag(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        _parser().parse_args(argv)
    assert stop.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert "--force" in error and ("true or false" in error or "takes no value" in error)


def test_help_speaks_flags_and_variables() -> None:
    text = _parser().format_help()
    assert "secrets.PIPECAT_API_KEY" not in text and "${{" not in text
    assert "`true`" not in text.replace("`true` deploys", "")  # deploy's choice, not a bool
    assert "`false` returns" not in text and "set secret-set" not in text
    assert "--no-wait-for-ready" in text and "--wait-for-ready[=true|false]" in text
    assert "`--agent-name`" in text and "PIPECAT_API_KEY from a masked CI variable" in text
    for spec in INPUTS:
        assert spec.env in text, spec.name


@pytest.mark.parametrize(
    ("message", "spoken"),
    [
        ("needs a secret set to write to; set secret-set (or secret_set in pcc-deploy.toml)",
         "set `--secret-set` / PIPECAT_SECRET_SET (or secret_set in pcc-deploy.toml)"),
        ("Raise deploy-timeout, or check the agent's status.",
         "Raise `--deploy-timeout` / PIPECAT_DEPLOY_TIMEOUT, or check"),
        ("build in eu-central (set region) or use another agent",
         "(set `--region` / PIPECAT_REGION)"),
        ("give `secrets` to write it", "give `--secrets` / PIPECAT_SECRETS to write it"),
        ("set secret-files: exclude", "`--secret-files exclude` (or PIPECAT_SECRET_FILES"),
    ],
)
def test_errors_speak_flags_and_variables(message: str, spoken: str) -> None:
    assert spoken in CLI.speak(message)


@pytest.mark.parametrize(
    "value",
    [
        "https://pipecat.daily.co/acme/builds/3f2a?tab=logs#top",
        "https://console.example/b/[id]/*",
        "registry.example/app:1",
        "",
        "7.5",
    ],
)
def test_a_url_stays_bare_so_gitlab_and_sh_read_the_same(value: str) -> None:
    line = env_line("logs-url", value)
    assert line == f"PIPECAT_LOGS_URL={value}"
    assert shlex.split(line.partition("=")[2] or "''") == [value]


@pytest.mark.parametrize(
    "value", ["a b", "x&y", "$HOME", "~/cache", "a:~/b", "#start", "semi;colon", "it's"]
)
def test_what_a_shell_would_change_is_quoted(value: str) -> None:
    quoted = env_line("logs-url", value).partition("=")[2]
    assert quoted.startswith("'")
    assert shlex.split(quoted) == [value]


def test_numbers_read_as_in_the_json_result() -> None:
    kinds = {spec.name: spec.kind for spec in OUTPUTS}
    assert kinds["build-duration-seconds"] == "float"
    assert _typed("build-duration-seconds", "12") == 12
    assert isinstance(_typed("build-duration-seconds", "12"), int)
    assert _typed("build-duration-seconds", "12.5") == 12.5
    assert _typed("image-size-bytes", "4096") == 4096
    for text in ("12", "12.5", "4096"):
        assert str(_typed("build-duration-seconds", text)) == text
