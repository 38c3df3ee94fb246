"""Fans chat events out to StreamEvents calls in this process (the LiveEvents port).

One core-NATS subscription per process on "<prefix>.chat.>" (JetStream publishes reach core
subscribers too), routed by event type with the suite's EventDispatcher. Each event becomes one
live item (domain.live), published on the platform's LiveHub (bounded feeds; a client too slow to keep up
gets RESOURCE_EXHAUSTED STREAM_OVERFLOW) to the audience the domain names
(access.live_audience: the event's recipients, the party that caused it, staff following the
thread); who may follow what is access.may_follow."""
from __future__ import annotations

import logging

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from prilavok.chat.v1 import events_pb2
from prilavok.common.v1 import common_pb2
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.identity import Party
from prilavok_platform.live import LiveFeed, LiveHub
from prilavok_platform.nats import EventDispatcher, PoisonMessage
from prilavok_platform.protobuf import identity_from_actor, party_from_pb
from services.chat.adapters.protos import message_from_pb, thread_from_pb
from services.chat.domain import access
from services.chat.domain.live import LiveItem, MessageArrived, ReadReceipt, ThreadChanged

log = logging.getLogger(__name__)


def _recipients(parties: list[common_pb2.Party]) -> list[Party]:
    return [party_from_pb(p, "recipients") for p in parties]


class ChatEventHub:
    def __init__(self, hub: LiveHub[LiveItem] | None = None) -> None:
        self._hub: LiveHub[LiveItem] = hub if hub is not None else LiveHub()
        self._dispatch = (
            EventDispatcher()
            .on(events_pb2.MessageDelivered, self._delivered)
            .on(events_pb2.ThreadRead, self._read)
            .on(events_pb2.ThreadClosed, self._closed)
            .on(events_pb2.ThreadCreated, self._created)
        )

    async def start(self, nc: NatsClient, subject_prefix: str):
        return await nc.subscribe(f"{subject_prefix}.chat.>", cb=self.on_message)

    def follow(self, following: access.Following) -> LiveFeed[LiveItem]:
        return self._hub.open(following.audience, following.accepts)

    async def on_message(self, msg: Msg) -> None:
        try:
            await self._dispatch(msg)
        except (PoisonMessage, InvalidArgument) as exc:  # a malformed event must not kill the hub
            log.warning("chat event on %s not streamed: %s", msg.subject, exc)

    def _publish(self, item: LiveItem, recipients: list[common_pb2.Party], actor: Party | None) -> None:
        self._hub.publish(item, access.live_audience(item.thread_id, _recipients(recipients), actor))

    async def _delivered(self, event: events_pb2.MessageDelivered) -> None:
        message = message_from_pb(event.message, thread_from_pb(event.thread))
        self._publish(MessageArrived(message), list(event.recipients), message.sender_party)

    async def _read(self, event: events_pb2.ThreadRead) -> None:
        reader = identity_from_actor(event.reader, "reader")
        self._publish(ReadReceipt(event.thread_id, reader, event.up_to_seq), list(event.recipients), Party.of(reader))

    async def _closed(self, event: events_pb2.ThreadClosed) -> None:
        closer = Party.of(identity_from_actor(event.closed_by, "closed_by"))
        self._publish(ThreadChanged(thread_from_pb(event.thread)), list(event.recipients), closer)

    async def _created(self, event: events_pb2.ThreadCreated) -> None:
        # The event names no opener: the parties it was opened with, and staff following it.
        self._publish(ThreadChanged(thread_from_pb(event.thread)), list(event.recipients), None)
