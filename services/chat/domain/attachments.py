"""Attachments: what an upload must be (metadata, chunk size, declared size and SHA-256 of the
content) and which uploaded attachments a message may carry."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping

from prilavok_platform.errors import FieldViolation, InvalidArgument, Validator
from prilavok_platform.identity import Identity
from services.chat.domain import access
from services.chat.domain.model import Attachment, AttachmentMeta, Thread

MAX_CHUNK_BYTES = 1024 * 1024


class UploadCheck:
    """Checks an upload's content as it streams in: no chunk over MAX_CHUNK_BYTES, never more
    bytes than declared; at the end exactly the declared size and the declared SHA-256."""

    def __init__(self, meta: AttachmentMeta):
        self._meta = meta
        self._digest = hashlib.sha256()
        self.received = 0

    def take(self, chunk: bytes) -> None:
        if len(chunk) > MAX_CHUNK_BYTES:
            raise InvalidArgument(FieldViolation("chunk", f"chunks must be at most {MAX_CHUNK_BYTES} bytes"))
        self.received += len(chunk)
        if self.received > self._meta.size_bytes:
            raise InvalidArgument(FieldViolation("chunk", f"more bytes than metadata.size_bytes={self._meta.size_bytes}"))
        self._digest.update(chunk)

    def finish(self) -> None:
        if self.received != self._meta.size_bytes:
            raise InvalidArgument(FieldViolation(
                "chunk", f"received {self.received} bytes, metadata.size_bytes says {self._meta.size_bytes}"))
        if self._digest.hexdigest() != self._meta.sha256.lower():
            raise InvalidArgument(FieldViolation("metadata.sha256", "does not match the content received"))


def require_sendable(thread: Thread, caller: Identity, attachment_ids: tuple[str, ...], found: Mapping[str, Attachment]) -> None:
    """A message carries only attachments uploaded to its own thread, by the sender's party."""
    v = Validator()
    for i, attachment_id in enumerate(attachment_ids):
        attachment = found.get(attachment_id)
        if attachment is None or attachment.meta.thread_id != thread.thread_id:
            v.add(f"attachment_ids[{i}]", "no such attachment in this thread (upload it first)")
        elif not access.may_send_attachment(attachment.uploader_party, caller):
            v.add(f"attachment_ids[{i}]", "only its uploader may send an attachment")
    v.raise_if_any()
