"""Fans chat events out to StreamEvents calls in this process (the LiveEvents port).

One core-NATS subscription per process on "<prefix>.chat.>" (JetStream publishes reach core
subscribers too); each open stream gets a bounded queue and sees only its threads' events:
those of threads it is a party of, or every event of the one thread a staff member follows."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from nats.aio.client import Client as NatsClient

from prilavok.chat.v1 import chat_pb2, events_pb2
from prilavok_platform.errors import ResourceExhausted
from prilavok_platform.identity import Party
from prilavok_platform.nats import EVENT_TYPE_HEADER
from prilavok_platform.protobuf import party_from_pb

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000


@dataclass(eq=False)
class Subscriber:
    """One open StreamEvents call (implements the LiveSubscription port)."""

    viewer: Party
    all_of_thread: bool
    thread_id: str = ""
    hub: ChatEventHub | None = None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False

    async def next(self, timeout: float) -> chat_pb2.StreamEventsResponse | None:
        if self.overflowed:
            raise ResourceExhausted("the client reads events too slowly; reconnect and list what was missed", reason="STREAM_OVERFLOW")
        try:
            return await asyncio.wait_for(self.queue.get(), timeout=timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        if self.hub is not None:
            self.hub.remove(self)


def _parties(thread: chat_pb2.Thread) -> set[Party]:
    return {party_from_pb(p, "thread.participants") for p in thread.participants}


def decode(event_type: str, payload: bytes) -> tuple[chat_pb2.StreamEventsResponse, str, set[Party]] | None:
    """The stream item of a chat event, its thread and the thread's parties (who may see it)."""
    if event_type == events_pb2.MessageDelivered.DESCRIPTOR.full_name:
        delivered = events_pb2.MessageDelivered.FromString(payload)
        return chat_pb2.StreamEventsResponse(message_delivered=delivered.message), delivered.thread.thread_id, _parties(delivered.thread)
    if event_type == events_pb2.ThreadRead.DESCRIPTOR.full_name:
        read = events_pb2.ThreadRead.FromString(payload)
        receipt = chat_pb2.ReadReceipt(thread_id=read.thread_id, reader=read.reader, up_to_seq=read.up_to_seq)
        return chat_pb2.StreamEventsResponse(read=receipt), read.thread_id, _parties(read.thread)
    for changed in (events_pb2.ThreadClosed, events_pb2.ThreadCreated):
        if event_type == changed.DESCRIPTOR.full_name:
            thread = changed.FromString(payload).thread
            return chat_pb2.StreamEventsResponse(thread_changed=thread), thread.thread_id, _parties(thread)
    return None


class ChatEventHub:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()

    async def start(self, nc: NatsClient, subject_prefix: str):
        return await nc.subscribe(f"{subject_prefix}.chat.>", cb=self._on_message)

    def subscribe(self, viewer: Party, *, all_of_thread: bool, thread_id: str) -> Subscriber:
        subscriber = Subscriber(viewer, all_of_thread, thread_id, self)
        self._subscribers.add(subscriber)
        return subscriber

    def remove(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish_local(self, response: chat_pb2.StreamEventsResponse, thread_id: str, parties: set[Party]) -> None:
        for sub in list(self._subscribers):
            if sub.thread_id and sub.thread_id != thread_id:
                continue
            if sub.viewer not in parties and not (sub.all_of_thread and sub.thread_id):
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
