"""Chat's domain events -> the protobuf events of prilavok.chat.v1 and their subjects."""
from __future__ import annotations

from typing import Any

from prilavok.chat.v1 import events_pb2
from prilavok_platform.mongo_unit_of_work import OutboxEvent
from prilavok_platform.protobuf import actor_to_pb, party_to_pb, timestamp
from services.chat.adapters.protos import message_to_pb, thread_to_pb
from services.chat.domain import events


def map_event(event: object, event_id: str) -> OutboxEvent:
    if not isinstance(event, events.ChatEvent):
        raise TypeError(f"not a chat domain event: {event!r}")
    common: dict[str, Any] = {
        "event_id": event_id, "occurred_at": timestamp(event.occurred_at), "thread": thread_to_pb(event.thread),
        "recipients": [party_to_pb(p) for p in event.recipients],
    }
    match event:
        case events.ThreadCreated():
            return OutboxEvent("thread.created", events_pb2.ThreadCreated(**common))
        case events.MessageDelivered(message=message):
            return OutboxEvent("message.delivered", events_pb2.MessageDelivered(**common, message=message_to_pb(message)))
        case events.MessageHeld(message=message):
            return OutboxEvent("message.held", events_pb2.MessageHeld(**common, message=message_to_pb(message)))
        case events.MessageBlocked(message=message):
            return OutboxEvent("message.blocked", events_pb2.MessageBlocked(**common, message=message_to_pb(message)))
        case events.MessageUndelivered(message=message, review_id=review_id, appeal_id=appeal_id):
            return OutboxEvent("message.undelivered", events_pb2.MessageUndelivered(
                **common, message=message_to_pb(message), review_id=review_id, appeal_id=appeal_id))
        case events.ThreadRead(thread=thread, reader=reader, up_to_seq=seq):
            return OutboxEvent("thread.read", events_pb2.ThreadRead(
                **common, thread_id=thread.thread_id, reader=actor_to_pb(reader), up_to_seq=seq))
        case events.ThreadClosed(closed_by=by, reason=reason):
            return OutboxEvent("thread.closed", events_pb2.ThreadClosed(**common, closed_by=actor_to_pb(by), reason=reason))
        case events.ReplyDeadline(due_at=due, breached=breached):
            name = "deadline.breached" if breached else "deadline.approaching"
            return OutboxEvent(name, events_pb2.ReplyDeadline(**common, due_at=timestamp(due), breached=breached))
    raise TypeError(f"not a chat domain event: {event!r}")

