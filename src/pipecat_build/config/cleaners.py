"""One cleaner per kind of input value: each turns raw text into a typed value or fails with an
`InputError` naming the input and what to do.

Every cleaner has one signature, `clean_x(name, raw, ...)`: `name` is what an error names (an
input of the table, or a file with `is_file=True`). Defaults are not theirs to know: the
settings fill an empty value from the inputs table before cleaning it."""

from __future__ import annotations

import math
import re
from pathlib import Path, PurePosixPath
from typing import TypeVar
from urllib.parse import urlsplit

from ..api.transport import is_loopback
from ..archive.hash_cache import holds_only_cache_files
from ..errors import InputError, shown
from ..inputs import API_KEY_EXAMPLE, DEFAULT_API_URL
from ..models import IMAGE_REFERENCE, IMAGE_REFERENCE_MAX

TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", ""})
# The API's own rules (openapi.json: CreateServiceRequest.serviceName, PUT /secrets/{setName}).
AGENT_NAME = re.compile(r"[a-z0-9][-a-z0-9]*[a-z0-9]")  # two characters at least
AGENT_NAME_MAX = 54
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
SECRET_SET_NAME = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
SECRET_SET_LENGTH = (3, 63)
SESSION_DURATION = (60, 14400)
MAX_AGENTS_LIMIT = 10_000  # far above any plan; a 23-digit count is a typo, not a scale
MAX_PARALLEL_LIMIT = 256
MAX_SECONDS = 7 * 24 * 3600.0  # a week: longer waits overflow timers and are never meant
MAX_KEY_LENGTH = 4096
MAX_URL_LENGTH = 2048
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit and \d accept '²' and '٣'
_Choice = TypeVar("_Choice", bound=str)


def _whole(text: str) -> int:
    """ASCII digits (already checked) as a number; past 18 digits, any value is too large and
    int() of thousands of digits raises ValueError: stand in with one above every limit."""
    digits = text.lstrip("+-").lstrip("0")
    value = int(digits[:18] or "0") if len(digits) <= 18 else 10**18
    return -value if text.startswith("-") else value


def clean_api_key(name: str, raw: str) -> str:
    key = raw.strip()
    if not key:
        raise InputError(
            name,
            "is empty; pass your Pipecat Cloud private API key from a secret, e.g. "
            f"{API_KEY_EXAMPLE} (a missing secret arrives empty)",
        )
    if any(ch.isspace() for ch in key):
        raise InputError(name, "contains white space; copy the key again without it")
    # Never quoted: it is the key. It goes into an HTTP header, which carries printable ASCII.
    if not all(" " < ch < "\x7f" for ch in key):
        raise InputError(
            name,
            "holds characters that are not printable ASCII (a key never does); copy the key "
            "again",
        )
    if len(key) > MAX_KEY_LENGTH:
        raise InputError(name, f"is longer than {MAX_KEY_LENGTH} characters; copy the key again")
    return key


