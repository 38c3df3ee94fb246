"""Chat's domain events. Each names who is told (`recipients`); the event mapper turns them into
the protobuf events of prilavok.chat.v1 at the edge. Threads and messages inside are snapshots
taken when the event happened."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.identity import Identity, Party
from services.chat.domain.model import Message, Thread


@dataclass(frozen=True)
class ThreadCreated:
    thread: Thread
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True)
class MessageDelivered:
    thread: Thread
    message: Message
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True)
class MessageHeld:
    thread: Thread
    message: Message
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True)
class MessageBlocked:
    thread: Thread
    message: Message
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True)
class MessageUndelivered:
    """A moderator cleared a message (a held one approved, a blocked one on appeal) after its
    thread closed: it is not delivered; its sender is told (the message carries no text)."""

    thread: Thread
    message: Message
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime
    review_id: str = ""
    appeal_id: str = ""


@dataclass(frozen=True)
class ThreadRead:
    thread: Thread
    reader: Identity
    up_to_seq: int
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True)
class ThreadClosed:
    thread: Thread
    closed_by: Identity
    reason: str
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True)
class ReplyDeadline:
    """A reply deadline approaches (breached=False) or has passed (breached=True)."""

    thread: Thread
    due_at: dt.datetime
    breached: bool
    recipients: tuple[Party, ...]
    occurred_at: dt.datetime


MessageEvent = MessageDelivered | MessageHeld | MessageBlocked
ChatEvent = (ThreadCreated | MessageDelivered | MessageHeld | MessageBlocked | MessageUndelivered | ThreadRead | ThreadClosed
             | ReplyDeadline)
