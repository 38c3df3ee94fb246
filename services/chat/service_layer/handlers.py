"""Chat use cases."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import AsyncIterator

from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, PermissionDenied, Validator
from services.chat.domain.model import (
    Attachment,
    AttachmentMeta,
    ChatPolicy,
    Message,
    MessageStatus,
    NewThread,
    Thread,
    ThreadKind,
    ThreadStatus,
    open_thread,
    party_key,
    stable_id,
    validate_attachment,
    validate_message,
)
from services.chat.service_layer.ports import AttachmentStore, ChatRepository, ModerationGateway, ThreadFilter

MAX_CHUNK_BYTES = 1024 * 1024

DELIVERING_ACTIONS = {"ALLOW": MessageStatus.DELIVERED, "WARN": MessageStatus.DELIVERED, "MASK": MessageStatus.DELIVERED,
                      "REVIEW": MessageStatus.HELD, "BLOCK": MessageStatus.BLOCKED}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ChatHandlers:
    def __init__(self, repository: ChatRepository, moderation: ModerationGateway, policy: ChatPolicy,
                 attachments: AttachmentStore | None = None, clock=utcnow):
        self._repo = repository
        self._moderation = moderation
        self._attachments = attachments
        self.policy = policy
        self._clock = clock

    async def create_thread(self, caller: Identity, cmd: NewThread) -> tuple[Thread, bool]:
        thread = open_thread(cmd, caller, self._clock(), self.policy)
        if thread.linked_thread_id:
            linked = await self._repo.get_thread(thread.linked_thread_id)
            if linked is None:
                raise NotFound(f"linked thread {thread.linked_thread_id} not found", reason="THREAD_NOT_FOUND")
            linked.require_visible(caller)
        return await self._repo.create_thread(thread)

    async def get_thread(self, caller: Identity, thread_id: str) -> tuple[Thread, str | None]:
        v = Validator()
        v.identifier(thread_id, "thread_id")
        v.raise_if_any()
        thread = await self._repo.get_thread(thread_id)
        if thread is None:
            raise NotFound(f"thread {thread_id} not found", reason="THREAD_NOT_FOUND")
        return thread, thread.require_visible(caller)

    async def list_threads(self, caller: Identity, flt: ThreadFilter, limit: int, cursor: dict | None) -> list[Thread]:
        if caller.role in (Role.MODERATOR, Role.SERVICE):
            raise PermissionDenied("list threads as a participant; staff open threads by id", reason="ROLE_NOT_ALLOWED")
        return await self._repo.list_threads(flt, limit, cursor)

    async def send_message(
        self, caller: Identity, *, thread_id: str, request_id: str, text: str, attachment_ids: list[str]
    ) -> tuple[Message, bool]:
        validate_message(text, attachment_ids, request_id, thread_id, self.policy)
        thread, _ = await self.get_thread(caller, thread_id)
        side = thread.require_writable_by(caller)
        if attachment_ids:
            await self._check_attachments(caller, thread, attachment_ids)
        # Derived from the request, so a retry is recognised even after a crash.
        message_id = stable_id("message", thread_id, party_key(caller), caller.user_id, request_id)
        decision = await self._moderation.check(message_id=message_id, thread=thread, sender=caller, text=text)
        status = DELIVERING_ACTIONS.get(decision.action, MessageStatus.BLOCKED)
        delivered_text = decision.masked_text if decision.action == "MASK" and decision.masked_text else text
        now = self._clock()
        message = Message(
            message_id=message_id,
            thread_id=thread_id,
            seq=0,
            sender=caller,
            text=delivered_text,
            status=status,
            created_at=now,
            original_text=text if delivered_text != text or status is not MessageStatus.DELIVERED else "",
            attachment_ids=tuple(attachment_ids),
            moderation_action=decision.action,
            moderation_categories=decision.categories,
            moderation_reason=decision.reason,
            policy_version=decision.policy_version,
        )
        reply_due = thread.reply_due_after(side, now, self.policy) if status is MessageStatus.DELIVERED else (False, None)
        return await self._repo.append_message(thread, side, message, reply_due)

    async def list_messages(
        self, caller: Identity, thread_id: str, *, newer: bool, after_seq: int | None, limit: int
    ) -> list[Message]:
        thread, side = await self.get_thread(caller, thread_id)
        viewer = None if side is None else party_key(caller)  # staff see held/blocked too
        return await self._repo.list_messages(thread_id, viewer, newer, after_seq, limit)

    async def mark_read(self, caller: Identity, thread_id: str, up_to_seq: int) -> int:
        thread, side = await self.get_thread(caller, thread_id)
        if side is None:
            raise PermissionDenied("only participants mark a thread read", reason="NOT_A_PARTICIPANT")
        if up_to_seq < 0:
            v = Validator()
            v.add("up_to_seq", "must not be negative")
            v.raise_if_any()
        return await self._repo.mark_read(thread, side, caller, up_to_seq, self._clock())

    async def close_thread(self, caller: Identity, thread_id: str, reason: str) -> Thread:
        v = Validator()
        v.text(reason, "reason", max_len=500, required=False)
        v.raise_if_any()
        thread, side = await self.get_thread(caller, thread_id)
        if side is None and caller.role is not Role.SUPPORT:
            raise PermissionDenied("only participants or support close a thread", reason="NOT_A_PARTICIPANT")
        if thread.status is ThreadStatus.CLOSED:
            raise FailedPrecondition(f"thread {thread_id} is already closed", reason="THREAD_CLOSED")
        return await self._repo.close_thread(thread, caller, reason, self._clock())

    async def _check_attachments(self, caller: Identity, thread: Thread, attachment_ids: list[str]) -> None:
        assert self._attachments is not None
        found = {a.attachment_id: a for a in await self._attachments.get_many(list(dict.fromkeys(attachment_ids)))}
        v = Validator()
        for i, attachment_id in enumerate(attachment_ids):
            attachment = found.get(attachment_id)
            if attachment is None or attachment.meta.thread_id != thread.thread_id:
                v.add(f"attachment_ids[{i}]", "no such attachment in this thread (upload it first)")
            elif attachment.uploader_party != party_key(caller):
                v.add(f"attachment_ids[{i}]", "only its uploader may send an attachment")
        v.raise_if_any()

    async def upload_attachment(self, caller: Identity, meta: AttachmentMeta, chunks: AsyncIterator[bytes]) -> Attachment:
        """Streams the content into storage, checking size and SHA-256 as it goes; on any
        problem the partial upload is removed."""
        assert self._attachments is not None
        validate_attachment(meta, self.policy)
        thread, _ = await self.get_thread(caller, meta.thread_id)
        thread.require_writable_by(caller)
        attachment_id = uuid.uuid4().hex
        upload = self._attachments.open_upload(attachment_id, meta, party_key(caller))
        digest, received = hashlib.sha256(), 0
        try:
            async for chunk in chunks:
                if len(chunk) > MAX_CHUNK_BYTES:
                    raise InvalidArgument(FieldViolation("chunk", f"chunks must be at most {MAX_CHUNK_BYTES} bytes"))
                received += len(chunk)
                if received > meta.size_bytes:
                    raise InvalidArgument(FieldViolation("chunk", f"more bytes than metadata.size_bytes={meta.size_bytes}"))
                digest.update(chunk)
                await upload.write(chunk)
            if received != meta.size_bytes:
                raise InvalidArgument(FieldViolation("chunk", f"received {received} bytes, metadata.size_bytes says {meta.size_bytes}"))
            if digest.hexdigest() != meta.sha256.lower():
                raise InvalidArgument(FieldViolation("metadata.sha256", "does not match the content received"))
            await upload.close()
        except BaseException:
            await upload.abort()
            raise
        stored = await self._attachments.get(attachment_id)
        assert stored is not None
        return stored

    async def download_attachment(self, caller: Identity, attachment_id: str) -> tuple[Attachment, AsyncIterator[bytes]]:
        assert self._attachments is not None
        v = Validator()
        v.identifier(attachment_id, "attachment_id")
        v.raise_if_any()
        attachment = await self._attachments.get(attachment_id)
        if attachment is None:
            raise NotFound(f"attachment {attachment_id} not found", reason="ATTACHMENT_NOT_FOUND")
        await self.get_thread(caller, attachment.meta.thread_id)  # visibility of its thread
        return attachment, self._attachments.read(attachment_id)

    async def rate_thread(self, caller: Identity, thread_id: str, score: int, comment: str) -> Thread:
        v = Validator()
        v.require(1 <= score <= 5, "score", "must be between 1 and 5")
        v.text(comment, "comment", max_len=1000, required=False)
        v.raise_if_any()
        thread, side = await self.get_thread(caller, thread_id)
        if thread.kind is not ThreadKind.SUPPORT:
            raise FailedPrecondition("only support threads are rated", reason="NOT_A_SUPPORT_THREAD")
        if side != "author":
            raise PermissionDenied("only the author of a support request rates its answer", reason="NOT_THE_AUTHOR")
        if thread.rating:
            raise FailedPrecondition(f"thread {thread_id} is already rated", reason="ALREADY_RATED")
        answered = thread.last_seq > 0 and thread.reply_due_at is None  # support spoke last
        if thread.status is not ThreadStatus.CLOSED and not answered:
            raise FailedPrecondition("a support thread is rated once it is answered or closed", reason="NOT_YET_ANSWERED")
        return await self._repo.rate_thread(thread, score, comment, self._clock())

    async def release_held(self, message_id: str, *, approved: bool, comment: str) -> bool:
        """A moderator decided on a held message: approved ones are delivered now, rejected ones
        stay undelivered (and the sender is told). Idempotent: only a HELD message changes."""
        return await self._repo.release_held(message_id, approved, comment, self._clock(), self.policy)
