"""Secret sets as openapi.json describes them: 202, pending -> ready, names but never values."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from pipecat_cloud_emulator import Emulator

from .client import FakeClock
from .conftest import PENDING

VALUE = "sk-live-very-secret-value"


def put(api: requests.Session, emu: Emulator, name: str, **body: Any) -> requests.Response:
    return api.put(f"{emu.api_url}/v1/secrets/{name}", json=body)


def pairs(**values: str) -> list[dict[str, str]]:
    return [{"secretKey": key, "secretValue": value} for key, value in values.items()]


def test_write_is_accepted_then_provisioned(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    answer = put(api, emu, "bot-secrets", secrets=pairs(OPENAI_API_KEY=VALUE, MODEL="gpt"))
    assert answer.status_code == 202
    assert answer.json() == {"status": "OK", "region": "us-west"}
    url = f"{emu.api_url}/v1/secrets/bot-secrets"
    pending = api.get(url)
    assert pending.json() == {
        "region": "us-west",
        "status": "pending",
        "secrets": [{"fieldName": "OPENAI_API_KEY"}, {"fieldName": "MODEL"}],
    }
    assert VALUE not in pending.text
    clock.advance(PENDING)
    assert api.get(url).json()["status"] == "ready"


def test_a_write_sets_the_keys_given_and_keeps_the_others(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    put(api, emu, "merge", secrets=pairs(A="1", B="2"), region="eu-central")
    clock.advance(PENDING)
    answer = put(api, emu, "merge", secrets=pairs(B="20", C="3"))
    assert answer.json() == {"status": "OK", "region": "eu-central"}
    shown = api.get(f"{emu.api_url}/v1/secrets/merge").json()
    assert shown["status"] == "pending"  # each write provisions again
    assert [entry["fieldName"] for entry in shown["secrets"]] == ["A", "B", "C"]
    assert emu.secret_matches("merge", "A", "1") and emu.secret_matches("merge", "B", "20")
    assert not emu.secret_matches("merge", "B", "2")


def test_a_set_cannot_change_region(emu: Emulator, api: requests.Session) -> None:
    put(api, emu, "pinned", secrets=pairs(A="1"), region="us-west")
    moved = put(api, emu, "pinned", secrets=pairs(A="1"), region="eu-central")
    assert moved.status_code == 400
    assert moved.json() == {
        "error": "Secret already exists in region 'us-west'. Cannot change region to 'eu-central'.",
        "code": "GENERIC_BAD_REQUEST",
    }


def test_concurrent_modification_is_a_conflict(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    emu.conflict_next_secret_write("busy")
    refused = put(api, emu, "busy", secrets=pairs(A="1"))
    assert refused.status_code == 409 and refused.json()["code"] == "CONFLICT"
    assert "busy" not in emu.secret_sets
    assert put(api, emu, "busy", secrets=pairs(A="1")).status_code == 202
    emu.config.secret_conflict_while_pending = True
    assert put(api, emu, "busy", secrets=pairs(B="2")).status_code == 409
    clock.advance(PENDING)
    assert put(api, emu, "busy", secrets=pairs(B="2")).status_code == 202


def test_list_image_pull_secrets_and_deletes(emu: Emulator, api: requests.Session) -> None:
    put(api, emu, "app-secrets", secrets=pairs(A="1", B="2"))
    pull = put(
        api, emu, "registry", isImagePullSecret=True, host="https://ghcr.io", secretValue=VALUE
    )
    assert pull.status_code == 202
    assert api.get(f"{emu.api_url}/v1/secrets").json() == {
        "sets": [
            {"name": "app-secrets", "type": "secret", "region": "us-west", "status": "pending"},
            {
                "name": "registry",
                "type": "imagePullSecret",
                "region": "us-west",
                "status": "pending",
            },
        ]
    }
    assert api.get(f"{emu.api_url}/v1/secrets/registry").status_code == 400
    gone = api.delete(f"{emu.api_url}/v1/secrets/app-secrets/A")
    assert gone.status_code == 200 and gone.json() == {"status": "OK"}
    assert api.delete(f"{emu.api_url}/v1/secrets/app-secrets/A").status_code == 404
    assert [e["fieldName"] for e in emu.secret_sets["app-secrets"]["secrets"]] == ["B"]
    assert api.delete(f"{emu.api_url}/v1/secrets/app-secrets").json() == {"status": "OK"}
    missing = api.get(f"{emu.api_url}/v1/secrets/app-secrets")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Set not found", "code": "NOT_FOUND"}
    assert api.delete(f"{emu.api_url}/v1/secrets/app-secrets").status_code == 404


@pytest.mark.contract_bad_requests("malformed secret set writes, on purpose")
def test_malformed_writes_are_refused(emu: Emulator, api: requests.Session) -> None:
    for name, body in (
        ("ok-name", {"secrets": []}),
        ("ok-name", {"secrets": [{"secretKey": "A"}]}),
        ("ok-name", {"secrets": pairs(A="1"), "region": "mars-1"}),
        ("ok-name", {"isImagePullSecret": True, "secretValue": VALUE}),
        ("Bad_Name", {"secrets": pairs(A="1")}),
        ("ab", {"secrets": pairs(A="1")}),
    ):
        answer = put(api, emu, name, **body)
        assert answer.status_code == 400, (name, answer.text)
        assert answer.json()["code"] == "GENERIC_BAD_REQUEST"
        assert VALUE not in answer.text
    assert emu.secret_sets == {}


def test_values_never_reach_logs_or_reprs(
    api: requests.Session, capfd: pytest.CaptureFixture[str]
) -> None:
    with Emulator(verbose=True) as emu:
        put(api, emu, "hidden", secrets=pairs(TOKEN=VALUE))
        api.get(f"{emu.api_url}/v1/secrets/hidden")
        api.get(f"{emu.api_url}/v1/secrets")
        shown = [repr(emu.requests), repr(emu.state.secret_sets), repr(emu.secret_sets)]
        assert VALUE.encode() in emu.requests[0].body  # the raw body stays for tests
    out, err = capfd.readouterr()
    assert "/v1/secrets/hidden" in err  # verbose logging did run
    assert all(VALUE not in text for text in [*shown, out, err])


def test_regions_lists_the_emulator_regions(emu: Emulator, api: requests.Session) -> None:
    emu.config.regions = {"us-west": True, "us-east": False}
    regions = api.get(f"{emu.api_url}/v1/regions").json()["regions"]
    assert regions == [
        {"code": "us-west", "display_name": "US West (Oregon)"},
        {"code": "us-east", "display_name": "US East (Virginia)"},
    ]


@pytest.mark.contract_bad_requests("set names outside the spec's setName rule, on purpose")
def test_set_names_follow_the_spec_rule(emu: Emulator, api: requests.Session) -> None:
    """openapi.json, setName of PUT/GET/DELETE /secrets/{setName}: 3 to 63 characters,
    `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$` (a DNS subdomain)."""
    for good in ("abc", "a-b", "my.app-secrets", "a1.b2.c3", "x" * 63, "0-0"):
        assert put(api, emu, good, secrets=pairs(A="1")).status_code == 202, good
    for bad in (
        "ab",  # too short
        "x" * 64,  # too long
        "My-Secrets",  # capitals (pcc 1.4.0 allows them)
        "my_secrets",  # underscore (pcc 1.4.0 allows it)
        "-abc",
        "abc-",
        "abc.",
        "a..bc",
        "a.-bc",
    ):
        answer = put(api, emu, bad, secrets=pairs(A="1"))
        assert answer.status_code == 400, bad
        assert answer.json() == {"error": "Invalid request format", "code": "GENERIC_BAD_REQUEST"}
    assert sorted(emu.secret_sets) == sorted(
        ["abc", "a-b", "my.app-secrets", "a1.b2.c3", "x" * 63, "0-0"]
    )
    # Reading or deleting a set that does not exist (a name no set can have included) is 404.
    for missing in ("not-there", "My_Secrets"):
        for answer in (
            api.get(f"{emu.api_url}/v1/secrets/{missing}"),
            api.delete(f"{emu.api_url}/v1/secrets/{missing}"),
        ):
            assert answer.status_code == 404
            assert answer.json() == {"error": "Set not found", "code": "NOT_FOUND"}
