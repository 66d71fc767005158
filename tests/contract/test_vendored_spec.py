"""The vendored spec is the official file, unchanged, and says where it came from."""

from __future__ import annotations

import hashlib
import json

import pytest

from .validator import SPEC_PATH, contract

SHARED = SPEC_PATH.parents[2] / "shared" / "pipecat-cloud" / "openapi.json"


def test_the_readme_names_the_source_the_date_and_the_checksum() -> None:
    readme = (SPEC_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert "2026-11-29" in readme and "shared/pipecat-cloud/openapi.json" in readme
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() in readme


def test_the_copy_is_the_shared_reference_file() -> None:
    if not SHARED.exists():
        pytest.skip(f"no shared reference folder at {SHARED.parent}")
    assert SPEC_PATH.read_bytes() == SHARED.read_bytes()


def test_it_is_the_whole_private_api() -> None:
    raw = contract().raw
    assert raw["openapi"].startswith("3.0")
    assert raw["servers"][0]["url"] == "https://api.pipecat.daily.co/v1"
    for path in ("/builds", "/agents", "/secrets/{setName}", "/properties", "/regions"):
        assert path in raw["paths"]
    assert json.loads(SPEC_PATH.read_text(encoding="utf-8")) == raw  # loaded, not patched
