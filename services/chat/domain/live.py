"""What a live stream (StreamEvents) carries: a delivered message, a read receipt, or a thread
that was opened or changed (closed). Plain values built from chat's published events; the entry
point turns them into the stream's wire items. Who receives which is access.live_audience, what
one stream follows is access.Following."""
from __future__ import annotations

from dataclasses import dataclass

from prilavok_platform.identity import Identity
from services.chat.domain.model import Message, Thread


@dataclass(frozen=True)
class MessageArrived:
    """A message was delivered (the text everyone but its writer sees: masked when masked)."""

    message: Message

    @property
    def thread_id(self) -> str:
        return self.message.thread_id


@dataclass(frozen=True)
class ReadReceipt:
    thread_id: str
    reader: Identity
    up_to_seq: int


@dataclass(frozen=True)
class ThreadChanged:
    """A thread was opened or closed: the thread as it is now (no viewer's unread count)."""

    thread: Thread

    @property
    def thread_id(self) -> str:
        return self.thread.thread_id


LiveItem = MessageArrived | ReadReceipt | ThreadChanged
