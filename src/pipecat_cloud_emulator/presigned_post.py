"""S3 browser-POST uploads: issuing presigned fields and checking a submitted form.

The emulator signs with its own secret exactly as SigV4 does for POST policies, so a
client that alters, drops or renames a field is refused the way S3 would refuse it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Sequence
from typing import Any

from .s3_error import S3Error, access_denied, policy_failed
from .timefmt import amz_date, iso_ms, parse_iso

SIGNING_REGION = "us-west-2"
ALGORITHM = "AWS4-HMAC-SHA256"
CONTENT_TYPE = "application/gzip"
# Field order as the real service returns it.
FIELD_NAMES = (
    "key",
    "bucket",
    "Content-Type",
    "Policy",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
)
# Fields S3 never expects a policy condition for.
_UNCONDITIONED = {"Policy", "X-Amz-Signature", "file"}
_REDACTED_CONDITIONS = {"x-amz-security-token", "x-amz-credential"}


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


class PostSigner:
    """Holds the emulator's temporary credentials and signs / verifies POST policies."""

    def __init__(self, bucket: str) -> None:
        alphabet = string.ascii_uppercase + string.digits
        self.bucket = bucket
        self.access_key_id = "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))
        self._secret = secrets.token_urlsafe(30)
        self.security_token = "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(240)).decode()

    def signature(self, policy_b64: str, day: str, region: str, service: str) -> str:
        key = _hmac(("AWS4" + self._secret).encode(), day)
        for part in (region, service, "aws4_request"):
            key = _hmac(key, part)
        return hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()

    def issue(self, key: str, max_bytes: int, now: float, expires: float) -> dict[str, str]:
        """The uploadFields for one object key, valid until `expires` (epoch seconds)."""
        date = amz_date(now)
        credential = f"{self.access_key_id}/{date[:8]}/{SIGNING_REGION}/s3/aws4_request"
        policy = {
            "expiration": iso_ms(expires),
            "conditions": [
                {"bucket": self.bucket},
                {"key": key},
                {"Content-Type": CONTENT_TYPE},
                ["content-length-range", 1, max_bytes],
                {"x-amz-algorithm": ALGORITHM},
                {"x-amz-credential": credential},
                {"x-amz-date": date},
                {"x-amz-security-token": self.security_token},
            ],
        }
        policy_b64 = base64.b64encode(json.dumps(policy).encode()).decode()
        return {
            "key": key,
            "bucket": self.bucket,
            "Content-Type": CONTENT_TYPE,
            "Policy": policy_b64,
            "X-Amz-Algorithm": ALGORITHM,
            "X-Amz-Credential": credential,
            "X-Amz-Date": date,
            "X-Amz-Security-Token": self.security_token,
            "X-Amz-Signature": self.signature(policy_b64, date[:8], SIGNING_REGION, "s3"),
        }

    def check_fields(
        self, fields: Sequence[tuple[str, str]], now: float
    ) -> tuple[dict[str, str], tuple[int, int]]:
        """Check everything but the object size; return the form and the allowed size range.

        Raises S3Error with the code S3 uses for the first violation found.
        """
        form: dict[str, str] = {}
        for name, value in fields:
            if name in form:
                raise S3Error(
                    400,
                    "InvalidArgument",
                    f"Field '{name}' was given more than once.",
                    ArgumentName=name,
                )
            form[name] = value
        missing = [name for name in FIELD_NAMES if name not in form]
        if missing:
            name = missing[0]
            raise policy_failed(f'["eq", "${name.lower()}", ...] (field "{name}" is missing)')
        extra = [
            name
            for name in form
            if name not in FIELD_NAMES and not name.lower().startswith("x-ignore-")
        ]
        if extra:
            raise access_denied(
                "Invalid according to Policy: Extra input fields: " + ", ".join(extra)
            )
        self._check_signature(form)
        policy = _decode_policy(form["Policy"])
        try:
            expiration = parse_iso(str(policy.get("expiration")))
        except ValueError:
            raise S3Error(
                400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value."
            ) from None
        if now > expiration:
            raise access_denied("Invalid according to Policy: Policy expired.")
        return form, _check_conditions(policy.get("conditions"), form)

    def _check_signature(self, form: dict[str, str]) -> None:
        if form["X-Amz-Algorithm"] != ALGORITHM:
            raise S3Error(
                400,
                "InvalidArgument",
                "Only AWS4-HMAC-SHA256 is supported for X-Amz-Algorithm.",
                ArgumentName="X-Amz-Algorithm",
            )
        parts = form["X-Amz-Credential"].split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            raise S3Error(
                400,
                "AuthorizationQueryParametersError",
                "Error parsing the X-Amz-Credential parameter; the Credential is "
                'mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
            )
        if parts[0] != self.access_key_id:
            raise S3Error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        expected = self.signature(form["Policy"], parts[1], parts[2], parts[3])
        if not hmac.compare_digest(expected, form["X-Amz-Signature"]):
            raise S3Error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
            )


def _decode_policy(policy_b64: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
    except (binascii.Error, ValueError):
        raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if not isinstance(policy, dict):
        raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    return policy


def _field(form: dict[str, str], condition_name: str) -> str | None:
    """S3 matches condition names to form fields without regard to case."""
    wanted = condition_name.lstrip("$").lower()
    for name, value in form.items():
        if name.lower() == wanted:
            return value
    return None


def _shown(name: str, value: object) -> str:
    bare = name.lstrip("$").lower()
    return "***" if bare in _REDACTED_CONDITIONS else json.dumps(value)


def _check_conditions(conditions: object, form: dict[str, str]) -> tuple[int, int]:
    if not isinstance(conditions, list):
        raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.")
    size_range = (0, 5 * 1024**3)
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, value),) = condition.items()
            actual = _field(form, name)
            if actual != value:
                raise policy_failed(f'["eq", "${name}", {_shown(name, value)}]')
        elif isinstance(condition, list) and len(condition) == 3:
            op, name, value = condition
            if op == "content-length-range":
                size_range = (int(name), int(value))
                continue
            actual = _field(form, str(name))
            if op == "eq":
                ok = actual == value
            else:
                ok = op == "starts-with" and actual is not None and actual.startswith(str(value))
            if not ok:
                raise policy_failed(f'["{op}", "{name}", {_shown(str(name), value)}]')
        else:
            raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition.")
    return size_range


def check_size(size: int, size_range: tuple[int, int]) -> None:
    """S3's content-length-range check on the received object."""
    low, high = size_range
    if size < low:
        raise S3Error(
            400,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            ProposedSize=size,
            MinSizeAllowed=low,
        )
    if size > high:
        raise S3Error(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            ProposedSize=size,
            MaxSizeAllowed=high,
        )
