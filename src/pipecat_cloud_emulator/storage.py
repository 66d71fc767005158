"""The S3-like bucket endpoint: browser-POST uploads checked the way S3 checks them."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from typing import IO, Any, cast

from .backend import StorageBackend
from .faults import STORAGE_ENDPOINT
from .http_common import POST_FAULTS, EmulatorHandler, Reply
from .multipart import BodySource, IncompleteBody, MalformedMultipart, MultipartReader, boundary_of
from .s3_error import S3Error, access_denied

_MAX_PRE_DATA = 20 * 1024
_MALFORMED = "The body of your POST request is not well-formed multipart/form-data."


def _error_reply(error: S3Error) -> Reply:
    return Reply(error.status, error.xml(), "application/xml")


class _Received:
    """What the form carried: fields in order, and the file's digest and size."""

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []
        self.after_file: list[str] = []
        self.file_seen = False
        self.size = 0
        self.md5 = hashlib.md5()
        self.spool_path: str | None = None

    def details(self) -> dict[str, Any]:
        return {
            "form_fields": list(self.fields),
            "file_size": self.size if self.file_seen else None,
        }

    def discard(self) -> None:
        if self.spool_path:
            with contextlib.suppress(OSError):
                os.unlink(self.spool_path)
            self.spool_path = None


class StorageHandler(EmulatorHandler):
    """Accepts uploads only at POST /<bucket>; every other request gets an S3 error."""

    server_label = "storage"

    @property
    def store(self) -> StorageBackend:
        return cast(StorageBackend, self.backend)

    def handle_request(self) -> None:
        bucket_path = self.store.bucket_path
        if self.command != "POST" or self.url_path.rstrip("/") != bucket_path:
            self._not_an_upload(bucket_path)
            return
        if self.headers.get("Transfer-Encoding"):
            self._refuse(
                S3Error(
                    501,
                    "NotImplemented",
                    "A header you provided implies functionality that is not implemented",
                    Header="Transfer-Encoding",
                )
            )
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._refuse(
                S3Error(
                    411, "MissingContentLength", "You must provide the Content-Length HTTP header."
                )
            )
            return
        source = BodySource(self.rfile.read, length)
        fault = self.store.take_fault(STORAGE_ENDPOINT)
        if fault is not None and fault.kind == "stall" and not self.stall(fault):
            self.record("reset")
            return
        if fault is not None and fault.kind not in (*POST_FAULTS, "stall"):
            try:
                source.drain()
            except IncompleteBody:
                self.close_connection = True
                return
            if fault.kind == "reset":
                self.reset()
            else:
                self.send(self.fault_reply(fault, xml=True))
            return
        received = _Received()
        try:
            reply = self._upload(source, received)
        except IncompleteBody:
            received.discard()
            error = S3Error(
                400,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the "
                "Content-Length HTTP header",
            )
            reply = _error_reply(error)
            reply.close = True
        self.deliver(reply, fault, **received.details())

    def _refuse(self, error: S3Error) -> None:
        reply = _error_reply(error)
        reply.close = True
        self.send(reply)

    def _not_an_upload(self, bucket_path: str) -> None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or (length and int(length) > 64 * 1024 * 1024):
            self.close_connection = True
        elif length:
            BodySource(self.rfile.read, int(length)).drain()
        if "Authorization" in self.headers:
            error = S3Error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                "parameter, Signature query string parameter or the Authorization "
                "header should be specified",
                ArgumentName="Authorization",
            )
        elif self.url_path.rstrip("/") == bucket_path or self.url_path.startswith("/_redirect/"):
            error = access_denied("Access Denied")
        else:
            error = S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
        reply = _error_reply(error)
        reply.close = self.close_connection
        self.send(reply)

    def _upload(self, source: BodySource, received: _Received) -> Reply:
        try:
            self._receive(source, received)
            return self._store(received)
        except S3Error as error:
            received.discard()
            return _error_reply(error)

    def _receive(self, source: BodySource, received: _Received) -> None:
        """Read the whole body (so the answer can always be sent), checking its framing."""
        try:
            if "Authorization" in self.headers:
                raise S3Error(
                    400,
                    "InvalidArgument",
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                    "parameter, Signature query string parameter or the Authorization "
                    "header should be specified",
                    ArgumentName="Authorization",
                )
            boundary = boundary_of(self.headers.get("Content-Type", ""))
            if boundary is None:
                raise S3Error(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    Condition="Bucket POST must be of the enclosure-type multipart/form-data",
                )
            self._parse(MultipartReader(source, boundary), received)
        except MalformedMultipart:
            raise S3Error(400, "MalformedPOSTRequest", _MALFORMED) from None
        finally:
            source.drain()
        if not received.file_seen:
            raise S3Error(
                400,
                "InvalidArgument",
                "POST requires exactly one file upload per request.",
                ArgumentName="file",
                ArgumentValue="0",
            )
        if received.after_file:
            raise S3Error(
                400,
                "MalformedPOSTRequest",
                f"{_MALFORMED} The file must be the last field in the form; found "
                f"{', '.join(repr(name) for name in received.after_file)} after it.",
            )

    def _parse(self, reader: MultipartReader, received: _Received) -> None:
        pre_data = 0
        for part in reader.parts():
            if received.file_seen:
                received.after_file.append(part.name or "")
                for _chunk in reader.body():
                    pass
            elif part.name == "file":
                received.file_seen = True
                self._spool(reader, received)
            else:
                value = bytearray()
                for chunk in reader.body():
                    value += chunk
                    pre_data += len(chunk)
                    if pre_data > _MAX_PRE_DATA:
                        raise S3Error(
                            400,
                            "MaxPostPreDataLengthExceededError",
                            "Your POST request fields preceeding the upload file were too large.",
                        )
                received.fields.append((part.name or "", value.decode("utf-8", "replace")))

    def _spool(self, reader: MultipartReader, received: _Received) -> None:
        received.spool_path = self.store.incoming_path()
        handle: IO[bytes] | None = None
        if received.spool_path is not None:
            handle = open(received.spool_path, "wb")  # noqa: SIM115 - closed below
        try:
            for chunk in reader.body():
                received.md5.update(chunk)
                received.size += len(chunk)
                if handle is not None:
                    handle.write(chunk)
        finally:
            if handle is not None:
                handle.close()

    def _store(self, received: _Received) -> Reply:
        location = self.store.accept_object(
            received.fields, received.spool_path, received.md5.hexdigest(), received.size
        )
        received.spool_path = None  # the backend kept (moved) the file
        request_id = uuid.uuid4().hex[:16].upper()
        return Reply(
            204,
            headers=[
                ("ETag", f'"{received.md5.hexdigest()}"'),
                ("Location", location),
                ("x-amz-request-id", request_id),
                ("x-amz-id-2", uuid.uuid4().hex),
            ],
        )
