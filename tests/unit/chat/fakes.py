"""Fakes of chat's ports: dict-backed repositories (copies in, copies out, like a database),
a scripted moderation gateway, an in-memory attachment store and live feed."""
from __future__ import annotations

import copy
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import FieldViolation, InvalidArgument, Unavailable
from prilavok_platform.identity import Identity, Party
from prilavok_platform.live import LiveFeed, LiveHub
from prilavok_platform.pagination import page_in_memory
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import InMemoryUnitOfWork
from services.chat.domain.access import Following
from services.chat.domain.deadlines import DeadlinesDue
from services.chat.domain.live import LiveItem
from services.chat.domain.model import (
    Attachment,
    AttachmentMeta,
    ChatPolicy,
    Direction,
    Message,
    ModerationAction,
    ModerationDecision,
    Thread,
)
from services.chat.domain.reading import MessageAudience, UnreadMessages
from services.chat.domain.standing import Suspension
from services.chat.service_layer.handlers import ChatHandlers
from services.chat.service_layer.ports import (
    MESSAGES_NEWER,
    MESSAGES_OLDER,
    THREAD_ORDER,
    AlreadyStored,
    ChatRepositories,
    ThreadFilter,
)

POLICY = ChatPolicy("test", 4000, 10, 1 << 20, 10, 255, ("image/jpeg", "video/mp4"), seller_reply_hours=240,
                    support_reply_hours=72, remind_before_hours=24, moderation_deadline_ms=500)


class FakeThreadRepository:
    def __init__(self) -> None:
        self.rows: dict[str, Thread] = {}
        self.saves = 0

    async def add(self, thread: Thread) -> None:
        if thread.thread_id in self.rows:
            raise AlreadyStored(thread.thread_id)
        self.rows[thread.thread_id] = copy.deepcopy(thread)

    async def get(self, thread_id: str) -> Thread | None:
        row = self.rows.get(thread_id)
        return copy.deepcopy(row) if row else None

    async def save(self, thread: Thread) -> bool:
        stored = self.rows.get(thread.thread_id)
        if stored is None or stored.version != thread.version:
            return False
        thread.version += 1
        self.rows[thread.thread_id] = copy.deepcopy(thread)
        self.saves += 1
        return True

    async def page(self, flt: ThreadFilter, size: int, token: str) -> tuple[list[Thread], str]:
        def matches(t: Thread) -> bool:
            side = next((s for s, p in t.participants.items() if p == flt.party), None)
            return (side is not None and (flt.kind is None or t.kind is flt.kind) and (flt.status is None or t.status is flt.status)
                    and (not flt.order_id or t.order_id == flt.order_id) and (not flt.unread_only or t.unread.get(side, 0) > 0))

        page, next_token = page_in_memory(
            [t for t in self.rows.values() if matches(t)], THREAD_ORDER, size, token,
            values=lambda t: (t.last_activity_at, t.thread_id),
        )
        return [copy.deepcopy(t) for t in page], next_token

    async def with_deadline_due(self, due: DeadlinesDue, limit: int) -> list[Thread]:
        found = [t for t in self.rows.values() if due.matches(t)]
        return [copy.deepcopy(t) for t in sorted(found, key=lambda t: t.reply_due_at or due.breach_by)[:limit]]


class FakeMessageRepository:
    def __init__(self) -> None:
        self.rows: dict[str, Message] = {}

    async def add(self, message: Message) -> None:
        if message.message_id in self.rows:
            raise AlreadyStored(message.message_id)
        assert all(m.seq != message.seq for m in self.rows.values() if m.thread_id == message.thread_id), "seq taken"
        self.rows[message.message_id] = copy.deepcopy(message)

    async def get(self, message_id: str) -> Message | None:
        row = self.rows.get(message_id)
        return copy.deepcopy(row) if row else None

    async def save(self, message: Message) -> None:
        self.rows[message.message_id] = copy.deepcopy(message)

    async def page(self, thread_id: str, audience: MessageAudience, *, direction: Direction, start_seq: int, size: int, token: str):
        newer = direction is Direction.NEWER
        items = [m for m in self.rows.values() if m.thread_id == thread_id and audience.admits(m)]
        if start_seq and not token:
            items = [m for m in items if (m.seq > start_seq if newer else m.seq < start_seq)]
        page, next_token = page_in_memory(items, MESSAGES_NEWER if newer else MESSAGES_OLDER, size, token, values=lambda m: (m.seq,))
        return [copy.deepcopy(m) for m in page], next_token

    async def count_unread(self, unread: UnreadMessages) -> int:
        return sum(1 for m in self.rows.values() if unread.matches(m))


