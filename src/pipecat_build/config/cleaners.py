"""One cleaner per kind of input value: each turns raw text into a typed value or fails with an
`InputError` naming the input and what to do."""

from __future__ import annotations

import ipaddress
import math
import re
from pathlib import Path, PurePosixPath
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import InputError
from .inputs import API_KEY_EXAMPLE, DEFAULT_API_URL

TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", ""})
AGENT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
AGENT_NAME_MAX = 54
SESSION_DURATION = (60, 14400)
_Choice = TypeVar("_Choice", bound=str)


def clean_api_key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise InputError(
            "api-key",
            "is empty; pass your Pipecat Cloud private API key from a secret, e.g. "
            f"{API_KEY_EXAMPLE} (a missing secret arrives empty)",
        )
    if any(ch.isspace() for ch in key):
        raise InputError("api-key", "contains white space; copy the key again without it")
    return key


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_api_url(raw: str) -> str:
    url = (raw.strip() or DEFAULT_API_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("api-url", f"'{url}' is not an http(s) URL; use e.g. {DEFAULT_API_URL}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InputError(
            "api-url",
            f"plain http to '{parts.hostname}' would send the API key unencrypted; use https "
            "(http is accepted only for loopback hosts such as 127.0.0.1)",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError("api-url", "must be a base URL without credentials, query or fragment")
    if parts.path.rstrip("/").endswith("/v1"):
        base = url[: -len("/v1")]
        raise InputError(
            "api-url", f"'{url}' ends in /v1, which is added to every path; use '{base}'"
        )
    return url


def clean_bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InputError(name, f"'{raw.strip()}' is not a boolean; use true or false")


def clean_positive_seconds(name: str, raw: str, default: float) -> float:
    text = raw.strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(name, f"'{text}' is not a positive number of seconds")
    return value


def clean_positive_int(name: str, raw: str, default: int) -> int:
    text = raw.strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise InputError(name, f"'{text}' is not a positive whole number")
    return int(text)


def clean_count(name: str, raw: str) -> int | None:
    """A whole number of zero or more; empty means unset."""
    text = raw.strip()
    if not text:
        return None
    if not re.fullmatch(r"[+-]?\d+", text):
        raise InputError(name, f"'{text}' is not a whole number")
    value = int(text)
    if value < 0:
        raise InputError(name, f"'{text}' is negative; use 0 or more")
    return value


def clean_session_duration(name: str, raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    low, high = SESSION_DURATION
    if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
        raise InputError(name, f"'{text}' is not a number of seconds from {low} to {high}")
    return int(text)


def clean_choice(name: str, raw: str, choices: tuple[_Choice, ...]) -> _Choice:
    word = raw.strip().lower() or choices[0]
    for choice in choices:
        if word == choice:
            return choice
    raise InputError(name, f"'{raw.strip()}' is not one of: {', '.join(choices)}")


def clean_optional_choice(name: str, raw: str, choices: tuple[_Choice, ...]) -> _Choice | None:
    return clean_choice(name, raw, choices) if raw.strip() else None


def clean_region(raw: str, input_name: str = "region", *, is_file: bool = False) -> str | None:
    region = raw.strip()
    if region and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", region):
        raise InputError(
            input_name, f"'{region}' is not a region code such as us-west", is_file=is_file
        )
    return region or None


def clean_agent_name(raw: str, input_name: str = "agent-name", *, is_file: bool = False) -> str:
    name = raw.strip()
    if len(name) > AGENT_NAME_MAX or not AGENT_NAME.fullmatch(name):
        raise InputError(
            input_name,
            f"'{name}' is not a valid agent name: lower-case letters, digits and '-', starting "
            f"and ending with a letter or digit, at most {AGENT_NAME_MAX} characters",
            is_file=is_file,
        )
    return name


def clean_dockerfile(raw: str, input_name: str = "dockerfile", *, is_file: bool = False) -> str:
    text = raw.strip().replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts:
        raise InputError(
            input_name,
            f"'{text}' must be a path inside the build context, relative to it",
            is_file=is_file,
        )
    cleaned = path.as_posix()
    if cleaned in ("", "."):
        raise InputError(
            input_name, "is empty; give the Dockerfile's path, e.g. Dockerfile", is_file=is_file
        )
    return cleaned


def clean_context(raw: str, workspace: Path, input_name: str = "context") -> Path:
    text = raw.strip() or "."
    return folder_in_workspace(workspace / text, text, workspace, input_name)


def folder_in_workspace(
    path: Path, shown: str, workspace: Path, input_name: str, *, is_file: bool = False
) -> Path:
    candidate = path.resolve()
    root = workspace.resolve()
    if candidate != root and root not in candidate.parents:
        raise InputError(
            input_name,
            f"'{shown}' is outside the workspace {root}; use a folder inside it",
            is_file=is_file,
        )
    if not candidate.exists():
        raise InputError(
            input_name, f"folder '{shown}' does not exist in the workspace ({root})",
            is_file=is_file,
        )
    if not candidate.is_dir():
        raise InputError(input_name, f"'{shown}' is not a folder", is_file=is_file)
    return candidate


def clean_secrets(raw: str, input_name: str = "secrets") -> tuple[tuple[str, str], ...]:
    """Dotenv text as python-dotenv reads it (comments, blank lines, quotes, `export`,
    `KEY = value`); a line that is not `KEY=VALUE` is refused, naming its line number only
    (never its text, which may hold a value)."""
    if not raw.strip():
        return ()
    from io import StringIO

    from dotenv.parser import parse_stream

    def line_of(original: str, first: int) -> int:
        """python-dotenv counts blank lines before a binding as part of it."""
        blank = original[: len(original) - len(original.lstrip())]
        return first + blank.count("\n")

    pairs: dict[str, str] = {}
    for binding in parse_stream(StringIO(raw)):
        line = line_of(binding.original.string, binding.original.line)
        if binding.error:
            raise InputError(
                input_name, f"line {line} is not KEY=VALUE; write one `KEY=value` per line"
            )
        if binding.key is None:
            continue  # a comment or a blank line
        if binding.value is None:
            raise InputError(
                input_name,
                f"line {line} ({binding.key}) has no '='; write "
                f"`{binding.key}=value`",
            )
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", binding.key):
            raise InputError(
                input_name, f"line {line}: '{binding.key}' is not a key name"
            )
        pairs[binding.key] = binding.value
    return tuple(pairs.items())
