"""What chat's use cases need from outside: repositories (bundled for the unit of work),
moderation, attachment storage and the live event feed of StreamEvents."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from prilavok_platform.identity import Identity, Party
from prilavok_platform.pagination import KeysetOrder
from services.chat.domain.access import Following
from services.chat.domain.deadlines import DeadlinesDue
from services.chat.domain.live import LiveItem
from services.chat.domain.model import (
    Attachment,
    AttachmentMeta,
    Direction,
    Message,
    ModerationDecision,
    Thread,
    ThreadKind,
    ThreadStatus,
)
from services.chat.domain.reading import MessageAudience, UnreadMessages
from services.chat.domain.standing import Suspension

# The orders of the List methods; page tokens are built from exactly these fields.
THREAD_ORDER = KeysetOrder(("last_activity_at", -1, dt.datetime), ("_id", -1, str))
MESSAGES_OLDER = KeysetOrder(("seq", -1, int))
MESSAGES_NEWER = KeysetOrder(("seq", 1, int))


class AlreadyStored(Exception):
    """An insert found its id taken: a retried request (the transaction is aborted)."""


@dataclass(frozen=True)
class ThreadFilter:
    party: Party
    kind: ThreadKind | None = None
    status: ThreadStatus | None = None
    unread_only: bool = False
    order_id: str = ""


class ThreadRepository(Protocol):
    async def add(self, thread: Thread) -> None:
        """Inserts a new thread; AlreadyStored when its id exists."""

    async def get(self, thread_id: str) -> Thread | None: ...

    async def save(self, thread: Thread) -> bool:
        """Writes the thread if the stored version is still `thread.version` (then bumps it);
        False when the copy is stale (someone saved in between)."""

    async def page(self, flt: ThreadFilter, size: int, token: str) -> tuple[list[Thread], str]:
        """One page in THREAD_ORDER and the next page token ('' at the end)."""

    async def with_deadline_due(self, due: DeadlinesDue, limit: int) -> list[Thread]:
        """Threads that `due.matches`, soonest deadline first."""


class MessageRepository(Protocol):
    async def add(self, message: Message) -> None:
        """Inserts a new message; AlreadyStored when its id exists."""

    async def get(self, message_id: str) -> Message | None: ...

    async def save(self, message: Message) -> None: ...

    async def page(
        self, thread_id: str, audience: MessageAudience, *, direction: Direction, start_seq: int, size: int, token: str
    ) -> tuple[list[Message], str]:
        """Messages of a thread that `audience.admits`, in MESSAGES_NEWER/MESSAGES_OLDER order
        after `start_seq` (0: from the end)."""

    async def count_unread(self, unread: UnreadMessages) -> int:
        """How many messages `unread.matches`."""


class SuspensionRepository(Protocol):
    """Chat's read model of moderation's suspensions: what it last heard per party."""

    async def get(self, party: Party) -> Suspension | None: ...

    async def save(self, suspension: Suspension) -> None:
        """Stores it as the party's (replacing what was there)."""

    async def in_force(self, now: dt.datetime) -> list[Suspension]:
        """The suspensions that have not ended by `now` (a small set: read whole, every second)."""


@dataclass
class ChatRepositories:
    threads: ThreadRepository
    messages: MessageRepository
    suspensions: SuspensionRepository


class ModerationGateway(Protocol):
    async def check(self, *, sender: Identity, text: str) -> ModerationDecision:
        """Moderation's verdict only (nothing is recorded: moderation records violations from the
        message events written with the stored message); Unavailable (MODERATION_UNAVAILABLE) when
        it cannot answer in time."""


class Upload(Protocol):
    async def write(self, chunk: bytes) -> None: ...

    async def close(self) -> None: ...

    async def abort(self) -> None: ...


class AttachmentStore(Protocol):
    def open_upload(self, attachment_id: str, meta: AttachmentMeta, uploader: Party, at: dt.datetime) -> Upload: ...

    async def get(self, attachment_id: str) -> Attachment | None: ...

    async def get_many(self, attachment_ids: list[str]) -> list[Attachment]: ...

    def read(self, attachment_id: str) -> AsyncIterator[bytes]: ...


class LiveSubscription(Protocol):
    """One open live stream: the items (domain.live) that `Following` accepts, in publication
    order; handlers decide who follows what (access.may_follow)."""

    async def next(self, timeout: float) -> LiveItem | None:
        """The next item, None after `timeout` seconds without one; ResourceExhausted
        (STREAM_OVERFLOW) when the subscriber fell too far behind."""

    def close(self) -> None: ...


class LiveEvents(Protocol):
    """Chat events of this process's NATS subscription, fanned out to open StreamEvents calls."""

    def follow(self, following: Following) -> LiveSubscription: ...