def clean_api_url(name: str, raw: str) -> str:
    url = (raw.strip() or DEFAULT_API_URL).rstrip("/")
    not_a_url = InputError(
        name, f"'{shown(url)}' is not an http(s) URL; use e.g. {DEFAULT_API_URL}"
    )
    # Printable ASCII without spaces (a host in another script is written in punycode).
    if len(url) > MAX_URL_LENGTH or not all(" " < ch < "\x7f" for ch in url):
        raise not_a_url
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for a port out of range or not a number
    except ValueError:
        raise not_a_url from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise not_a_url
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InputError(
            name,
            f"plain http to '{parts.hostname}' would send the API key unencrypted; use https "
            "(http is accepted only for loopback hosts such as 127.0.0.1)",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(name, "must be a base URL without credentials, query or fragment")
    if parts.path.rstrip("/").endswith("/v1"):
        base = url[: -len("/v1")]
        raise InputError(
            name, f"'{url}' ends in /v1, which is added to every path; use '{base}'"
        )
    return url


def clean_bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InputError(name, f"'{shown(raw.strip())}' is not a boolean; use true or false")


def clean_positive_seconds(name: str, raw: str) -> float:
    text = raw.strip()
    # ASCII digits only: float() also reads '١٢', '1_0' and 'inf'.
    ascii_number = re.fullmatch(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", text) is not None
    value = float(text) if ascii_number else math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(name, f"'{shown(text)}' is not a positive number of seconds")
    if value > MAX_SECONDS:
        raise InputError(
            name, f"'{shown(text)}' is more than a week ({MAX_SECONDS:.0f} seconds); use less"
        )
    return value


def clean_positive_int(name: str, raw: str) -> int:
    text = raw.strip()
    if not _DIGITS.fullmatch(text) or _whole(text) < 1:
        raise InputError(name, f"'{shown(text)}' is not a positive whole number")
    if _whole(text) > MAX_PARALLEL_LIMIT:
        raise InputError(name, f"'{shown(text)}' is more than {MAX_PARALLEL_LIMIT}; use less")
    return _whole(text)


def clean_count(name: str, raw: str) -> int | None:
    """A whole number of zero or more; empty means unset."""
    text = raw.strip()
    if not text:
        return None
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise InputError(name, f"'{shown(text)}' is not a whole number")
    value = _whole(text)
    if value < 0:
        raise InputError(name, f"'{shown(text)}' is negative; use 0 or more")
    if value > MAX_AGENTS_LIMIT:
        raise InputError(name, f"'{shown(text)}' is more than {MAX_AGENTS_LIMIT}; use less")
    return value


def clean_max_agents(name: str, raw: str) -> int | None:
    """Like clean_count, but 0 is refused: an agent that may never run cannot deploy."""
    value = clean_count(name, raw)
    if value == 0:
        raise InputError(name, "'0' would let no agent run; use 1 or more (or leave it empty)")
    return value


def clean_session_duration(name: str, raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    low, high = SESSION_DURATION
    if not _DIGITS.fullmatch(text) or not low <= _whole(text) <= high:
        raise InputError(
            name, f"'{shown(text)}' is not a number of seconds from {low} to {high}"
        )
    return _whole(text)


def clean_choice(name: str, raw: str, choices: tuple[_Choice, ...]) -> _Choice:
    word = raw.strip().lower()
    for choice in choices:
        if word == choice:
            return choice
    raise InputError(name, f"'{shown(raw.strip())}' is not one of: {', '.join(choices)}")


def clean_optional_choice(name: str, raw: str, choices: tuple[_Choice, ...]) -> _Choice | None:
    return clean_choice(name, raw, choices) if raw.strip() else None


def clean_region(name: str, raw: str, *, is_file: bool = False) -> str | None:
    region = raw.strip()
    if region and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", region):
        raise InputError(
            name, f"'{shown(region)}' is not a region code such as us-west", is_file=is_file
        )
    return region or None


def clean_agent_name(name: str, raw: str, *, is_file: bool = False) -> str:
    agent = raw.strip()
    if len(agent) > AGENT_NAME_MAX or not AGENT_NAME.fullmatch(agent):
        raise InputError(
            name,
            f"'{shown(agent)}' is not a valid agent name: lower-case letters, digits and '-', "
            f"starting and ending with a letter or digit, 2 to {AGENT_NAME_MAX} characters",
            is_file=is_file,
        )
    return agent


def clean_secret_set(name: str, raw: str, *, is_file: bool = False) -> str | None:
    """A secret set's name as the API's `setName` allows it (3-63 characters, lower-case DNS
    labels joined by '.'); empty means none. It becomes a path segment: nothing else passes."""
    text = raw.strip()
    if not text:
        return None
    low, high = SECRET_SET_LENGTH
    if not low <= len(text) <= high or not SECRET_SET_NAME.fullmatch(text):
        raise InputError(
            name,
            f"'{shown(text)}' is not a valid secret set name: {low} to {high} lower-case "
            "letters, digits, '-' and '.', starting and ending with a letter or digit",
            is_file=is_file,
        )
    return text


def clean_dockerfile(name: str, raw: str, *, is_file: bool = False) -> str:
    text = raw.strip().replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts or "\0" in text:
        raise InputError(
            name,
            f"'{shown(text)}' must be a path inside the build context, relative to it",
            is_file=is_file,
        )
    cleaned = path.as_posix()
    if cleaned in ("", "."):
        raise InputError(
            name, "is empty; give the Dockerfile's path, e.g. Dockerfile", is_file=is_file
        )
    return cleaned


def clean_context(name: str, raw: str, workspace: Path) -> Path:
    text = raw.strip() or "."
    return folder_in_workspace(name, workspace / text, shown(text), workspace)


def folder_in_workspace(
    name: str, path: Path, shown: str, workspace: Path, *, is_file: bool = False
) -> Path:
    if "\0" in str(path):  # no file name holds one; resolve() would raise ValueError
        raise InputError(name, f"'{shown}' holds a NUL character", is_file=is_file)
    try:
        candidate = path.resolve()
    except (OSError, RuntimeError) as exc:  # a loop of links, a name too long
        raise InputError(name, f"'{shown}' cannot be resolved ({exc})", is_file=is_file) from None
    root = workspace.resolve()
    if candidate != root and root not in candidate.parents:
        raise InputError(
            name,
            f"'{shown}' is outside the workspace {root}; use a folder inside it",
            is_file=is_file,
        )
    try:
        exists, is_dir = candidate.exists(), candidate.is_dir()
    except OSError as exc:  # a name too long for the file system
        raise InputError(
            name, f"'{shown}' cannot be read ({exc.strerror})", is_file=is_file
        ) from None
    if not exists:
        raise InputError(
            name, f"folder '{shown}' does not exist in the workspace ({root})",
            is_file=is_file,
        )
    if not is_dir:
        raise InputError(name, f"'{shown}' is not a folder", is_file=is_file)
    return candidate


def clean_secrets(name: str, raw: str) -> tuple[tuple[str, str], ...]:
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
                name, f"line {line} is not KEY=VALUE; write one `KEY=value` per line"
            )
        if binding.key is None:
            continue  # a comment or a blank line
        # No text of the line, not even what python-dotenv took for its key: a line without
        # '=' is often a wrapped value (a PEM body), and nothing masks it yet.
        if binding.value is None:
            raise InputError(
                name, f"line {line} has no '='; write one `KEY=value` per line"
            )
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", binding.key):
            raise InputError(
                name,
                f"line {line}: the key is not a name (letters, digits, '_', '.', '-', "
                "not starting with a digit)",
            )
        pairs[binding.key] = binding.value
    return tuple(pairs.items())


AGENT_NAME_SUFFIX_MAX = 24  # leaves a shortened name 22 characters of its own (docs/deploy.md)
_SUFFIX = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def clean_agent_name_suffix(name: str, raw: str) -> str:
    """What `<agent>-<suffix>` appends (a preview agent's `pr-7`); empty means none."""
    text = raw.strip()
    if text and (len(text) > AGENT_NAME_SUFFIX_MAX or not _SUFFIX.fullmatch(text)):
        raise InputError(
            name,
            f"'{shown(text)}' is not a valid agent name suffix: lower-case letters, digits and "
            f"'-', starting and ending with a letter or digit, at most {AGENT_NAME_SUFFIX_MAX} "
            "characters (e.g. pr-42)",
        )
    return text


def clean_build_id(name: str, raw: str) -> str:
    """A build's id as the API writes it (a UUID, lower-cased); empty means none."""
    text = raw.strip().lower()
    if text and not _UUID.fullmatch(text):
        raise InputError(
            name,
            f"'{shown(raw.strip())}' is not a build id; give the UUID of a build (the "
            "build-id output of an earlier run, or `pcc build list`)",
        )
    return text


def clean_image(name: str, raw: str) -> str:
    """A registry image reference with a tag or a digest (as `pcc deploy` requires a tag);
    empty means none."""
    text = raw.strip()
    if not text:
        return ""
    match = IMAGE_REFERENCE.fullmatch(text) if len(text) <= IMAGE_REFERENCE_MAX else None
    if match is None:
        raise InputError(
            name,
            f"'{shown(text)}' is not an image reference such as "
            "ghcr.io/acme/bot:1.2.0 or registry.example.com/bot@sha256:<digest>",
        )
    if not match.group("tag") and not match.group("digest"):
        raise InputError(
            name, f"'{shown(text)}' has no tag; give one (e.g. {shown(text)}:1.2.0) or a digest"
        )
    return text


def clean_hash_cache(name: str, raw: str, workspace: Path) -> Path:
    """A folder relative to the workspace (or absolute, for the CLI's user cache), created on
    first use. It must be the cache's own: a run tags it (CACHEDIR.TAG), leaves it out of
    every context and prunes it, so a file, a folder holding anything but cache files, or the
    workspace or a folder above it is refused (a typo must not drop `app/` from every image)."""
    if "\0" in raw:
        raise InputError(name, "holds a NUL character; give a folder path")
    try:
        path = Path(raw).expanduser()
        path = (path if path.is_absolute() else workspace / path).resolve()
    except (OSError, RuntimeError) as exc:  # `~nobody-here/x`, a loop of links
        raise InputError(
            name, f"'{shown(raw)}' is not a usable folder path ({exc})"
        ) from None
    own = "; give a folder of its own, e.g. .pipecat-hash-cache"
    if path == workspace.resolve() or path in workspace.resolve().parents:
        raise InputError(name, f"'{shown(raw)}' is the workspace or a folder above it{own}")
    try:
        if path.exists() and not path.is_dir():
            raise InputError(name, f"'{shown(raw)}' is a file, not a folder{own}")
        stranger = holds_only_cache_files(path) if path.is_dir() else None
    except OSError as exc:
        raise InputError(name, f"cannot use folder '{shown(raw)}' ({exc.strerror})") from None
    if stranger is not None:
        raise InputError(
            name, f"'{shown(raw)}' holds other files (such as {shown(stranger)}){own}"
        )
    return path
