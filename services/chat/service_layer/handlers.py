"""Chat use cases: one handler per command. Load through the repositories, let the domain decide,
save and emit in one unit of work. Orchestration only."""
from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from prilavok_platform.clock import Clock
from prilavok_platform.errors import Aborted, FieldViolation, InvalidArgument, NotFound, Validator
from prilavok_platform.identity import Identity, Party
from prilavok_platform.ids import random_id
from prilavok_platform.pagination import page_size
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.chat.domain import access, commands, conversation
from services.chat.domain.deadlines import ANNOUNCEABLE, announce_deadline
from services.chat.domain.model import Attachment, ChatPolicy, Message, Side, Thread, validate_attachment, validate_message
from services.chat.domain.threads import open_thread
from services.chat.service_layer.ports import (
    AlreadyStored,
    AttachmentStore,
    ChatRepositories,
    LiveEvents,
    LiveSubscription,
    ModerationGateway,
    ThreadFilter,
)

MAX_CHUNK_BYTES = 1024 * 1024
MAX_MESSAGES_PAGE = 200
# A save from a stale copy reloads and decides again; this many times before giving up.
MAX_STALE_SAVES = 5

T = TypeVar("T")
Tx = Transaction[ChatRepositories]


@dataclass(frozen=True)
class ThreadView:
    thread: Thread
    viewer_side: Side | None


@dataclass(frozen=True)
class ThreadPage:
    threads: list[Thread]
    next_page_token: str


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    next_page_token: str


def _not_found(thread_id: str) -> NotFound:
    return NotFound(f"thread {thread_id} not found", reason="THREAD_NOT_FOUND")


def _require_id(value: str, field: str) -> None:
    v = Validator()
    v.identifier(value, field)
    v.raise_if_any()


async def change_thread(
    tx: Tx, thread_id: str, known: Thread | None, change: Callable[[Thread], Awaitable[tuple[T, bool]]]
) -> T:
    """Applies `change` (which returns its result and whether the thread changed) to the thread
    and saves it. Starts from `known` (read before the transaction, so the hot path reads once);
    if that copy turns out stale, reloads inside the transaction and decides again."""
    current = known.snapshot() if known is not None else await tx.repos.threads.get(thread_id)
    for _ in range(MAX_STALE_SAVES):
        if current is None:
            raise _not_found(thread_id)
        result, changed = await change(current)
        if not changed or await tx.repos.threads.save(current):
            return result
        current = await tx.repos.threads.get(thread_id)
    raise Aborted(f"thread {thread_id} changes too often right now; retry", reason="CONCURRENT_UPDATE")


