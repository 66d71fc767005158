"""Issue 20 §3, §7, §8: hostile input values, each refused with one line naming the input,
and never a byte of a `secrets` value in a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.config import cleaners as clean
from pipecat_build.config.settings import build_settings
from pipecat_build.errors import InputError

PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"


def refused(func: object, *args: object, **kwargs: object) -> InputError:
    assert callable(func)
    with pytest.raises(InputError) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return info.value


# -- §3: secrets errors show line numbers only ---------------------------------------------


@pytest.mark.parametrize(
    "raw, line",
    [
        (f"A=1\n{PEM_BODY}\n", 2),  # a wrapped value: python-dotenv takes it for a key
        (f"A=1\n\n{PEM_BODY}-x\n", 3),
        (f"{PEM_BODY}+tail=1\n", 1),  # not a key name: the "key" is a value's text
        (f"A=1\nB={PEM_BODY}\n'{PEM_BODY}\n", 3),  # an unclosed quote
    ],
)
def test_secrets_errors_never_show_text_of_the_input(raw: str, line: int) -> None:
    error = refused(clean.clean_secrets, "secrets", raw)
    message = str(error)
    assert f"line {line}" in message
    assert PEM_BODY[:8] not in message and "tail" not in message
    assert message.startswith("Input 'secrets': ")


# -- §7: secret-set names as the API allows them -------------------------------------------


@pytest.mark.parametrize(
    "name", ["../agents/victim", "a/b", "set?x=1", "set#frag", "UPPER", "ab", "a" * 64,
             "-set", "set-", "set..x", "se t", "set%2F", "set\0x"]
)
def test_secret_set_names_the_api_refuses_are_refused(name: str) -> None:
    error = refused(clean.clean_secret_set, "secret-set", name)
    assert error.input_name == "secret-set"


@pytest.mark.parametrize("name", ["abc", "my-agent-secrets", "a.b.c", "x" * 63, "0-9"])
def test_secret_set_names_the_api_allows_pass(name: str) -> None:
    assert clean.clean_secret_set("secret-set", f" {name} ") == name


def test_secret_set_from_the_step_is_validated(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    inputs = {"api-key": "k" * 8, "agent-name": "bot", "secret-set": "../agents/victim"}
    error = refused(build_settings, inputs, tmp_path)
    assert error.input_name == "secret-set"


def test_secret_set_from_pcc_deploy_toml_is_validated(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "pcc-deploy.toml").write_text('agent_name = "bot"\nsecret_set = "../x/y"\n')
    error = refused(build_settings, {"api-key": "k" * 8, "deploy": "true"}, tmp_path)
    assert error.input_name == "pcc-deploy.toml" and error.is_file


# -- §8: the listed hostile values ---------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("api-key", "ключ-pk_live_123"),
        ("api-key", "pk_live\0x"),
        ("api-key", "k" * 10_000),
        ("api-url", "http://[::1"),
        ("api-url", "http://127.0.0.1 :8080"),
        ("api-url", "http://127.0.0.1:99999"),
        ("api-url", "https://api.example.com:0"),
        ("api-url", "https://bücher.example"),
        ("api-url", "https://" + "a" * 10_000 + ".example"),
        ("agent-name", "a"),
        ("agent-name", "a" * 10_000),
        ("max-parallel", "²"),
        ("max-parallel", "٣"),
        ("max-parallel", "100000"),
        ("max-agents", "0"),
        ("min-agents", "12345678901234567890123"),
        ("min-agents", "٣"),
        ("build-timeout", "١٢"),
        ("build-timeout", "1_000"),
        ("build-timeout", "1e300"),
        ("poll-interval", "infinity"),
        ("max-session-duration", "٣٠٠"),
        ("context", "a\0b"),
        ("context", "a" * 10_000),
        ("dockerfile", "Dockerfile\0x"),
        ("hash-cache", "cache\0x"),
        ("hash-cache", "~no-such-user-xyz/cache"),
        ("services", "voice\0bot"),
        ("services", "a" * 10_000),
        ("services", "x: " + "[" * 3000 + "]" * 3000),
        ("services", "{" * 3000),
        ("services", "x: {context: \"a\\0b\"}"),
        ("secret-set", "a/b"),
        ("secret-set", "a?b"),
        ("secret-set", "a#b"),
        ("compression", "cli\nfast"),
        ("region", "us-west\r\n::error::x"),
    ],
)
def test_hostile_values_get_one_line_naming_the_input(
    tmp_path: Path, name: str, value: str
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    inputs = {"api-key": "pk_live_1234", "agent-name": "bot", "secret-set": "bot-secrets",
              name: value}
    error = refused(build_settings, inputs, tmp_path)
    assert error.input_name == name
    assert len(str(error)) < 400  # a 10,000-character value is not repeated


def test_the_api_key_is_never_quoted() -> None:
    key = "pk_live_ключ_secret"
    assert key not in str(refused(clean.clean_api_key, "api-key", key))


def test_one_line_whatever_the_detail_holds() -> None:
    error = InputError("region", "'a\nb\rc\x1b[31m\u2028d' is bad")
    assert error.render().splitlines() == [error.render()]
    assert "\x1b" not in str(error)


def test_hash_cache_never_adopts_a_file_a_code_folder_or_the_workspace(tmp_path: Path) -> None:
    """The run tags its cache folder and leaves it out of every context: a typo naming a file,
    a source folder or a folder above the workspace must fail, not drop code from images or
    tag `/tmp` for backup tools to skip."""
    from pipecat_build.archive.hash_cache import CACHEDIR_TAG
    from pipecat_build.config.cleaners import clean_hash_cache

    ws = tmp_path / "ws"
    (ws / "app").mkdir(parents=True)
    (ws / "app" / "bot.py").write_text("print()")
    (ws / "bot.py").write_text("print()")
    for raw, says in (
        ("bot.py", "is a file, not a folder"),
        ("app", "holds other files (such as bot.py)"),
        (".", "is the workspace or a folder above it"),
        (str(tmp_path), "is the workspace or a folder above it"),
    ):
        with pytest.raises(InputError) as caught:
            clean_hash_cache("hash-cache", raw, ws)
        assert caught.value.input_name == "hash-cache" and says in caught.value.detail, raw
    assert not (ws / "app" / CACHEDIR_TAG).exists()
    # A new folder, or one holding only what a cache holds, is the cache's own.
    assert clean_hash_cache("hash-cache", ".cache-new", ws) == ws / ".cache-new"
    own = ws / ".pipecat-hash-cache"
    own.mkdir()
    for name in (CACHEDIR_TAG, "ab.hash", "cd.secrets", ".tmp-1-ff"):
        (own / name).write_text("x")
    assert clean_hash_cache("hash-cache", ".pipecat-hash-cache", ws) == own
