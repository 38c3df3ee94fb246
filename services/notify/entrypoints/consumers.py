"""NATS consumers: each event type the suite publishes that concerns people becomes the
notifications the domain decides on (`domain.notifications`), delivered by the handler.
Redelivery is harmless: a notification's id is derived from the event id and the recipient."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.returns.v1 import events_pb2 as returns_events
from prilavok.returns.v1 import returns_pb2
from prilavok_platform.clock import Clock
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.identity import Party
from prilavok_platform.nats import EventDispatcher, PoisonMessage
from prilavok_platform.protobuf import ROLES, EnumMapping, datetime_of, identity_from_actor, party_from_pb
from services.notify.domain import notifications as tell
from services.notify.domain.commands import Deliver
from services.notify.domain.model import Notification
from services.notify.service_layer.handlers import NotifyHandlers

CLAIM_STATUSES: EnumMapping[tell.ClaimStatus] = EnumMapping(returns_pb2.ClaimStatus, tell.ClaimStatus, "CLAIM_STATUS_")

E = TypeVar("E")


def _recipients(event: Any) -> list[Party]:
    return [party_from_pb(p, "recipients") for p in event.recipients]


def _claim(claim: returns_pb2.Claim) -> tell.Claim:
    try:
        status = CLAIM_STATUSES.from_pb(claim.status, "claim.status", required=False)
    except InvalidArgument:
        status = None  # a status newer than this notify: told with the general title
    return tell.Claim(claim.claim_id, claim.order_id, claim.thread_id, claim.buyer_id, claim.shop_id, status)


def dispatcher(handlers: NotifyHandlers, clock: Clock) -> EventDispatcher:
    """The routes of every consumer of notify, by the events' full protobuf type."""

    def route(translate: Callable[[E, dt.datetime], list[Notification]]) -> Callable[[E], Awaitable[None]]:
        @functools.wraps(translate)
        async def handle(event: E) -> None:
            try:
                found = translate(event, datetime_of(event, "occurred_at") or clock.now())
            except InvalidArgument as exc:  # a malformed event never gets better: do not redeliver it
                raise PoisonMessage(f"{type(event).__name__}: {exc}") from None
            if found:
                await handlers.deliver(Deliver(tuple(found)))

        return handle

    return (
        EventDispatcher()
        .on(chat_events.MessageDelivered, route(message_delivered))
        .on(chat_events.MessageHeld, route(message_held))
        .on(chat_events.MessageBlocked, route(message_blocked))
        .on(chat_events.ReplyDeadline, route(reply_deadline))
        .on(returns_events.ClaimOpened, route(claim_opened))
        .on(returns_events.ClaimStatusChanged, route(claim_status_changed))
        .on(returns_events.RefundIssued, route(refund_issued))
        .on(moderation_events.PenaltyIssued, route(penalty_issued))
    )


def message_delivered(e: chat_events.MessageDelivered, at: dt.datetime) -> list[Notification]:
    return tell.message_delivered(e.event_id, at, recipients=_recipients(e), sender=ROLES.require(e.message.sender.role, "message.sender.role"),
                                  thread_id=e.thread.thread_id, order_id=e.thread.order_id, text=e.message.text)


def message_held(e: chat_events.MessageHeld, at: dt.datetime) -> list[Notification]:
    return tell.message_held(e.event_id, at, recipients=_recipients(e), reason=e.message.moderation.reason, thread_id=e.thread.thread_id)


def message_blocked(e: chat_events.MessageBlocked, at: dt.datetime) -> list[Notification]:
    return tell.message_blocked(e.event_id, at, recipients=_recipients(e), reason=e.message.moderation.reason, thread_id=e.thread.thread_id)


def reply_deadline(e: chat_events.ReplyDeadline, at: dt.datetime) -> list[Notification]:
    due_at = datetime_of(e, "due_at") or at
    return tell.reply_deadline(e.event_id, at, recipients=_recipients(e), thread_id=e.thread.thread_id, order_id=e.thread.order_id,
                               due_at=due_at, breached=e.breached)


def claim_opened(e: returns_events.ClaimOpened, at: dt.datetime) -> list[Notification]:
    return tell.claim_opened(e.event_id, at, _claim(e.claim))


def claim_status_changed(e: returns_events.ClaimStatusChanged, at: dt.datetime) -> list[Notification]:
    changed_by = Party.of(identity_from_actor(e.changed_by, "changed_by")) if e.changed_by.role else None
    return tell.claim_status_changed(e.event_id, at, _claim(e.claim), changed_by, e.comment)


def refund_issued(e: returns_events.RefundIssued, at: dt.datetime) -> list[Notification]:
    return tell.refund_issued(e.event_id, at, claim_id=e.claim_id, buyer_id=e.buyer_id, shop_id=e.shop_id,
                              amount_minor=e.amount.amount_minor, currency=e.amount.currency_code)


def penalty_issued(e: moderation_events.PenaltyIssued, at: dt.datetime) -> list[Notification]:
    offender = Party.of(identity_from_actor(e.sender, "sender"))
    return tell.penalty_issued(e.event_id, at, offender=offender, amount_minor=e.penalty.fine.amount_minor,
                               currency=e.penalty.fine.currency_code, reason=e.penalty.reason)