class FakeSuspensionRepository:
    def __init__(self) -> None:
        self.rows: dict[Party, Suspension] = {}
        self.reads = 0

    async def get(self, party: Party) -> Suspension | None:
        return self.rows.get(party)

    async def save(self, suspension: Suspension) -> None:
        self.rows[suspension.party] = suspension

    async def in_force(self, now: dt.datetime) -> list[Suspension]:
        self.reads += 1
        return [s for s in self.rows.values() if s.in_force(now)]


class FakeModeration:
    """Answers ALLOW unless told otherwise (by text); `down` fails like a timeout. Keeps
    moderation's contract as the real gateway reports it: text that is empty (or blank) or longer
    than moderation's limit is INVALID_ARGUMENT on `text`."""

    def __init__(self, max_text_chars: int = 4000) -> None:
        self.by_text: dict[str, ModerationDecision] = {}
        self.down = False
        self.calls: list[str] = []
        self.max_text_chars = max_text_chars

    async def check(self, *, sender: Identity, text: str) -> ModerationDecision:
        self.calls.append(text)
        if self.down:
            raise Unavailable("moderation did not answer (DEADLINE_EXCEEDED)", reason="MODERATION_UNAVAILABLE")
        if not text.strip():
            raise InvalidArgument(FieldViolation("text", "must not be empty"))
        if len(text) > self.max_text_chars:
            raise InvalidArgument(FieldViolation("text", f"must be at most {self.max_text_chars} characters, got {len(text)}"))
        return self.by_text.get(text, ModerationDecision(ModerationAction.ALLOW, policy_version="m1"))


@dataclass
class FakeUpload:
    store: FakeAttachmentStore
    attachment_id: str
    meta: AttachmentMeta
    uploader: Party
    at: dt.datetime
    data: bytearray = field(default_factory=bytearray)

    async def write(self, chunk: bytes) -> None:
        self.data.extend(chunk)

    async def close(self) -> None:
        self.store.files[self.attachment_id] = (
            Attachment(self.attachment_id, self.meta, self.uploader, self.at), bytes(self.data))

    async def abort(self) -> None:
        self.store.aborted.append(self.attachment_id)


class FakeAttachmentStore:
    def __init__(self) -> None:
        self.files: dict[str, tuple[Attachment, bytes]] = {}
        self.aborted: list[str] = []

    def open_upload(self, attachment_id: str, meta: AttachmentMeta, uploader: Party, at: dt.datetime) -> FakeUpload:
        return FakeUpload(self, attachment_id, meta, uploader, at)

    async def get(self, attachment_id: str) -> Attachment | None:
        found = self.files.get(attachment_id)
        return found[0] if found else None

    async def get_many(self, attachment_ids: list[str]) -> list[Attachment]:
        return [self.files[a][0] for a in attachment_ids if a in self.files]

    async def read(self, attachment_id: str) -> AsyncIterator[bytes]:
        yield self.files[attachment_id][1]


class FakeLiveEvents:
    """The platform's LiveHub, opened like the real hub opens it (the audience and the stream's
    filter, Following.accepts), keeping what each stream was allowed to follow and the feed it got."""

    def __init__(self) -> None:
        self.hub: LiveHub[LiveItem] = LiveHub()
        self.followed: list[tuple[Following, LiveFeed[LiveItem]]] = []

    def follow(self, following: Following) -> LiveFeed[LiveItem]:
        feed = self.hub.open(following.audience, following.accepts)
        self.followed.append((following, feed))
        return feed


@dataclass
class World:
    handlers: ChatHandlers
    uow: InMemoryUnitOfWork[ChatRepositories]
    threads: FakeThreadRepository
    messages: FakeMessageRepository
    suspensions: FakeSuspensionRepository
    moderation: FakeModeration
    attachments: FakeAttachmentStore
    live: FakeLiveEvents
    clock: FixedClock


def world(policy: ChatPolicy = POLICY) -> World:
    clock = FixedClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    threads, messages, suspensions = FakeThreadRepository(), FakeMessageRepository(), FakeSuspensionRepository()
    uow = InMemoryUnitOfWork(ChatRepositories(threads, messages, suspensions))
    moderation, attachments, live = FakeModeration(), FakeAttachmentStore(), FakeLiveEvents()
    handlers = ChatHandlers(uow, PolicyHolder.fixed(policy), clock, moderation, attachments, live)
    return World(handlers, uow, threads, messages, suspensions, moderation, attachments, live, clock)
