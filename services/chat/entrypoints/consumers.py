"""NATS consumers of the chat service: a moderator's decision on a held message."""
from __future__ import annotations

from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.nats import EventDispatcher, PoisonMessage
from services.chat.domain.commands import ReleaseHeld
from services.chat.service_layer.handlers import ChatHandlers

DECIDED = (moderation_pb2.REVIEW_STATUS_APPROVED, moderation_pb2.REVIEW_STATUS_REJECTED)


def moderation_dispatcher(handlers: ChatHandlers) -> EventDispatcher:
    async def on_review_resolved(event: moderation_events.ReviewResolved) -> None:
        item = event.item
        if item.status not in DECIDED:
            raise PoisonMessage(f"review {item.review_id} resolved with status {item.status}")
        await handlers.release_held(ReleaseHeld(
            item.message_id, approved=item.status == moderation_pb2.REVIEW_STATUS_APPROVED, comment=item.resolution_comment,
        ))

    return EventDispatcher().on(moderation_events.ReviewResolved, on_review_resolved)
