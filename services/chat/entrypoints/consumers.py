"""NATS consumers of the chat service: a moderator's decision on a held message."""
from __future__ import annotations

from google.protobuf.message import DecodeError

from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage
from services.chat.service_layer.handlers import ChatHandlers


def review_resolved_handler(handlers: ChatHandlers):
    async def handle(msg) -> None:
        if (msg.headers or {}).get(EVENT_TYPE_HEADER) != moderation_events.ReviewResolved.DESCRIPTOR.full_name:
            return
        try:
            event = moderation_events.ReviewResolved.FromString(msg.data)
        except DecodeError as exc:
            raise PoisonMessage(f"undecodable ReviewResolved: {exc}") from None
        item = event.item
        if item.status not in (moderation_pb2.REVIEW_STATUS_APPROVED, moderation_pb2.REVIEW_STATUS_REJECTED):
            raise PoisonMessage(f"review {item.review_id} resolved with status {item.status}")
        await handlers.release_held(item.message_id, approved=item.status == moderation_pb2.REVIEW_STATUS_APPROVED,
                                    comment=item.resolution_comment)

    return handle
