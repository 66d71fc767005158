"""Settings cleaners: the edges and the one-line errors mutation testing showed no test pinned.

An error a user reads is asserted whole: it is the product's interface for a wrong input (which
input, what is wrong, what to write instead), and a file's error must name the file, not an
input (docs/testing.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.config.cleaners import (
    clean_agent_name,
    clean_api_key,
    clean_api_url,
    clean_count,
    clean_dockerfile,
    clean_optional_choice,
    clean_positive_int,
    clean_positive_seconds,
    clean_region,
    clean_secrets,
    clean_session_duration,
    folder_in_workspace,
)
from pipecat_build.errors import InputError

KEY_NOT_A_NAME = "the key is not a name (letters, digits, '_', '.', '-', not starting with a digit)"


def error_of(call: object, *args: object, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def test_api_key_errors_read_whole() -> None:
    assert str(error_of(clean_api_key, "api-key", " ")) == (
        "Input 'api-key': is empty; pass your Pipecat Cloud private API key from a secret, "
        "e.g. `api-key: ${{ secrets.PIPECAT_API_KEY }}` (a missing secret arrives empty)"
    )
    assert str(error_of(clean_api_key, "api-key", "pk_a\tb")) == (
        "Input 'api-key': contains white space; copy the key again without it"
    )


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("https://proxy.example.com/SANDBOX/", "https://proxy.example.com/SANDBOX"),
        ("https://api.example.com/v1beta", "https://api.example.com/v1beta"),
        ("https://api.example.com/v10", "https://api.example.com/v10"),
    ],
)
def test_api_url_keeps_a_base_path(raw: str, cleaned: str) -> None:
    assert clean_api_url("api-url", raw) == cleaned


@pytest.mark.parametrize(
    "raw",
    [
        "https://user@api.example.com",  # a user name alone is a credential too
        "https://:secret@api.example.com",
        "https://api.example.com/#top",
        "https://api.example.com/?x=1",
    ],
)
def test_api_url_with_credentials_query_or_fragment_is_refused(raw: str) -> None:
    assert str(error_of(clean_api_url, "api-url", raw)) == (
        "Input 'api-url': must be a base URL without credentials, query or fragment"
    )


def test_plain_http_to_a_remote_host_says_why_and_what_is_accepted() -> None:
    assert str(error_of(clean_api_url, "api-url", "http://api.example.com")) == (
        "Input 'api-url': plain http to 'api.example.com' would send the API key unencrypted; "
        "use https (http is accepted only for loopback hosts such as 127.0.0.1)"
    )


@pytest.mark.parametrize(
    ("raw", "url", "base"),
    [
        ("https://api.example.com/v1", "https://api.example.com/v1", "https://api.example.com"),
        ("https://api.example.com/v1//", "https://api.example.com/v1", "https://api.example.com"),
        ("https://p.example.com/api/v1", "https://p.example.com/api/v1", "https://p.example.com/api"),
    ],
)
def test_an_api_url_ending_in_v1_suggests_the_base(raw: str, url: str, base: str) -> None:
    assert str(error_of(clean_api_url, "api-url", raw)) == (
        f"Input 'api-url': '{url}' ends in /v1, which is added to every path; use '{base}'"
    )


def test_durations_and_counts_below_one_are_accepted_where_positive() -> None:
    assert clean_positive_seconds("poll-interval", "0.5") == 0.5
    assert clean_positive_int("max-parallel", "1") == 1


@pytest.mark.parametrize(("raw", "value"), [("", None), ("  ", None), ("0", 0), (" 3 ", 3),
                                             ("+2", 2), ("007", 7)])
def test_count_accepts_zero_or_more(raw: str, value: int | None) -> None:
    assert clean_count("min-agents", raw) == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-1", "Input 'min-agents': '-1' is negative; use 0 or more"),
        ("two", "Input 'min-agents': 'two' is not a whole number"),
        ("1.5", "Input 'min-agents': '1.5' is not a whole number"),
    ],
)
def test_count_refused(raw: str, message: str) -> None:
    assert str(error_of(clean_count, "min-agents", raw)) == message


@pytest.mark.parametrize(("raw", "value"), [("", None), (" ", None), ("60", 60), (" 300 ", 300),
                                             ("14400", 14400)])
def test_session_duration_from_one_minute_to_four_hours(raw: str, value: int | None) -> None:
    assert clean_session_duration("max-session-duration", raw) == value


@pytest.mark.parametrize("raw", ["59", "14401", "0", "-60", "1e3", "ten"])
def test_session_duration_refused(raw: str) -> None:
    assert str(error_of(clean_session_duration, "max-session-duration", raw)) == (
        f"Input 'max-session-duration': '{raw}' is not a number of seconds from 60 to 14400"
    )


def test_optional_choice_is_unset_when_empty_and_checked_otherwise() -> None:
    choices = ("agent-1x", "agent-2x")
    assert clean_optional_choice("agent-profile", "", choices) is None
    assert clean_optional_choice("agent-profile", "  ", choices) is None
    assert clean_optional_choice("agent-profile", " Agent-2x ", choices) == "agent-2x"
    assert str(error_of(clean_optional_choice, "agent-profile", "big", choices)) == (
        "Input 'agent-profile': 'big' is not one of: agent-1x, agent-2x"
    )


def test_errors_about_the_project_file_name_the_file() -> None:
    region = error_of(clean_region, "pcc-deploy.toml", "EU", is_file=True)
    assert str(region) == "pcc-deploy.toml: 'EU' is not a region code such as us-west"
    outside = error_of(clean_dockerfile, "pcc-deploy.toml", "../Dockerfile", is_file=True)
    assert str(outside) == (
        "pcc-deploy.toml: '../Dockerfile' must be a path inside the build context, relative to it"
    )
    empty = error_of(clean_dockerfile, "pcc-deploy.toml", " ", is_file=True)
    assert str(empty) == "pcc-deploy.toml: is empty; give the Dockerfile's path, e.g. Dockerfile"
    agent = error_of(clean_agent_name, "pcc-deploy.toml", "My_Agent", is_file=True)
    assert str(agent).startswith("pcc-deploy.toml: 'My_Agent' is not a valid agent name")


def test_dockerfile_errors_name_the_input() -> None:
    assert str(error_of(clean_dockerfile, "dockerfile", "/Dockerfile")) == (
        "Input 'dockerfile': '/Dockerfile' must be a path inside the build context, relative to it"
    )
    assert str(error_of(clean_dockerfile, "dockerfile", "./")) == (
        "Input 'dockerfile': is empty; give the Dockerfile's path, e.g. Dockerfile"
    )


@pytest.mark.parametrize("name", ["ab", "my-agent", "a1", "x" * 54, "0-9"])
def test_agent_names_accepted(name: str) -> None:
    assert clean_agent_name("agent-name", f" {name} ") == name


@pytest.mark.parametrize("name", ["", "-a", "a-", "My-agent", "a_b", "a.b", "x" * 55])
def test_agent_names_refused(name: str) -> None:
    assert str(error_of(clean_agent_name, "agent-name", name)) == (
        f"Input 'agent-name': '{name}' is not a valid agent name: lower-case letters, digits "
        "and '-', starting and ending with a letter or digit, 2 to 54 characters"
    )


def test_folder_errors_about_the_project_file_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    root = tmp_path.resolve()
    cases = [
        (tmp_path / "..", "..", f"'..' is outside the workspace {root}; use a folder inside it"),
        (tmp_path / "nope", "nope", f"folder 'nope' does not exist in the workspace ({root})"),
        (tmp_path / "file.txt", "file.txt", "'file.txt' is not a folder"),
    ]
    for path, shown, detail in cases:
        error = error_of(folder_in_workspace, "pcc-deploy.toml", path, shown, tmp_path,
                         is_file=True)
        assert str(error) == f"pcc-deploy.toml: {detail}"


def test_secrets_read_as_dotenv_text() -> None:
    raw = 'A=1\n# a comment\n\nexport B = "two words"\nlower.dot-dash=x\n_U=\nA=3\n'
    assert clean_secrets("secrets", raw) == (
        ("A", "3"), ("B", "two words"), ("lower.dot-dash", "x"), ("_U", "")
    )
    assert clean_secrets("secrets", "") == ()
    assert clean_secrets("secrets", " \n\n") == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("A=1\nNOEQ\n", "Input 'secrets': line 2 has no '='; write one `KEY=value` per line"),
        ("A=1\n=x\n", "Input 'secrets': line 2 is not KEY=VALUE; write one `KEY=value` per line"),
        ("A=1\nB=\"open\n",
         "Input 'secrets': line 2 is not KEY=VALUE; write one `KEY=value` per line"),
        ("A=1\n1BAD=x\n", f"Input 'secrets': line 2: {KEY_NOT_A_NAME}"),
        ("A=1\nB-=x\nC+D=1\n", f"Input 'secrets': line 3: {KEY_NOT_A_NAME}"),
    ],
)
def test_secrets_refused_by_line_number(raw: str, message: str) -> None:
    assert str(error_of(clean_secrets, "secrets", raw)) == message


def test_secret_errors_use_the_front_doors_name_and_never_show_a_value() -> None:
    error = error_of(clean_secrets, "--secrets", "TOKEN=s3cr3t\n=s3cr3t\n")
    assert error.input_name == "--secrets"
    assert "s3cr3t" not in str(error)
