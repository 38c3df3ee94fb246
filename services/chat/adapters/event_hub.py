"""Fans chat events out to StreamEvents calls in this process (the LiveEvents port).

One core-NATS subscription per process on "<prefix>.chat.>" (JetStream publishes reach core
subscribers too), routed by event type with the suite's EventDispatcher. Each event becomes one
stream item, published on the platform's LiveHub (bounded feeds; a client too slow to keep up
gets RESOURCE_EXHAUSTED STREAM_OVERFLOW) to the audience the domain names
(access.live_audience: the event's recipients, the party that caused it, staff following the
thread); who may follow what is access.may_follow."""
from __future__ import annotations

import logging

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from prilavok.chat.v1 import chat_pb2, events_pb2
from prilavok.chat.v1.chat_pb2 import StreamEventsResponse as Item
from prilavok.common.v1 import common_pb2
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.identity import Party
from prilavok_platform.live import LiveFeed, LiveHub
from prilavok_platform.nats import EventDispatcher, PoisonMessage
from prilavok_platform.protobuf import identity_from_actor, party_from_pb
from services.chat.domain import access

log = logging.getLogger(__name__)

def thread_of(item: Item) -> str:
    """The thread a stream item belongs to."""
    match item.WhichOneof("event"):
        case "message_delivered":
            return item.message_delivered.thread_id
        case "read":
            return item.read.thread_id
        case "thread_changed":
            return item.thread_changed.thread_id
    return ""


def _recipients(parties: list[common_pb2.Party]) -> list[Party]:
    return [party_from_pb(p, "recipients") for p in parties]


def _actor(actor: common_pb2.Actor, field: str) -> Party:
    return Party.of(identity_from_actor(actor, field))


class ChatEventHub:
    def __init__(self, hub: LiveHub[Item] | None = None) -> None:
        self._hub: LiveHub[Item] = hub if hub is not None else LiveHub()
        self._dispatch = (
            EventDispatcher()
            .on(events_pb2.MessageDelivered, self._delivered)
            .on(events_pb2.ThreadRead, self._read)
            .on(events_pb2.ThreadClosed, self._closed)
            .on(events_pb2.ThreadCreated, self._created)
        )

    async def start(self, nc: NatsClient, subject_prefix: str):
        return await nc.subscribe(f"{subject_prefix}.chat.>", cb=self.on_message)

    def follow(self, following: access.Following) -> LiveFeed[Item]:
        thread_id = following.thread_id
        return self._hub.open(following.audience, (lambda item: thread_of(item) == thread_id) if thread_id else None)

    async def on_message(self, msg: Msg) -> None:
        try:
            await self._dispatch(msg)
        except (PoisonMessage, InvalidArgument) as exc:  # a malformed event must not kill the hub
            log.warning("chat event on %s not streamed: %s", msg.subject, exc)

    def _publish(self, item: Item, recipients: list[common_pb2.Party], actor: Party | None) -> None:
        self._hub.publish(item, access.live_audience(thread_of(item), _recipients(recipients), actor))

    async def _delivered(self, event: events_pb2.MessageDelivered) -> None:
        sender = _actor(event.message.sender, "message.sender")
        self._publish(Item(message_delivered=event.message), list(event.recipients), sender)

    async def _read(self, event: events_pb2.ThreadRead) -> None:
        receipt = chat_pb2.ReadReceipt(thread_id=event.thread_id, reader=event.reader, up_to_seq=event.up_to_seq)
        self._publish(Item(read=receipt), list(event.recipients), _actor(event.reader, "reader"))

    async def _closed(self, event: events_pb2.ThreadClosed) -> None:
        self._publish(Item(thread_changed=event.thread), list(event.recipients), _actor(event.closed_by, "closed_by"))

    async def _created(self, event: events_pb2.ThreadCreated) -> None:
        # The event names no opener: the parties it was opened with, and staff following it.
        self._publish(Item(thread_changed=event.thread), list(event.recipients), None)
