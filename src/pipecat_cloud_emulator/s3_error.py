"""S3's error answers: an exception carrying the status and the XML body S3 would send."""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape


class S3Error(Exception):
    """A refusal by the storage endpoint, rendered as S3's <Error> document."""

    def __init__(self, status: int, code: str, message: str, **details: object) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def xml(self) -> bytes:
        extra = "".join(
            f"<{name}>{escape(str(value))}</{name}>" for name, value in self.details.items()
        )
        request_id = uuid.uuid4().hex[:16].upper()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
            f"{extra}<RequestId>{request_id}</RequestId>"
            f"<HostId>{uuid.uuid4().hex}</HostId></Error>"
        ).encode()


def access_denied(message: str) -> S3Error:
    return S3Error(403, "AccessDenied", message)


def policy_failed(condition: str) -> S3Error:
    return access_denied(f"Invalid according to Policy: Policy Condition failed: {condition}")
