"""NATS consumers of the chat service: a moderator's decision on a held message."""
from __future__ import annotations

from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.nats import EventDispatcher, PoisonMessage
from services.chat.adapters.protos import REVIEW_OUTCOMES
from services.chat.domain.commands import ReleaseHeld
from services.chat.domain.model import ReviewOutcome
from services.chat.service_layer.handlers import ChatHandlers


def moderation_dispatcher(handlers: ChatHandlers) -> EventDispatcher:
    async def on_review_resolved(event: moderation_events.ReviewResolved) -> None:
        item = event.item
        try:
            outcome = REVIEW_OUTCOMES.require(item.status, "item.status")
        except InvalidArgument:
            raise PoisonMessage(f"review {item.review_id} resolved with status {item.status}") from None
        await handlers.release_held(ReleaseHeld(
            item.message_id, approved=outcome is ReviewOutcome.APPROVED, comment=item.resolution_comment,
        ))

    return EventDispatcher().on(moderation_events.ReviewResolved, on_review_resolved)