class ChatHandlers:
    def __init__(self, uow: UnitOfWork[ChatRepositories], policy: PolicyHolder[ChatPolicy], clock: Clock,
                 moderation: ModerationGateway, attachments: AttachmentStore, live: LiveEvents):
        self._uow = uow
        self._policy = policy
        self._clock = clock
        self._moderation = moderation
        self._attachments = attachments
        self._live = live

    async def _visible(self, caller: Identity, thread_id: str) -> ThreadView:
        _require_id(thread_id, "thread_id")
        thread = await self._uow.reader().threads.get(thread_id)
        if thread is None:
            raise _not_found(thread_id)
        return ThreadView(thread, access.require_may_read(thread, caller))

    # --- threads ------------------------------------------------------------------------

    async def create_thread(self, cmd: commands.CreateThread) -> tuple[Thread, bool]:
        thread, event = open_thread(cmd, self._clock.now(), self._policy.current)
        if thread.linked_thread_id:
            linked = await self._uow.reader().threads.get(thread.linked_thread_id)
            if linked is None:
                raise NotFound(f"linked thread {thread.linked_thread_id} not found", reason="THREAD_NOT_FOUND")
            access.require_may_read(linked, cmd.caller)

        async def work(tx: Tx) -> Thread:
            await tx.repos.threads.add(thread)
            tx.emit(event)
            return thread

        try:
            return await self._uow.transaction(work), True
        except AlreadyStored:
            existing = await self._uow.reader().threads.get(thread.thread_id)
            if existing is None:
                raise
            return existing, False

    async def get_thread(self, cmd: commands.GetThread) -> ThreadView:
        return await self._visible(cmd.caller, cmd.thread_id)

    async def list_threads(self, cmd: commands.ListThreads) -> ThreadPage:
        party = access.require_may_list_threads(cmd.caller)
        flt = ThreadFilter(party, cmd.kind, cmd.status, cmd.unread_only, cmd.order_id)
        threads, token = await self._uow.reader().threads.page(flt, page_size(cmd.page_size), cmd.page_token)
        return ThreadPage(threads, token)

    async def close_thread(self, cmd: commands.CloseThread) -> Thread:
        view = await self._visible(cmd.caller, cmd.thread_id)
        access.require_may_close(view.thread, cmd.caller)
        now = self._clock.now()

        async def work(tx: Tx) -> Thread:
            async def close(thread: Thread) -> tuple[Thread, bool]:
                tx.events.clear()
                tx.emit(conversation.close(thread, cmd.caller, cmd.reason, now))
                return thread, True

            return await change_thread(tx, cmd.thread_id, view.thread, close)

        return await self._uow.transaction(work)

    async def rate_thread(self, cmd: commands.RateThread) -> Thread:
        conversation.validate_rating(cmd.score, cmd.comment)
        view = await self._visible(cmd.caller, cmd.thread_id)
        access.require_may_rate(view.thread, cmd.caller)
        now = self._clock.now()

        async def work(tx: Tx) -> Thread:
            async def rate(thread: Thread) -> tuple[Thread, bool]:
                conversation.rate(thread, cmd.score, cmd.comment, now)
                return thread, True

            return await change_thread(tx, cmd.thread_id, view.thread, rate)

        return await self._uow.transaction(work)

    # --- messages -----------------------------------------------------------------------

    async def send_message(self, cmd: commands.SendMessage) -> tuple[Message, bool]:
        """Hot path: one thread read, one moderation call (no transaction open across it), then
        one transaction of three writes (thread, message, outbox event)."""
        policy = self._policy.current
        validate_message(cmd.text, cmd.attachment_ids, cmd.request_id, cmd.thread_id, policy)
        view = await self._visible(cmd.caller, cmd.thread_id)
        side = access.require_may_write(view.thread, cmd.caller)
        conversation.require_open(view.thread)
        if cmd.attachment_ids:
            await self._check_attachments(cmd.caller, view.thread, cmd.attachment_ids)
        message_id = conversation.message_id_for(cmd.thread_id, cmd.caller, cmd.request_id)
        decision = await self._moderation.check(message_id=message_id, thread=view.thread, sender=cmd.caller, text=cmd.text)
        now = self._clock.now()

        async def work(tx: Tx) -> Message:
            message = conversation.moderated_message(
                message_id=message_id, thread_id=cmd.thread_id, sender=cmd.caller, side=side, text=cmd.text,
                attachment_ids=cmd.attachment_ids, decision=decision, at=now,
            )

            async def accept(thread: Thread) -> tuple[None, bool]:
                tx.events.clear()
                tx.emit(conversation.accept_message(thread, message, policy))
                return None, True

            await change_thread(tx, cmd.thread_id, view.thread, accept)
            await tx.repos.messages.add(message)
            return message

        try:
            stored, created = await self._uow.transaction(work), True
        except AlreadyStored:
            existing = await self._uow.reader().messages.get(message_id)
            if existing is None:
                raise
            stored, created = existing, False
        return conversation.as_seen_by(stored, cmd.caller), created

    async def _check_attachments(self, caller: Identity, thread: Thread, attachment_ids: tuple[str, ...]) -> None:
        found = {a.attachment_id: a for a in await self._attachments.get_many(list(dict.fromkeys(attachment_ids)))}
        v = Validator()
        for i, attachment_id in enumerate(attachment_ids):
            attachment = found.get(attachment_id)
            if attachment is None or attachment.meta.thread_id != thread.thread_id:
                v.add(f"attachment_ids[{i}]", "no such attachment in this thread (upload it first)")
            elif not access.may_send_attachment(attachment.uploader_party, caller):
                v.add(f"attachment_ids[{i}]", "only its uploader may send an attachment")
        v.raise_if_any()

    async def list_messages(self, cmd: commands.ListMessages) -> MessagePage:
        size = page_size(cmd.page_size, maximum=MAX_MESSAGES_PAGE)
        if cmd.start_seq < 0:
            raise InvalidArgument(FieldViolation("start_seq", "must not be negative"))
        view = await self._visible(cmd.caller, cmd.thread_id)
        audience = access.message_audience(view.thread, cmd.caller)
        messages, token = await self._uow.reader().messages.page(
            cmd.thread_id, audience, newer=cmd.newer, start_seq=cmd.start_seq, size=size, token=cmd.page_token
        )
        return MessagePage([conversation.as_seen_by(m, cmd.caller) for m in messages], token)

    async def mark_read(self, cmd: commands.MarkRead) -> int:
        view = await self._visible(cmd.caller, cmd.thread_id)
        side = access.require_may_mark_read(view.thread, cmd.caller)
        conversation.read_position(view.thread, side, cmd.up_to_seq)  # validates before any write
        now = self._clock.now()

        async def work(tx: Tx) -> int:
            async def read(thread: Thread) -> tuple[int, bool]:
                up_to = conversation.read_position(thread, side, cmd.up_to_seq)
                unread = await tx.repos.messages.count_unread(thread.thread_id, side, up_to)
                before = (thread.read_seq.get(side, 0), thread.unread.get(side, 0))
                event = conversation.mark_read(thread, cmd.caller, side, up_to, unread, now)
                tx.events.clear()
                if event is not None:
                    tx.emit(event)
                return unread, before != (thread.read_seq.get(side, 0), unread)

            return await change_thread(tx, cmd.thread_id, view.thread, read)

        return await self._uow.transaction(work)

    async def release_held(self, cmd: commands.ReleaseHeld) -> bool:
        """Idempotent: only a HELD message changes; a redelivered decision returns False."""
        now, policy = self._clock.now(), self._policy.current

        async def work(tx: Tx) -> bool:
            message = await tx.repos.messages.get(cmd.message_id)
            if message is None:
                return False

            async def release(thread: Thread) -> tuple[Message | None, bool]:
                tx.events.clear()
                candidate = message.snapshot()  # a stale thread decides again from the stored message
                event = conversation.release_held(thread, candidate, approved=cmd.approved, comment=cmd.comment, at=now, policy=policy)
                if event is None:
                    return None, False
                tx.emit(event)
                return candidate, True

            released = await change_thread(tx, message.thread_id, None, release)
            if released is not None:
                await tx.repos.messages.save(released)
            return released is not None

        return await self._uow.transaction(work)

    async def announce_deadlines(self, cmd: commands.AnnounceDeadlines) -> int:
        """Emits one 'approaching' and one 'breached' event per reply deadline. Safe in every
        replica: the state is saved with the thread's version, so only one announces."""
        now, policy = self._clock.now(), self._policy.current
        due = await self._uow.reader().threads.with_deadline_due(ANNOUNCEABLE, now + policy.remind_before, cmd.limit)
        announced = 0
        for thread in due:

            async def work(tx: Tx, thread: Thread = thread) -> bool:
                async def step(current: Thread) -> tuple[bool, bool]:
                    tx.events.clear()
                    event = announce_deadline(current, now, policy)
                    if event is not None:
                        tx.emit(event)
                    return event is not None, event is not None

                return await change_thread(tx, thread.thread_id, thread, step)

            announced += await self._uow.transaction(work)
        return announced

    # --- attachments and the live feed -------------------------------------------------

    async def upload_attachment(self, cmd: commands.UploadAttachment, chunks: AsyncIterator[bytes]) -> Attachment:
        """Streams the content into storage, checking size and SHA-256 as it goes; on any
        problem the partial upload is removed."""
        meta = cmd.meta
        validate_attachment(meta, self._policy.current)
        view = await self._visible(cmd.caller, meta.thread_id)
        access.require_may_write(view.thread, cmd.caller)
        conversation.require_open(view.thread)
        attachment_id = random_id()
        upload = self._attachments.open_upload(attachment_id, meta, Party.of(cmd.caller))
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

    async def download_attachment(self, cmd: commands.DownloadAttachment) -> tuple[Attachment, AsyncIterator[bytes]]:
        _require_id(cmd.attachment_id, "attachment_id")
        attachment = await self._attachments.get(cmd.attachment_id)
        if attachment is None:
            raise NotFound(f"attachment {cmd.attachment_id} not found", reason="ATTACHMENT_NOT_FOUND")
        await self._visible(cmd.caller, attachment.meta.thread_id)  # who may read the thread may read its files
        return attachment, self._attachments.read(cmd.attachment_id)

    async def stream_events(self, cmd: commands.StreamEvents) -> LiveSubscription:
        if cmd.thread_id:
            await self._visible(cmd.caller, cmd.thread_id)
        return self._live.subscribe(
            Party.of(cmd.caller), all_of_thread=access.sees_all_thread_events(cmd.caller), thread_id=cmd.thread_id
        )
