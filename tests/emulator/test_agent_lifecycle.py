"""An agent's whole life as the spec describes it (issue 21 §5): deletion, registry-image
deploys with a pull-secret set, deploys by build id, and build look-ups by id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from pipecat_cloud_emulator import Emulator

from .client import FakeClock, create, get, seeded_build, settle, update
from .conftest import PENDING

NOT_FOUND = {"error": "Not found", "code": "NOT_FOUND"}


def put_secrets(api: requests.Session, emu: Emulator, name: str, region: str = "us-west") -> None:
    body = {"secrets": [{"secretKey": "TOKEN", "secretValue": "t"}], "region": region}
    assert api.put(f"{emu.api_url}/v1/secrets/{name}", json=body).status_code == 202


def put_pull_secret(
    api: requests.Session, emu: Emulator, name: str, region: str = "us-west"
) -> None:
    body = {
        "isImagePullSecret": True,
        "host": "https://ghcr.io",
        "secretValue": "dXNlcjpwYXNz",
        "region": region,
    }
    assert api.put(f"{emu.api_url}/v1/secrets/{name}", json=body).status_code == 202


def error(answer: requests.Response) -> tuple[int, dict[str, Any]]:
    return answer.status_code, answer.json()


# -- deletion -------------------------------------------------------------------------------


def test_deleting_an_agent_keeps_its_secret_sets_builds_and_frees_its_name(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    put_secrets(api, emu, "keep-secrets")
    put_pull_secret(api, emu, "keep-registry")
    clock.advance(PENDING)
    build_id = seeded_build(emu)
    first = create(
        api, emu, serviceName="preview-pr-7", buildId=build_id, secretSet="keep-secrets"
    ).json()
    settle(clock, emu)

    deleted = api.delete(f"{emu.api_url}/v1/agents/preview-pr-7")
    assert deleted.status_code == 200 and deleted.json() == {"status": "OK"}
    assert error(api.get(f"{emu.api_url}/v1/agents/preview-pr-7")) == (404, NOT_FOUND)
    assert api.get(f"{emu.api_url}/v1/agents").json() == {"services": []}
    assert "preview-pr-7" not in emu.agents
    with pytest.raises(KeyError):
        emu.running_secrets("preview-pr-7")
    # What the agent used stays: its secret set (keys and values), the pull secret, the build.
    kept = api.get(f"{emu.api_url}/v1/secrets/keep-secrets")
    assert kept.status_code == 200 and kept.json()["secrets"] == [{"fieldName": "TOKEN"}]
    assert emu.secret_matches("keep-secrets", "TOKEN", "t")
    listed = {s["name"] for s in api.get(f"{emu.api_url}/v1/secrets").json()["sets"]}
    assert listed == {"keep-secrets", "keep-registry"}
    assert api.get(f"{emu.api_url}/v1/builds/{build_id}").json()["build"]["status"] == "success"

    again = create(api, emu, serviceName="preview-pr-7", buildId=build_id, secretSet="keep-secrets")
    assert again.status_code == 200, again.text
    assert again.json()["desiredDeploymentId"] != first["desiredDeploymentId"]
    assert (
        again.json()["previousRevision"] is None and again.json()["reconciledDeploymentId"] is None
    )


def test_deleting_an_agent_that_does_not_exist_is_404_not_found(
    emu: Emulator, api: requests.Session
) -> None:
    assert error(api.delete(f"{emu.api_url}/v1/agents/never-was")) == (404, NOT_FOUND)
    create(api, emu, serviceName="once", image="me/agent:1")
    assert api.delete(f"{emu.api_url}/v1/agents/once").status_code == 200
    assert error(api.delete(f"{emu.api_url}/v1/agents/once")) == (404, NOT_FOUND)
    assert error(update(api, emu, "once", image="me/agent:2")) == (
        404,
        {"error": "Service not found", "code": "NOT_FOUND"},
    )


# -- registry images with a pull-secret set --------------------------------------------------


def test_an_image_deploy_binds_a_ready_pull_secret_set_and_shows_the_image(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    put_pull_secret(api, emu, "ghcr-creds")
    pending = create(
        api, emu, serviceName="img", image="ghcr.io/me/agent:1.0", imagePullSecretSet="ghcr-creds"
    )
    assert pending.status_code == 409 and pending.json()["code"] == "CONFLICT"
    clock.advance(PENDING)
    answer = create(
        api, emu, serviceName="img", image="ghcr.io/me/agent:1.0", imagePullSecretSet="ghcr-creds"
    )
    assert answer.status_code == 200, answer.text
    spec = get(api, emu, "img")["deployment"]["manifest"]["spec"]
    assert spec["image"] == "ghcr.io/me/agent:1.0"
    assert spec["imagePullSecretName"] == "ghcr-creds"

    # A build replaces the image (redacted, as the spec says for builds) and back again.
    by_build = update(api, emu, "img", buildId=seeded_build(emu)).json()
    assert by_build["deployment"]["manifest"]["spec"]["image"] == "[redacted]"
    by_image = update(api, emu, "img", image="ghcr.io/me/agent:1.1").json()
    assert by_image["deployment"]["manifest"]["spec"]["image"] == "ghcr.io/me/agent:1.1"


def test_the_pull_secret_set_must_exist_be_a_pull_secret_and_share_the_region(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    put_secrets(api, emu, "plain-secrets")
    put_pull_secret(api, emu, "eu-creds", region="eu-central")
    put_pull_secret(api, emu, "us-creds")
    clock.advance(PENDING)
    image = {"serviceName": "img", "image": "ghcr.io/me/agent:1.0"}
    missing = {"error": "Image pull secret set not found", "code": "NOT_FOUND"}
    assert error(create(api, emu, **image, imagePullSecretSet="no-such-set")) == (404, missing)
    assert error(create(api, emu, **image, imagePullSecretSet="plain-secrets")) == (404, missing)
    assert error(create(api, emu, **image, secretSet="us-creds")) == (
        404,
        {"error": "Secret set not found", "code": "NOT_FOUND"},
    )
    assert error(create(api, emu, **image, imagePullSecretSet="eu-creds")) == (
        400,
        {
            "error": "Image pull secret set 'eu-creds' is in region 'eu-central' but service "
            "will be created in region 'us-west'. Image pull secrets must be in the same "
            "region as the service.",
            "code": "GENERIC_BAD_REQUEST",
        },
    )
    assert "img" not in emu.agents
    assert create(api, emu, **image, imagePullSecretSet="us-creds").status_code == 200
    assert error(update(api, emu, "img", imagePullSecretSet="eu-creds")) == (
        400,
        {
            "error": "Image pull secret set 'eu-creds' is in region 'eu-central' but service "
            "is in region 'us-west'. Image pull secrets must be in the same region as the "
            "service.",
            "code": "GENERIC_BAD_REQUEST",
        },
    )


# -- deploys by build id, and build look-ups -------------------------------------------------


@pytest.mark.parametrize("status", ["failed", "timeout", "pending", "building"])
def test_only_a_successful_build_deploys(emu: Emulator, api: requests.Session, status: str) -> None:
    # A seeded build still in progress moves on by wall time: keep it there for the test.
    emu.config.pending_seconds = emu.config.building_seconds = 3600.0
    message = f"Build is not ready (status: {status}). Only successful builds can be deployed."
    bad = seeded_build(emu, status=status)
    assert error(create(api, emu, serviceName="rb", buildId=bad)) == (
        400,
        {"error": message, "code": "GENERIC_BAD_REQUEST"},
    )
    good = seeded_build(emu)
    created = create(api, emu, serviceName="rb", buildId=good).json()
    refused = update(api, emu, "rb", buildId=bad)
    assert error(refused) == (400, {"error": message, "code": "GENERIC_BAD_REQUEST"})
    assert get(api, emu, "rb")["desiredDeploymentId"] == created["desiredDeploymentId"]


def test_a_rollback_deploys_an_earlier_build_of_the_agents_region_only(
    emu: Emulator, api: requests.Session, clock: FakeClock
) -> None:
    old, new = seeded_build(emu), seeded_build(emu)
    create(api, emu, serviceName="rb", buildId=old)
    settle(clock, emu)
    update(api, emu, "rb", buildId=new)
    settle(clock, emu)
    back = update(api, emu, "rb", buildId=old.upper())  # a UUID in capitals is the same build
    assert back.status_code == 200 and "warning" not in back.json()
    assert update(api, emu, "rb", buildId=old).json()["warning"]  # already deployed

    elsewhere = seeded_build(emu, region="eu-central")
    assert error(update(api, emu, "rb", buildId=elsewhere)) == (
        400,
        {
            "error": "Build is in region 'eu-central' but service is in region 'us-west'. "
            "Builds must be in the same region as the service.",
            "code": "GENERIC_BAD_REQUEST",
        },
    )
    assert error(update(api, emu, "rb", buildId=str(uuid.uuid4()))) == (
        400,
        {"error": "Build not found", "code": "GENERIC_BAD_REQUEST"},
    )
    both = update(api, emu, "rb", buildId=old, image="me/agent:1")
    assert error(both) == (
        400,
        {
            "error": "Cannot specify both image and buildId. Use one or the other.",
            "code": "GENERIC_BAD_REQUEST",
        },
    )


def test_any_build_can_be_looked_up_by_id(emu: Emulator, api: requests.Session) -> None:
    for status, region in (
        ("success", "us-west"),
        ("failed", "us-west"),
        ("success", "eu-central"),
    ):
        build_id = seeded_build(emu, region=region, status=status)
        answer = api.get(f"{emu.api_url}/v1/builds/{build_id}")
        assert answer.status_code == 200, answer.text
        shown = answer.json()["build"]
        assert (shown["id"], shown["status"], shown["region"]) == (build_id, status, region)
    unknown = api.get(f"{emu.api_url}/v1/builds/{uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.json()["code"] == "NOT_FOUND"
