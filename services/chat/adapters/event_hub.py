"""Fans chat events out to StreamEvents calls in this process.

One core-NATS subscription per process on "<prefix>.chat.>" (JetStream publishes reach core
subscribers too); each open stream gets a bounded queue and sees only its threads."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from nats.aio.client import Client as NatsClient

from prilavok.chat.v1 import chat_pb2, events_pb2
from prilavok.common.v1 import common_pb2
from prilavok_platform.nats import EVENT_TYPE_HEADER

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000


@dataclass(eq=False)
class Subscriber:
    party_key: str
    is_staff: bool
    thread_id: str = ""
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False


def _parties(thread: chat_pb2.Thread) -> set[str]:
    parties = set()
    if thread.kind == chat_pb2.THREAD_KIND_SUPPORT:
        parties.add("support")
        if thread.author.role == common_pb2.ROLE_SELLER:
            parties.add(f"shop:{thread.author.shop_id}")
        elif thread.author.user_id:
            parties.add(f"user:{thread.author.user_id}")
    else:
        parties.update({f"user:{thread.buyer_id}", f"shop:{thread.shop_id}"})
    return parties


def decode(event_type: str, payload: bytes) -> tuple[chat_pb2.StreamEventsResponse, str, set[str]] | None:
    if event_type == events_pb2.MessageDelivered.DESCRIPTOR.full_name:
        e = events_pb2.MessageDelivered.FromString(payload)
        return chat_pb2.StreamEventsResponse(message_delivered=e.message), e.thread.thread_id, _parties(e.thread)
    if event_type == events_pb2.ThreadRead.DESCRIPTOR.full_name:
        e = events_pb2.ThreadRead.FromString(payload)
        receipt = chat_pb2.ReadReceipt(thread_id=e.thread_id, reader=e.reader, up_to_seq=e.up_to_seq)
        return chat_pb2.StreamEventsResponse(read=receipt), e.thread_id, _parties(e.thread)
    if event_type in (events_pb2.ThreadClosed.DESCRIPTOR.full_name, events_pb2.ThreadCreated.DESCRIPTOR.full_name):
        cls = events_pb2.ThreadClosed if event_type.endswith("ThreadClosed") else events_pb2.ThreadCreated
        e = cls.FromString(payload)
        return chat_pb2.StreamEventsResponse(thread_changed=e.thread), e.thread.thread_id, _parties(e.thread)
    return None


class ChatEventHub:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self._read_parties: dict[str, set[str]] = {}

    async def start(self, nc: NatsClient, subject_prefix: str):
        return await nc.subscribe(f"{subject_prefix}.chat.>", cb=self._on_message)

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish_local(self, response: chat_pb2.StreamEventsResponse, thread_id: str, parties: set[str]) -> None:
        for sub in list(self._subscribers):
            if sub.thread_id and sub.thread_id != thread_id:
                continue
            if sub.party_key not in parties and not (sub.is_staff and sub.thread_id):
                continue
            try:
                sub.queue.put_nowait(response)
            except asyncio.QueueFull:
                sub.overflowed = True

    async def _on_message(self, msg) -> None:
        event_type = (msg.headers or {}).get(EVENT_TYPE_HEADER, "")
        try:
            decoded = decode(event_type, msg.data)
        except Exception:  # noqa: BLE001 - a malformed event must not kill the hub
            log.warning("undecodable chat event %s on %s", event_type, msg.subject)
            return
        if decoded is not None:
            self.publish_local(*decoded)
