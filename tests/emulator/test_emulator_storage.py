"""The emulated storage endpoint refuses what S3 refuses for browser POST uploads."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests_toolbelt import MultipartEncoder

from pipecat_cloud_emulator import Emulator, EmulatorConfig
from pipecat_cloud_emulator.multipart import BodySource, MultipartReader

KEY = "pk_emulator_demo"
Fields = list[tuple[str, Any]]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(max_upload_bytes=4096)) as emulator:
        yield emulator


def issue(emu: Emulator) -> dict[str, Any]:
    answer = requests.post(
        f"{emu.api_url}/v1/builds/upload-url",
        json={"region": "us-west"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def file_part(data: bytes) -> tuple[str, tuple[str, bytes, str]]:
    return ("file", ("context.tar.gz", data, "application/gzip"))


def post(url: str, fields: Fields, headers: dict[str, str] | None = None) -> requests.Response:
    encoder = MultipartEncoder(fields=fields)
    return requests.post(
        url, data=encoder, headers={"Content-Type": encoder.content_type, **(headers or {})}
    )


def s3_error(answer: requests.Response) -> tuple[str, str]:
    assert answer.headers["Content-Type"] == "application/xml"
    root = ET.fromstring(answer.content)
    assert root.tag == "Error"
    assert root.findtext("RequestId")
    return root.findtext("Code") or "", root.findtext("Message") or ""


def build_refused(emu: Emulator, upload_id: str) -> bool:
    answer = requests.post(
        f"{emu.api_url}/v1/builds",
        json={"uploadId": upload_id, "region": "us-west"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    return answer.status_code == 400


def test_correct_upload_is_stored_with_its_md5(emu: Emulator) -> None:
    issued = issue(emu)
    data = os.urandom(3000)
    emu.clear_requests()
    answer = post(issued["uploadUrl"], [*issued["uploadFields"].items(), file_part(data)])
    assert answer.status_code == 204
    assert answer.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    stored = emu.uploads[issued["uploadId"]]
    assert (stored["md5"], stored["size"]) == (hashlib.md5(data).hexdigest(), len(data))
    (recorded,) = emu.requests
    assert recorded.server == "storage" and recorded.status == 204
    assert recorded.form_fields == list(issued["uploadFields"].items())
    assert recorded.file_size == len(data)
    assert recorded.body == b""


def test_the_same_fields_may_be_posted_again_and_the_last_wins(emu: Emulator) -> None:
    issued = issue(emu)
    fields = list(issued["uploadFields"].items())
    assert post(issued["uploadUrl"], [*fields, file_part(b"first")]).status_code == 204
    assert post(issued["uploadUrl"], [*fields, file_part(b"second")]).status_code == 204
    assert emu.uploads[issued["uploadId"]]["md5"] == hashlib.md5(b"second").hexdigest()


def _replace(fields: Fields, name: str, value: str) -> Fields:
    return [(key, value if key == name else old) for key, old in fields]


def _tampered_policy(fields: Fields) -> Fields:
    policy = json.loads(base64.b64decode(dict(fields)["Policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if "content-length-range" not in c]
    return _replace(fields, "Policy", base64.b64encode(json.dumps(policy).encode()).decode())


VIOLATIONS: dict[str, Any] = {
    "wrong signature": (
        lambda f: _replace(f, "X-Amz-Signature", "0" * 64),
        403,
        "SignatureDoesNotMatch",
        "",
    ),
    "tampered policy": (_tampered_policy, 403, "SignatureDoesNotMatch", ""),
    "lower-cased signature name": (
        lambda f: [(k.lower() if k == "X-Amz-Signature" else k, v) for k, v in f],
        403,
        "AccessDenied",
        "Policy Condition failed",
    ),
    "lower-cased policy name": (
        lambda f: [(k.lower() if k == "Policy" else k, v) for k, v in f],
        403,
        "AccessDenied",
        "Policy Condition failed",
    ),
    "missing security token": (
        lambda f: [(k, v) for k, v in f if k != "X-Amz-Security-Token"],
        403,
        "AccessDenied",
        "Policy Condition failed",
    ),
    "extra field": (
        lambda f: [*f, ("acl", "public-read")],
        403,
        "AccessDenied",
        "Extra input fields: acl",
    ),
    "wrong content type": (
        lambda f: _replace(f, "Content-Type", "application/x-tar"),
        403,
        "AccessDenied",
        "Policy Condition failed",
    ),
    "other key": (
        lambda f: _replace(f, "key", "org_emulator/other.tar.gz"),
        403,
        "AccessDenied",
        "Policy Condition failed",
    ),
    "empty X-Amz-Date": (
        lambda f: _replace(f, "X-Amz-Date", ""),
        403,
        "AccessDenied",
        "Policy Condition failed",
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_form_violations_are_refused(emu: Emulator, case: str) -> None:
    change, status, code, fragment = VIOLATIONS[case]
    issued = issue(emu)
    fields = change(list(issued["uploadFields"].items()))
    answer = post(issued["uploadUrl"], [*fields, file_part(b"archive bytes")])
    assert answer.status_code == status
    got_code, message = s3_error(answer)
    assert got_code == code
    assert fragment in message
    assert issued["uploadFields"]["X-Amz-Security-Token"] not in answer.text
    assert build_refused(emu, issued["uploadId"])


def test_expired_policy_is_refused() -> None:
    with Emulator(EmulatorConfig(upload_expiry_seconds=-1)) as emu:
        issued = issue(emu)
        answer = post(issued["uploadUrl"], [*issued["uploadFields"].items(), file_part(b"x")])
        assert answer.status_code == 403
        assert s3_error(answer) == ("AccessDenied", "Invalid according to Policy: Policy expired.")


@pytest.mark.parametrize(
    ("size", "code"), [(0, "EntityTooSmall"), (4097, "EntityTooLarge"), (40_000, "EntityTooLarge")]
)
def test_size_outside_the_policy_range_is_refused(emu: Emulator, size: int, code: str) -> None:
    issued = issue(emu)
    answer = post(issued["uploadUrl"], [*issued["uploadFields"].items(), file_part(b"z" * size)])
    assert answer.status_code == 400
    assert s3_error(answer)[0] == code
    assert build_refused(emu, issued["uploadId"])


def test_largest_allowed_size_is_accepted(emu: Emulator) -> None:
    issued = issue(emu)
    answer = post(issued["uploadUrl"], [*issued["uploadFields"].items(), file_part(b"z" * 4096)])
    assert answer.status_code == 204


def test_file_must_be_the_last_part(emu: Emulator) -> None:
    issued = issue(emu)
    fields = list(issued["uploadFields"].items())
    answer = post(issued["uploadUrl"], [*fields[:-1], file_part(b"data"), fields[-1]])
    assert answer.status_code == 400
    assert s3_error(answer)[0] in ("MalformedPOSTRequest", "InvalidArgument")


def test_a_form_without_file_is_refused(emu: Emulator) -> None:
    issued = issue(emu)
    answer = post(issued["uploadUrl"], list(issued["uploadFields"].items()))
    assert answer.status_code == 400
    assert s3_error(answer)[0] == "InvalidArgument"


@pytest.mark.key_sent_to_storage_on_purpose("storage must refuse an Authorization header")
def test_authorization_header_is_refused(emu: Emulator) -> None:
    issued = issue(emu)
    answer = post(
        issued["uploadUrl"],
        [*issued["uploadFields"].items(), file_part(b"data")],
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.status_code == 400
    code, message = s3_error(answer)
    assert code == "InvalidArgument"
    assert "Only one auth mechanism allowed" in message


def test_non_multipart_body_is_refused(emu: Emulator) -> None:
    issued = issue(emu)
    answer = requests.post(issued["uploadUrl"], data=issued["uploadFields"])
    assert answer.status_code == 412
    assert s3_error(answer)[0] == "PreconditionFailed"


def test_malformed_multipart_is_refused(emu: Emulator) -> None:
    issued = issue(emu)
    answer = requests.post(
        issued["uploadUrl"],
        data=b'--xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nvalue',
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert answer.status_code == 400
    assert s3_error(answer)[0] == "MalformedPOSTRequest"


def test_chunked_upload_without_length_is_refused(emu: Emulator) -> None:
    issued = issue(emu)
    encoder = MultipartEncoder(fields=[*issued["uploadFields"].items(), file_part(b"data")])
    body = encoder.to_string()
    answer = requests.post(
        issued["uploadUrl"],
        data=iter([body[:100], body[100:]]),
        headers={"Content-Type": encoder.content_type},
    )
    assert answer.status_code == 501
    assert s3_error(answer)[0] == "NotImplemented"


def test_uploads_larger_than_one_read_chunk_keep_their_md5() -> None:
    data = random.Random(7).randbytes(3 * 1024 * 1024 + 123)
    with Emulator(EmulatorConfig(max_upload_bytes=8 * 1024 * 1024)) as emu:
        issued = issue(emu)
        answer = post(issued["uploadUrl"], [*issued["uploadFields"].items(), file_part(data)])
        assert answer.status_code == 204
        assert emu.uploads[issued["uploadId"]]["md5"] == hashlib.md5(data).hexdigest()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=600).map(
        lambda raw: raw.replace(b"A", b"\r\n--").replace(b"B", b"\r\n")
    ),
    filename=st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20),
)
def test_any_file_content_round_trips(emu: Emulator, data: bytes, filename: str) -> None:
    issued = issue(emu)
    fields = [*issued["uploadFields"].items(), ("file", (filename, data, "application/gzip"))]
    answer = post(issued["uploadUrl"], fields)
    if data:
        assert answer.status_code == 204, answer.text
        assert emu.uploads[issued["uploadId"]]["md5"] == hashlib.md5(data).hexdigest()
    else:
        assert s3_error(answer)[0] == "EntityTooSmall"


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    cuts=st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=30),
    boundary=st.text(alphabet="abcXYZ0123456789'()+_,-./:=?", min_size=1, max_size=70),
)
def test_reader_finds_parts_whatever_the_read_sizes(
    values: list[bytes], cuts: list[int], boundary: str
) -> None:
    delimiter = b"\r\n--" + boundary.encode()
    if any(delimiter in b"\r\n" + value for value in values):
        return  # a real client picks a boundary absent from the content
    body = (
        b"preamble\r\n"
        + b"".join(
            b"--"
            + boundary.encode()
            + f'\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
            for i, value in enumerate(values)
        )
        + b"--"
        + boundary.encode()
        + b"--\r\nepilogue"
    )
    position = 0
    sizes = iter(cuts * (len(body) // max(min(cuts), 1) + 1))

    def read(limit: int) -> bytes:
        nonlocal position
        piece = body[position : position + min(limit, next(sizes))]
        position += len(piece)
        return piece

    reader = MultipartReader(BodySource(read, len(body)), boundary.encode())
    seen = []
    for part in reader.parts():
        seen.append((part.name, b"".join(reader.body())))
    assert seen == [(f"f{i}", value) for i, value in enumerate(values)]
