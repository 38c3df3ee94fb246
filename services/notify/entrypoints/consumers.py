"""NATS consumers: turn the suite's events into notifications. Idempotent: a notification's
id is derived from the event id and the recipient."""
from __future__ import annotations

import datetime as dt

from google.protobuf.message import DecodeError

from prilavok.chat.v1 import chat_pb2
from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.returns.v1 import events_pb2 as returns_events
from prilavok.returns.v1 import returns_pb2
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage
from services.notify.domain import model
from services.notify.domain.model import Notification
from services.notify.service_layer.handlers import NotifyHandlers


def actor_key(actor: common_pb2.Actor) -> str:
    if actor.role == common_pb2.ROLE_SELLER:
        return f"shop:{actor.shop_id}"
    if actor.role == common_pb2.ROLE_SUPPORT:
        return "support"
    return f"user:{actor.user_id}"


def thread_parties(thread: chat_pb2.Thread) -> list[str]:
    if thread.kind == chat_pb2.THREAD_KIND_SUPPORT:
        return [actor_key(thread.author), "support"]
    return [f"user:{thread.buyer_id}", f"shop:{thread.shop_id}"]


def _at(ts) -> dt.datetime:
    return ts.ToDatetime(tzinfo=dt.UTC) if ts.seconds else dt.datetime.now(dt.UTC)


def from_chat(event_type: str, payload: bytes) -> list[Notification]:
    name = event_type.rsplit(".", 1)[-1]
    if name == "MessageDelivered":
        e = chat_events.MessageDelivered.FromString(payload)
        sender = actor_key(e.message.sender)
        return [
            model.new_message(
                e.event_id, _at(e.occurred_at), recipient=party,
                sender_is_seller=e.message.sender.role == common_pb2.ROLE_SELLER,
                sender_is_support=e.message.sender.role == common_pb2.ROLE_SUPPORT,
                thread_id=e.thread.thread_id, order_id=e.thread.order_id, text=e.message.text,
            )
            for party in thread_parties(e.thread) if party != sender
        ]
    if name == "ReplyDeadline":
        e = chat_events.ReplyDeadline.FromString(payload)
        answering = "support" if e.thread.kind == chat_pb2.THREAD_KIND_SUPPORT else f"shop:{e.thread.shop_id}"
        return [model.reply_deadline(e.event_id, _at(e.occurred_at), recipient=answering, thread_id=e.thread.thread_id,
                                     order_id=e.thread.order_id, due_at=_at(e.due_at), breached=e.breached)]
    if name in ("MessageBlocked", "MessageHeld"):
        cls = chat_events.MessageBlocked if name == "MessageBlocked" else chat_events.MessageHeld
        e = cls.FromString(payload)
        return [model.message_not_delivered(
            e.event_id, _at(e.occurred_at), recipient=actor_key(e.message.sender), held=name == "MessageHeld",
            reason=e.message.moderation.reason, thread_id=e.thread.thread_id,
        )]
    return []


def from_returns(event_type: str, payload: bytes) -> list[Notification]:
    name = event_type.rsplit(".", 1)[-1]
    if name in ("ClaimOpened", "ClaimStatusChanged"):
        cls = returns_events.ClaimOpened if name == "ClaimOpened" else returns_events.ClaimStatusChanged
        e = cls.FromString(payload)
        claim = e.claim
        actor = actor_key(e.changed_by) if name == "ClaimStatusChanged" and e.changed_by.role else f"user:{claim.buyer_id}"
        status = returns_pb2.ClaimStatus.Name(claim.status).removeprefix("CLAIM_STATUS_")
        return [
            model.claim_update(e.event_id, _at(e.occurred_at), recipient=party, claim_id=claim.claim_id,
                               status=status, order_id=claim.order_id, thread_id=claim.thread_id)
            for party in (f"user:{claim.buyer_id}", f"shop:{claim.shop_id}") if party != actor
        ]
    if name == "RefundIssued":
        e = returns_events.RefundIssued.FromString(payload)
        return [
            model.refund_issued(e.event_id, _at(e.occurred_at), recipient=f"user:{e.buyer_id}", claim_id=e.claim_id,
                                amount_minor=e.amount.amount_minor, currency=e.amount.currency_code, to_buyer=True),
            model.refund_issued(e.event_id, _at(e.occurred_at), recipient=f"shop:{e.shop_id}", claim_id=e.claim_id,
                                amount_minor=e.amount.amount_minor, currency=e.amount.currency_code, to_buyer=False),
        ]
    return []


def from_moderation(event_type: str, payload: bytes) -> list[Notification]:
    if event_type.endswith(".PenaltyIssued"):
        e = moderation_events.PenaltyIssued.FromString(payload)
        return [model.penalty_issued(e.event_id, _at(e.occurred_at), recipient=actor_key(e.sender),
                                     amount_minor=e.penalty.fine.amount_minor, currency=e.penalty.fine.currency_code,
                                     reason=e.penalty.reason)]
    return []


def handler_for(translate, handlers: NotifyHandlers):
    async def handle(msg) -> None:
        event_type = (msg.headers or {}).get(EVENT_TYPE_HEADER, "")
        if not event_type:
            raise PoisonMessage(f"no {EVENT_TYPE_HEADER} header")
        try:
            notifications = translate(event_type, msg.data)
        except DecodeError as exc:
            raise PoisonMessage(f"undecodable {event_type}: {exc}") from None
        if notifications:
            await handlers.deliver(notifications)

    return handle
