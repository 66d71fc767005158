"""Issue 20 §6: presigned upload fields are masked by what they are, not by a list of S3
SigV4 names: a storage that signs another way still has its credentials hidden."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipecat_build.flow.upload import new_ticket
from pipecat_build.models import UploadTicket
from pipecat_build.redact import is_sensitive_upload_field


@pytest.mark.parametrize(
    "name",
    ["policy", "Policy", "x-amz-signature", "X-Amz-Credential", "x-amz-security-token",
     "signature", "AWSAccessKeyId", "GoogleAccessId", "x-goog-signature", "x-goog-credential",
     "x_amz_security_token", "sessionToken", "x-ms-sig", "sig", "client_secret", "auth",
     "X-Custom-Token", "key-id", "access_key"],
)
def test_credential_fields_are_sensitive(name: str) -> None:
    assert is_sensitive_upload_field(name)


@pytest.mark.parametrize("name", ["key", "Content-Type", "success_action_status", "bucket",
                                  "x-amz-algorithm", "x-amz-date", "acl"])
def test_plain_fields_are_not(name: str) -> None:
    assert not is_sensitive_upload_field(name)


def test_a_new_ticket_masks_its_credentials_before_anything_prints() -> None:
    fields = [("key", "uploads/ctx.tar.gz"), ("GoogleAccessId", "svc@example.iam"),
              ("x-goog-signature", "c2lnbmF0dXJl"), ("policy", "eyJwb2xpY3kiOnt9fQ==")]
    ticket = UploadTicket("u1", "https://storage.example/bucket", fields, expires_at=0.0)
    masked: list[str] = []
    tools = SimpleNamespace(
        builds=SimpleNamespace(request_upload=lambda region: ticket),
        out=SimpleNamespace(mask=masked.append),
    )
    assert new_ticket(tools, "us-west") is ticket  # type: ignore[arg-type]
    assert masked == ["svc@example.iam", "c2lnbmF0dXJl", "eyJwb2xpY3kiOnt9fQ=="]
