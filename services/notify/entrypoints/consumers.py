"""NATS consumers: each event type the suite publishes that concerns people becomes its command
(translation only) and goes to its handler, where the domain decides who is told what.
Redelivery is harmless: a notification's id is derived from the event id and the recipient.

Only an event that can never be handled is poison (terminated, never redelivered): one that does
not translate (a missing party, an out-of-range time...) or that the domain calls malformed.
Every other failure (the database, the network) propagates and the event is redelivered until
it is handled. Enum numbers of a newer producer are never poison: read as unknown where the domain
has a general wording for them (roles, thread kinds, claim statuses), and a transient failure
(redelivered until a newer notify handles it) where it cannot do without them (a party's kind)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.returns.v1 import events_pb2 as returns_events
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.identity import Party, Role
from prilavok_platform.nats import EventDispatcher, PoisonMessage, TransientError
from prilavok_platform.protobuf import ROLES, datetime_of
from services.notify.adapters.protos import (
    APPEAL_OUTCOMES,
    STANDINGS,
    THREAD_KINDS,
    NewerThanThisVersion,
    claim_from_pb,
    event_party,
)
from services.notify.domain import commands
from services.notify.domain.model import MalformedEvent
from services.notify.service_layer.handlers import NotifyHandlers

E = TypeVar("E")
C = TypeVar("C")


def _recipients(event: Any) -> tuple[Party, ...]:
    return tuple(event_party(p, "recipients") for p in event.recipients)


def _role(number: int, field: str) -> Role | None:
    """A role every such event names; one a newer producer added is None (unknown), not poison."""
    return ROLES.from_pb(number, field, required=True, unknown_ok=True)


def message_delivered(e: chat_events.MessageDelivered) -> commands.TellMessageDelivered:
    return commands.TellMessageDelivered(
        e.event_id, datetime_of(e, "occurred_at"), _recipients(e), sender=_role(e.message.sender.role, "message.sender.role"),
        thread_id=e.thread.thread_id, order_id=e.thread.order_id, text=e.message.text)


def message_held(e: chat_events.MessageHeld) -> commands.TellMessageHeld:
    return commands.TellMessageHeld(e.event_id, datetime_of(e, "occurred_at"), _recipients(e), reason=e.message.moderation.reason,
                                    thread_id=e.thread.thread_id)


def message_blocked(e: chat_events.MessageBlocked) -> commands.TellMessageBlocked:
    return commands.TellMessageBlocked(e.event_id, datetime_of(e, "occurred_at"), _recipients(e), reason=e.message.moderation.reason,
                                       thread_id=e.thread.thread_id)


def message_undelivered(e: chat_events.MessageUndelivered) -> commands.TellMessageUndelivered:
    return commands.TellMessageUndelivered(
        e.event_id, datetime_of(e, "occurred_at"), _recipients(e), thread_id=e.thread.thread_id, order_id=e.thread.order_id,
        on_appeal=bool(e.appeal_id), sent_at=datetime_of(e.message, "created_at"), closed_at=datetime_of(e.thread, "closed_at"))


def reply_deadline(e: chat_events.ReplyDeadline) -> commands.TellReplyDeadline:
    return commands.TellReplyDeadline(
        e.event_id, datetime_of(e, "occurred_at"), _recipients(e), thread_id=e.thread.thread_id, order_id=e.thread.order_id,
        due_at=datetime_of(e, "due_at"), breached=e.breached,
        thread_kind=THREAD_KINDS.from_pb(e.thread.kind, "thread.kind", required=False, unknown_ok=True),
        author=ROLES.from_pb(e.thread.author.role, "thread.author.role", required=False, unknown_ok=True))


def claim_opened(e: returns_events.ClaimOpened) -> commands.TellClaimOpened:
    return commands.TellClaimOpened(e.event_id, datetime_of(e, "occurred_at"), claim_from_pb(e.claim))


def claim_status_changed(e: returns_events.ClaimStatusChanged) -> commands.TellClaimStatusChanged:
    return commands.TellClaimStatusChanged(e.event_id, datetime_of(e, "occurred_at"), claim_from_pb(e.claim),
                                           changed_by=ROLES.from_pb(e.changed_by.role, "changed_by.role", required=False, unknown_ok=True),
                                           comment=e.comment)


def refund_issued(e: returns_events.RefundIssued) -> commands.TellRefundIssued:
    # An older returns names only the total (`amount`): no split, which the domain words as today.
    split = e.HasField("refund") or e.HasField("shipping_reimbursement")
    currency = e.amount.currency_code or e.refund.currency_code or e.shipping_reimbursement.currency_code
    return commands.TellRefundIssued(e.event_id, datetime_of(e, "occurred_at"), claim_id=e.claim_id, buyer_id=e.buyer_id,
                                     shop_id=e.shop_id, amount_minor=e.amount.amount_minor, currency=currency,
                                     refund_minor=e.refund.amount_minor if split else None,
                                     shipping_minor=e.shipping_reimbursement.amount_minor if split else None)


def penalty_issued(e: moderation_events.PenaltyIssued) -> commands.TellPenaltyIssued:
    return commands.TellPenaltyIssued(e.event_id, datetime_of(e, "occurred_at"), offender=event_party(e.offender, "offender"),
                                      amount_minor=e.penalty.fine.amount_minor, currency=e.penalty.fine.currency_code,
                                      reason=e.penalty.reason)


def penalty_withdrawn(e: moderation_events.PenaltyWithdrawn) -> commands.TellPenaltyWithdrawn:
    return commands.TellPenaltyWithdrawn(e.event_id, datetime_of(e, "occurred_at"), offender=event_party(e.offender, "offender"),
                                         amount_minor=e.penalty.fine.amount_minor, currency=e.penalty.fine.currency_code,
                                         appeal_id=e.appeal_id)


def standing_changed(e: moderation_events.StandingChanged) -> commands.TellStandingChanged:
    # A standing a newer moderation added reads as unknown (None): the domain tells only suspensions.
    return commands.TellStandingChanged(
        e.event_id, datetime_of(e, "occurred_at"), offender=event_party(e.offender, "offender"),
        previous=STANDINGS.from_pb(e.previous, "previous", required=False, unknown_ok=True),
        current=STANDINGS.from_pb(e.current, "current", required=False, unknown_ok=True),
        suspended_until=datetime_of(e, "suspended_until"),
        suspended_party=event_party(e.suspended_party, "suspended_party") if e.HasField("suspended_party") else None)


def appeal_resolved(e: moderation_events.AppealResolved) -> commands.TellAppealResolved:
    outcome = APPEAL_OUTCOMES.from_pb(e.outcome, "outcome", required=True, unknown_ok=True)
    if outcome is None:
        raise NewerThanThisVersion(f"outcome {e.outcome} is unknown to this version")
    return commands.TellAppealResolved(
        e.event_id, datetime_of(e, "occurred_at"), appellant=event_party(e.appellant, "appellant"), outcome=outcome,
        comment=e.comment, thread_id=e.thread_id, penalty_ids=tuple(e.penalty_ids), message_was_blocked=e.message_was_blocked)


def _route(translate: Callable[[E], C], handle: Callable[[C], Awaitable[object]]) -> Callable[[E], Awaitable[None]]:
    async def on_event(event: E) -> None:
        try:
            command = translate(event)
        except NewerThanThisVersion as exc:  # a newer producer: a newer notify will handle it
            raise TransientError(f"{type(event).__name__}: {exc}") from None
        except InvalidArgument as exc:  # the event itself is malformed: it never gets better
            raise PoisonMessage(f"{type(event).__name__}: {exc}") from None
        try:
            await handle(command)
        except MalformedEvent as exc:  # the domain cannot act on what the event says, ever
            raise PoisonMessage(f"{type(event).__name__}: {exc}") from None
        # Anything else the handler raises is not caught: the event is redelivered.

    return on_event


def dispatcher(handlers: NotifyHandlers) -> EventDispatcher:
    return (
        EventDispatcher()
        .on(chat_events.MessageDelivered, _route(message_delivered, handlers.message_delivered))
        .on(chat_events.MessageHeld, _route(message_held, handlers.message_held))
        .on(chat_events.MessageBlocked, _route(message_blocked, handlers.message_blocked))
        .on(chat_events.MessageUndelivered, _route(message_undelivered, handlers.message_undelivered))
        .on(chat_events.ReplyDeadline, _route(reply_deadline, handlers.reply_deadline))
        .on(returns_events.ClaimOpened, _route(claim_opened, handlers.claim_opened))
        .on(returns_events.ClaimStatusChanged, _route(claim_status_changed, handlers.claim_status_changed))
        .on(returns_events.RefundIssued, _route(refund_issued, handlers.refund_issued))
        .on(moderation_events.PenaltyIssued, _route(penalty_issued, handlers.penalty_issued))
        .on(moderation_events.PenaltyWithdrawn, _route(penalty_withdrawn, handlers.penalty_withdrawn))
        .on(moderation_events.StandingChanged, _route(standing_changed, handlers.standing_changed))
        .on(moderation_events.AppealResolved, _route(appeal_resolved, handlers.appeal_resolved))
    )
