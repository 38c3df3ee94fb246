"""NATS consumers of the chat service: a moderator's decision on a held message."""
from __future__ import annotations

from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.nats import EventDispatcher, PoisonMessage, TransientError
from services.chat.adapters.protos import REVIEW_OUTCOMES
from services.chat.domain.commands import ReleaseHeld
from services.chat.domain.model import ReviewOutcome
from services.chat.service_layer.handlers import ChatHandlers


def moderation_dispatcher(handlers: ChatHandlers) -> EventDispatcher:
    async def on_review_resolved(event: moderation_events.ReviewResolved) -> None:
        item = event.item
        outcome = REVIEW_OUTCOMES.from_pb(item.status, "item.status", required=False, unknown_ok=True)
        if outcome is None:
            if item.status != 0 and item.status not in moderation_pb2.ReviewStatus.values():
                # A status of a newer moderation: redelivered until a chat that knows it handles it
                # (terminating it would leave the message held for good).
                raise TransientError(f"review {item.review_id} resolved with status {item.status} unknown to this version")
            raise PoisonMessage(f"review {item.review_id} resolved without a decision (status {item.status})")
        await handlers.release_held(ReleaseHeld(
            item.message_id, approved=outcome is ReviewOutcome.APPROVED, comment=item.resolution_comment,
        ))

    return EventDispatcher().on(moderation_events.ReviewResolved, on_review_resolved)
