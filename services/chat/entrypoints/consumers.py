"""NATS consumers of the chat service: moderation's decisions on held messages and on appeals
against blocks, and the suspensions it announces (StandingChanged), which chat keeps as its own
read model."""
from __future__ import annotations

from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.nats import EventDispatcher, PoisonMessage, TransientError
from services.chat.adapters import protos
from services.chat.adapters.protos import REVIEW_OUTCOMES
from services.chat.domain.commands import DeliverOnAppeal, ReleaseHeld
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
            item.message_id, approved=outcome is ReviewOutcome.APPROVED, comment=item.resolution_comment, review_id=item.review_id,
        ))

    return EventDispatcher().on(moderation_events.ReviewResolved, on_review_resolved)


def appeal_dispatcher(handlers: ChatHandlers) -> EventDispatcher:
    """A reversed appeal against a block delivers the blocked message (or, its thread closed,
    leaves it UNDELIVERED); any other outcome changes nothing in chat (moderation withdrew the
    strike and fines itself)."""
    async def on_appeal_resolved(event: moderation_events.AppealResolved) -> None:
        if event.outcome == moderation_events.APPEAL_OUTCOME_UNSPECIFIED:
            raise PoisonMessage(f"appeal {event.appeal_id} resolved without an outcome")
        if event.outcome not in moderation_events.AppealOutcome.values():
            raise TransientError(f"appeal {event.appeal_id} resolved with outcome {event.outcome} unknown to this version")
        if event.outcome != moderation_events.APPEAL_OUTCOME_REVERSED or not event.message_was_blocked:
            return
        if not event.message_id:
            raise PoisonMessage(f"appeal {event.appeal_id} reversed a block without naming the message")
        await handlers.deliver_on_appeal(DeliverOnAppeal(event.message_id, event.appeal_id, event.comment))

    return EventDispatcher().on(moderation_events.AppealResolved, on_appeal_resolved)


def standing_dispatcher(handlers: ChatHandlers) -> EventDispatcher:
    async def on_standing_changed(event: moderation_events.StandingChanged) -> None:
        try:
            command = protos.note_standing_from_pb(event)
        except InvalidArgument as exc:  # malformed stays malformed, however often it is redelivered
            raise PoisonMessage(f"standing change {event.event_id}: {exc}") from None
        except protos.UnknownToThisVersion as exc:
            raise TransientError(f"standing change {event.event_id}: {exc}; left for a newer chat") from None
        await handlers.note_standing(command)

    return EventDispatcher().on(moderation_events.StandingChanged, on_standing_changed)
