"""flow/upload.py: the archive to storage, credentials masked, a URL about to expire renewed,
retried under the budget, progress lines on the fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipecat_build.api.storage import StorageError
from pipecat_build.api.transport import HttpResponse
from pipecat_build.flow.pack import Packed
from pipecat_build.flow.tools import Tools
from pipecat_build.flow.upload import ProgressMeter, upload
from tests.unit.fakes import FakeClock, FakeCloud, RecordingReporter


@pytest.fixture
def packed(tmp_path: Path) -> Packed:
    archive = tmp_path / "context.tar.gz"
    archive.write_bytes(b"x" * 1000)
    return Packed("report", "h", 1000, 1, path=archive)


def test_upload_masks_the_credentials_and_sends_the_archive(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter, packed: Packed
) -> None:
    ticket = upload(tools, packed, "us-west")
    assert ticket.upload_id == "upload-1"
    assert out.masks == ["sig1"]  # x-amz-signature; not the key
    assert cloud.storage.posts == 1
    assert out.lines[-1].startswith("uploaded 1000 B in ")


def test_a_url_about_to_expire_is_renewed_first(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter, packed: Packed
) -> None:
    cloud.builds.tickets_left.append(30.0)  # of 900: within the minute's margin
    ticket = upload(tools, packed, "us-west")
    assert "the upload URL is about to expire; asking for a new one" in out.lines
    assert ticket.upload_id == "upload-2"


def test_an_expired_url_is_renewed_and_retried(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter, packed: Packed
) -> None:
    cloud.fail("post_form", StorageError("Request has expired", retryable=True, expired=True))
    ticket = upload(tools, packed, "us-west")
    assert ticket.upload_id == "upload-2"
    assert "the upload URL expired; asking for a new one" in out.lines
    assert cloud.storage.posts == 2


def test_a_storage_refusal_is_not_retried(
    tools: Tools, cloud: FakeCloud, packed: Packed
) -> None:
    cloud.storage.answers.append(HttpResponse(403, "Forbidden", {}, b"<Error><Code>AccessDenied"
                                              b"</Code><Message>no</Message></Error>"))
    with pytest.raises(StorageError):
        upload(tools, packed, "us-west")
    assert cloud.storage.posts == 1


def test_a_retryable_storage_failure_is_retried(
    tools: Tools, cloud: FakeCloud, out: RecordingReporter, packed: Packed
) -> None:
    cloud.storage.answers.append(HttpResponse(503, "Slow Down", {}, b""))
    upload(tools, packed, "us-west")
    assert cloud.storage.posts == 2
    assert out.said("upload: ")


def test_progress_lines_every_few_seconds() -> None:
    clock, lines = FakeClock(), []
    meter = ProgressMeter(1000, lines.append, every=3.0, clock=clock)
    meter.update(100)
    clock.advance(3.0)
    meter.update(250)
    clock.advance(1.0)
    meter.update(300)
    clock.advance(3.0)
    meter.update(1000)
    assert lines == ["uploaded 25.0%  250 B of 1000 B  83 B/s  about 9.0s left"]
