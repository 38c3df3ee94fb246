"""Chat use cases: one handler per command. Load through the repositories, let the domain decide,
save and emit in one unit of work. Orchestration only."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from prilavok_platform.clock import Clock
from prilavok_platform.errors import Aborted, NotFound, require_ids
from prilavok_platform.identity import Identity, Party
from prilavok_platform.ids import random_id
from prilavok_platform.pagination import page_size
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.chat.domain import access, commands, conversation, reading, standing
from services.chat.domain.attachments import UploadCheck, require_sendable
from services.chat.domain.deadlines import announce_deadline, deadlines_due
from services.chat.domain.model import Attachment, ChatPolicy, Message, Side, Thread, validate_attachment, validate_message
from services.chat.domain.threads import found_thread, requested_thread, require_linkable, start_thread
from services.chat.service_layer.ports import (
    AlreadyStored,
    AttachmentStore,
    ChatRepositories,
    LiveEvents,
    LiveSubscription,
    ModerationGateway,
    ThreadFilter,
)

# A save from a stale copy reloads and decides again; this many times before giving up.
MAX_STALE_SAVES = 5

T = TypeVar("T")
Tx = Transaction[ChatRepositories]


@dataclass(frozen=True)
class ThreadView:
    """A thread as one caller sees it: `viewer_side` None for staff (no unread count of their own)."""

    thread: Thread
    viewer_side: Side | None


class ThreadOpened(NamedTuple):
    """CreateThread's answer: the thread as the caller sees it, whether the request started it
    (as the first request under its request id answered: true again on a replay), and whether
    this answer replays that request (threads.found_thread says which requests are replays)."""

    view: ThreadView
    created: bool
    replayed: bool = False


class MessageSent(NamedTuple):
    """SendMessage's answer: the message as the sender sees it, whether the request stored it (as
    the first request under its request id answered: true again on a replay), and whether this
    answer replays that request (any request that finds its message: the message id is made of
    the thread, the sender and the request id)."""

    message: Message
    created: bool
    replayed: bool = False


@dataclass(frozen=True)
class ThreadPage:
    threads: list[ThreadView]
    next_page_token: str


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    next_page_token: str


@dataclass(frozen=True)
class Change(Generic[T]):
    """What the domain decided for one thread: the result, whether the thread changed (and must be
    saved), and the events to emit once the save succeeded."""

    result: T
    changed: bool = True
    events: tuple[object, ...] = ()


def _not_found(thread_id: str) -> NotFound:
    return NotFound(f"thread {thread_id} not found", reason="THREAD_NOT_FOUND")


async def change_thread(tx: Tx, thread_id: str, known: Thread | None, change: Callable[[Thread], Awaitable[Change[T]]]) -> T:
    """Applies `change` to the thread, saves it and emits the change's events. Starts from `known`
    (read before the transaction, so the hot path reads once); if that copy turns out stale,
    reloads inside the transaction and decides again (the stale attempt's events are dropped,
    and only they: other events of the transaction stay)."""
    current = known.snapshot() if known is not None else await tx.repos.threads.get(thread_id)
    for _ in range(MAX_STALE_SAVES):
        if current is None:
            raise _not_found(thread_id)
        outcome = await change(current)
        if not outcome.changed or await tx.repos.threads.save(current):
            tx.emit(*outcome.events)
            return outcome.result
        current = await tx.repos.threads.get(thread_id)
    raise Aborted(f"thread {thread_id} changes too often right now; retry", reason="CONCURRENT_UPDATE")


def _found(existing: Thread, requested: Thread, cmd: commands.CreateThread) -> ThreadOpened:
    """CreateThread's answer with a stored thread: a replay of the request that started it
    (created, as first answered) or a thread someone else started (not created, as it is now)."""
    thread, replayed = found_thread(existing, requested, cmd.request_id)
    return ThreadOpened(ThreadView(thread, thread.side_of(cmd.caller)), replayed, replayed)


def _events(*maybe: object | None) -> tuple[object, ...]:
    return tuple(e for e in maybe if e is not None)


class ChatHandlers:
    def __init__(self, uow: UnitOfWork[ChatRepositories], policy: PolicyHolder[ChatPolicy], clock: Clock,
                 moderation: ModerationGateway, attachments: AttachmentStore, live: LiveEvents):
        self._uow = uow
        self._policy = policy
        self._clock = clock
        self._moderation = moderation
        self._attachments = attachments
        self._live = live
        # The suspensions in force as this process last read them (refresh_suspensions): looked
        # up in memory on every send, so the hot path makes no extra round trip. Reads are
        # numbered as they start; one is applied only if none started after it was applied.
        self._suspensions = standing.NO_SUSPENSIONS
        self._suspension_reads_started = 0
        self._suspension_read_applied = 0

    def _require_not_suspended(self, writer: Identity, thread: Thread) -> None:
        standing.require_not_suspended(writer, thread, self._suspensions, self._clock.now(), self._policy.current)

    async def _load(self, thread_id: str) -> Thread:
        require_ids(thread_id=thread_id)
        thread = await self._uow.reader().threads.get(thread_id)
        if thread is None:
            raise _not_found(thread_id)
        return thread

    async def _visible(self, caller: Identity, thread_id: str) -> ThreadView:
        thread = await self._load(thread_id)
        return ThreadView(thread, access.require_may_read(thread, caller))

    # --- threads ------------------------------------------------------------------------

    async def create_thread(self, cmd: commands.CreateThread) -> ThreadOpened:
        """Finds the thread the request names (a retry, replayed as first answered; or the other
        side's order chat, as it is now) before the rules of starting one apply; starts it otherwise."""
        thread = requested_thread(cmd, self._clock.now(), self._policy.current)
        existing = await self._uow.reader().threads.get(thread.thread_id)
        if existing is not None:
            return _found(existing, thread, cmd)
        event = start_thread(thread, cmd.caller)
        if thread.side_of(cmd.caller) is not None:  # the opener writes in it (a service opening one for others does not)
            self._require_not_suspended(cmd.caller, thread)
        if thread.linked_thread_id:
            linked = await self._uow.reader().threads.get(thread.linked_thread_id)
            require_linkable(linked, thread.linked_thread_id, cmd.caller)

        async def work(tx: Tx) -> Thread:
            await tx.repos.threads.add(thread)
            tx.emit(event)
            return thread

        try:
            stored = await self._uow.transaction(work)
        except AlreadyStored:  # started meanwhile: by this same request sent twice at once (a replay), or by another
            existing = await self._uow.reader().threads.get(thread.thread_id)
            if existing is None:
                raise
            return _found(existing, thread, cmd)
        return ThreadOpened(ThreadView(stored, stored.side_of(cmd.caller)), True)

    async def get_thread(self, cmd: commands.GetThread) -> ThreadView:
        return await self._visible(cmd.caller, cmd.thread_id)

    async def list_threads(self, cmd: commands.ListThreads) -> ThreadPage:
        party = access.require_may_list_threads(cmd.caller)
        flt = ThreadFilter(party, cmd.kind, cmd.status, cmd.unread_only, cmd.order_id)
        threads, token = await self._uow.reader().threads.page(flt, page_size(cmd.page_size), cmd.page_token)
        return ThreadPage([ThreadView(t, t.side_of(cmd.caller)) for t in threads], token)

    async def close_thread(self, cmd: commands.CloseThread) -> ThreadView:
        view = await self._visible(cmd.caller, cmd.thread_id)
        access.require_may_close(view.thread, cmd.caller)
        now = self._clock.now()

        async def work(tx: Tx) -> Thread:
            async def close(thread: Thread) -> Change[Thread]:
                event = conversation.close(thread, cmd.caller, cmd.reason, now)
                return Change(thread, event is not None, _events(event))

            return await change_thread(tx, cmd.thread_id, view.thread, close)

        return ThreadView(await self._uow.transaction(work), view.viewer_side)

    async def rate_thread(self, cmd: commands.RateThread) -> ThreadView:
        conversation.validate_rating(cmd.score, cmd.comment)
        view = await self._visible(cmd.caller, cmd.thread_id)
        access.require_may_rate(view.thread, cmd.caller)
        now = self._clock.now()

        async def work(tx: Tx) -> Thread:
            async def rate(thread: Thread) -> Change[Thread]:
                return Change(thread, conversation.rate(thread, cmd.score, cmd.comment, now))

            return await change_thread(tx, cmd.thread_id, view.thread, rate)

        return ThreadView(await self._uow.transaction(work), view.viewer_side)

    # --- messages -----------------------------------------------------------------------

    async def send_message(self, cmd: commands.SendMessage) -> MessageSent:
        """Hot path: one thread read, one message read (a retry with the same payload is replayed
        as first answered; another payload is IDEMPOTENCY_KEY_REUSED), the sender's suspension looked up
        in memory (no round trip), one moderation call for its verdict only on its text and file
        names (none when both are blank; no transaction open across it; nothing is recorded there),
        then one transaction of three writes (thread, message, outbox event). Moderation records
        violations from that event, so only for text that was stored."""
        policy = self._policy.current
        validate_message(cmd.text, cmd.attachment_ids, cmd.request_id, cmd.thread_id, policy)
        view = await self._visible(cmd.caller, cmd.thread_id)
        side = access.require_may_write(view.thread, cmd.caller)
        message_id = conversation.message_id_for(cmd.thread_id, cmd.caller, cmd.request_id)
        request = conversation.send_fingerprint(cmd.text, cmd.attachment_ids)
        # A retry of a stored message gets it back, whatever happened since (the thread closed,
        # moderation went down, the sender was suspended): the error it was told to retry on must
        # not come back. Another payload under its request id is refused before moderation is asked.
        if (already := await self._uow.reader().messages.get(message_id)) is not None:
            return MessageSent(conversation.replayed(already, request, cmd.request_id, cmd.caller), True, True)
        conversation.require_open(view.thread)
        self._require_not_suspended(cmd.caller, view.thread)
        file_names: tuple[str, ...] = ()
        if cmd.attachment_ids:
            found = {a.attachment_id: a for a in await self._attachments.get_many(list(dict.fromkeys(cmd.attachment_ids)))}
            require_sendable(view.thread, cmd.caller, cmd.attachment_ids, found)
            file_names = tuple(found[a].meta.file_name for a in dict.fromkeys(cmd.attachment_ids))
        judged = conversation.judged_text(cmd.text, file_names)
        verdict = conversation.decision_without_moderation(judged) or await self._moderation.check(sender=cmd.caller, text=judged)
        decision = conversation.decision_for_message(verdict, cmd.text, file_names)
        now = self._clock.now()

        async def work(tx: Tx) -> Message:
            message = conversation.moderated_message(
                message_id=message_id, thread_id=cmd.thread_id, sender=cmd.caller, side=side, text=cmd.text,
                attachment_ids=cmd.attachment_ids, decision=decision, at=now, request_fingerprint=request,
            )

            async def accept(thread: Thread) -> Change[None]:
                return Change(None, events=(conversation.accept_message(thread, message, policy),))

            await change_thread(tx, cmd.thread_id, view.thread, accept)
            await tx.repos.messages.add(message)
            return message

        try:
            stored = await self._uow.transaction(work)
        except AlreadyStored:  # the same request, sent twice at once: the other one stored it
            existing = await self._uow.reader().messages.get(message_id)
            if existing is None:
                raise
            return MessageSent(conversation.replayed(existing, request, cmd.request_id, cmd.caller), True, True)
        return MessageSent(conversation.as_seen_by(stored, cmd.caller), True)

    async def list_messages(self, cmd: commands.ListMessages) -> MessagePage:
        size = reading.message_page_size(cmd.page_size, cmd.start_seq)
        view = await self._visible(cmd.caller, cmd.thread_id)
        audience = access.message_audience(view.thread, cmd.caller)
        messages, token = await self._uow.reader().messages.page(
            cmd.thread_id, audience, direction=reading.listing_direction(cmd.direction), start_seq=cmd.start_seq, size=size,
            token=cmd.page_token,
        )
        return MessagePage([conversation.as_seen_by(m, cmd.caller) for m in messages], token)

    async def mark_read(self, cmd: commands.MarkRead) -> int:
        view = await self._visible(cmd.caller, cmd.thread_id)
        side = access.require_may_mark_read(view.thread, cmd.caller)
        conversation.read_position(view.thread, side, cmd.up_to_seq)  # validates before any write
        now = self._clock.now()

        async def work(tx: Tx) -> int:
            async def read(thread: Thread) -> Change[int]:
                up_to = conversation.read_position(thread, side, cmd.up_to_seq)
                unread = await tx.repos.messages.count_unread(reading.unread_for(thread, side, up_to))
                before = (thread.read_seq.get(side, 0), thread.unread.get(side, 0))
                event = conversation.mark_read(thread, cmd.caller, side, up_to, unread, now)
                return Change(unread, before != (thread.read_seq.get(side, 0), unread), _events(event))

            return await change_thread(tx, cmd.thread_id, view.thread, read)

        return await self._uow.transaction(work)

    async def release_held(self, cmd: commands.ReleaseHeld) -> bool:
        """Idempotent: only a HELD message changes; a redelivered decision returns False."""
        now, policy = self._clock.now(), self._policy.current

        def decide(thread: Thread, message: Message) -> tuple[object, ...] | None:
            return conversation.release_held(thread, message, approved=cmd.approved, comment=cmd.comment, at=now, policy=policy,
                                             review_id=cmd.review_id)

        return await self._moderator_decided(cmd.message_id, decide)

    async def deliver_on_appeal(self, cmd: commands.DeliverOnAppeal) -> bool:
        """Idempotent: a BLOCKED message is delivered, a HELD one keeps the reversal for its
        rejection (consumed by another durable, possibly later); a redelivery returns False."""
        now, policy = self._clock.now(), self._policy.current

        def decide(thread: Thread, message: Message) -> tuple[object, ...] | None:
            return conversation.deliver_on_appeal(thread, message, appeal_id=cmd.appeal_id, comment=cmd.comment, at=now, policy=policy)

        return await self._moderator_decided(cmd.message_id, decide)

    async def _moderator_decided(self, message_id: str, decide: Callable[[Thread, Message], tuple[object, ...] | None]) -> bool:
        """Applies a moderator's decision on a stored message in one transaction with its thread
        (saved with its version, so a close committed meanwhile makes it decide again; not saved
        when the decision only noted something on the message, with no event)."""
        async def work(tx: Tx) -> bool:
            message = await tx.repos.messages.get(message_id)
            if message is None:
                return False

            async def apply(thread: Thread) -> Change[Message | None]:
                candidate = message.snapshot()  # a stale thread decides again from the stored message
                events = decide(thread, candidate)
                return Change(None, False) if events is None else Change(candidate, bool(events), events)

            changed = await change_thread(tx, message.thread_id, None, apply)
            if changed is not None:
                await tx.repos.messages.save(changed)
            return changed is not None

        return await self._uow.transaction(work)

    # --- suspensions (moderation's StandingChanged) ------------------------------------

    async def note_standing(self, cmd: commands.NoteStanding) -> bool:
        """Keeps what moderation said about a party's suspension, unless chat already heard
        something newer about that party (redelivered and out-of-order events change nothing).
        This process applies it at once; the others at their next refresh."""
        news = standing.suspension_noted(cmd)
        if news is None:
            return False

        async def work(tx: Tx) -> bool:
            if not news.supersedes(await tx.repos.suspensions.get(news.party)):
                return False
            await tx.repos.suspensions.save(news)
            return True

        changed = await self._uow.transaction(work)
        if changed:
            await self.refresh_suspensions()
        return changed

    async def refresh_suspensions(self) -> int:
        """Re-reads the suspensions in force (one query; the set is small) into this process's
        memory; every replica runs it every `suspensions_refresh_seconds`, and note_standing after
        each change it stored. Two reads may overlap: one that started before the last applied
        read is dropped when it ends (it may predate the change the other one saw). Returns how
        many are in force as held now."""
        self._suspension_reads_started += 1
        read = self._suspension_reads_started
        found = await self._uow.reader().suspensions.in_force(self._clock.now())
        if read > self._suspension_read_applied:
            self._suspensions, self._suspension_read_applied = standing.ActiveSuspensions.of(found), read
        return len(self._suspensions.until)

    async def announce_deadlines(self, cmd: commands.AnnounceDeadlines) -> int:
        """Emits one 'approaching' and one 'breached' event per reply deadline. Safe in every
        replica: the state is saved with the thread's version, so only one announces. Scans batch
        after batch while a whole batch was announced (an announced thread leaves the due set, so
        the next batch holds later ones)."""
        now, policy = self._clock.now(), self._policy.current
        due = deadlines_due(now, policy)
        announced = 0
        while True:
            batch = await self._uow.reader().threads.with_deadline_due(due, cmd.limit)
            in_batch = await self._announce_batch(batch, now, policy)
            announced += in_batch
            # A short batch was the last; one with threads another replica announced first stops
            # too (that replica carries on), so the loop never spins on the same threads.
            if len(batch) < cmd.limit or in_batch < len(batch):
                return announced

    async def _announce_batch(self, batch: list[Thread], now: dt.datetime, policy: ChatPolicy) -> int:
        announced = 0
        for thread in batch:

            async def work(tx: Tx, thread: Thread = thread) -> bool:
                async def step(current: Thread) -> Change[bool]:
                    event = announce_deadline(current, now, policy)
                    return Change(event is not None, event is not None, _events(event))

                return await change_thread(tx, thread.thread_id, thread, step)

            announced += await self._uow.transaction(work)
        return announced

    # --- attachments and the live feed -------------------------------------------------

    async def upload_attachment(self, cmd: commands.UploadAttachment, chunks: AsyncIterator[bytes]) -> Attachment:
        """Streams the content into storage while the domain checks it (UploadCheck); on any
        problem the partial upload is removed."""
        meta = cmd.meta
        validate_attachment(meta, self._policy.current)
        view = await self._visible(cmd.caller, meta.thread_id)
        access.require_may_write(view.thread, cmd.caller)
        conversation.require_open(view.thread)
        self._require_not_suspended(cmd.caller, view.thread)
        attachment_id, check = random_id(), UploadCheck(meta)
        upload = self._attachments.open_upload(attachment_id, meta, Party.of(cmd.caller), self._clock.now())
        try:
            async for chunk in chunks:
                check.take(chunk)
                await upload.write(chunk)
            check.finish()
            await upload.close()
        except BaseException:
            await upload.abort()
            raise
        stored = await self._attachments.get(attachment_id)
        assert stored is not None
        return stored

    async def download_attachment(self, cmd: commands.DownloadAttachment) -> tuple[Attachment, AsyncIterator[bytes]]:
        require_ids(attachment_id=cmd.attachment_id)
        attachment = await self._attachments.get(cmd.attachment_id)
        if attachment is None:
            raise NotFound(f"attachment {cmd.attachment_id} not found", reason="ATTACHMENT_NOT_FOUND")
        await self._visible(cmd.caller, attachment.meta.thread_id)  # who may read the thread may read its files
        return attachment, self._attachments.read(cmd.attachment_id)

    async def stream_events(self, cmd: commands.StreamEvents) -> LiveSubscription:
        thread = await self._load(cmd.thread_id) if cmd.thread_id else None
        return self._live.follow(access.may_follow(cmd.caller, thread))
