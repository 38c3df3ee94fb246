"""What chat's use cases need from outside: persistence and moderation."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from prilavok_platform.auth import Identity
from services.chat.domain.model import Attachment, AttachmentMeta, Message, Thread, ThreadKind, ThreadStatus


@dataclass(frozen=True)
class ModerationDecision:
    action: str  # ALLOW | WARN | MASK | REVIEW | BLOCK
    categories: tuple[str, ...]
    reason: str
    masked_text: str
    policy_version: str


class ModerationGateway(Protocol):
    async def check(self, *, message_id: str, thread: Thread, sender: Identity, text: str) -> ModerationDecision: ...


@dataclass(frozen=True)
class ThreadFilter:
    party_key: str
    kind: ThreadKind | None = None
    status: ThreadStatus | None = None
    unread_only: bool = False
    order_id: str = ""


class ChatRepository(Protocol):
    async def create_thread(self, thread: Thread) -> tuple[Thread, bool]: ...

    async def get_thread(self, thread_id: str) -> Thread | None: ...

    async def list_threads(self, flt: ThreadFilter, limit: int, cursor: dict | None) -> list[Thread]: ...

    async def append_message(
        self, thread: Thread, side: str, message: Message, reply_due: tuple[bool, dt.datetime | None]
    ) -> tuple[Message, bool]: ...

    async def list_messages(
        self, thread_id: str, viewer_party: str | None, newer: bool, after_seq: int | None, limit: int
    ) -> list[Message]: ...

    async def mark_read(self, thread: Thread, side: str, reader: Identity, up_to_seq: int, at: dt.datetime) -> int: ...

    async def close_thread(self, thread: Thread, by: Identity, reason: str, at: dt.datetime) -> Thread: ...

    async def rate_thread(self, thread: Thread, score: int, comment: str, at: dt.datetime) -> Thread: ...

    async def release_held(self, message_id: str, approved: bool, comment: str, at: dt.datetime, policy) -> bool: ...


class AttachmentStore(Protocol):
    def open_upload(self, attachment_id: str, meta: AttachmentMeta, uploader_party: str):
        """An upload stream with async write(bytes), close() and abort()."""

    async def get(self, attachment_id: str) -> Attachment | None: ...

    async def get_many(self, attachment_ids: list[str]) -> list[Attachment]: ...

    def read(self, attachment_id: str) -> AsyncIterator[bytes]: ...
