"""Domain events -> the protobuf events on the wire and their subjects below '<prefix>.returns.'."""
from __future__ import annotations

from prilavok.returns.v1 import events_pb2
from prilavok_platform.mongo_unit_of_work import OutboxEvent
from prilavok_platform.protobuf import actor_to_pb
from services.returns.adapters import protos
from services.returns.domain import events
from services.returns.domain.ledger import ShopBalance


def map_event(event: object, event_id: str) -> OutboxEvent:
    if isinstance(event, events.ClaimOpened):
        return OutboxEvent("claim.opened", events_pb2.ClaimOpened(
            event_id=event_id, occurred_at=protos.ts(event.occurred_at), claim=protos.claim_pb(event.claim)))
    if isinstance(event, events.ClaimStatusChanged):
        return OutboxEvent("claim.status_changed", events_pb2.ClaimStatusChanged(
            event_id=event_id, occurred_at=protos.ts(event.occurred_at), claim=protos.claim_pb(event.claim),
            previous=protos.STATUSES.to_pb(event.previous), changed_by=actor_to_pb(event.changed_by),
            comment=event.comment,
        ))
    if isinstance(event, events.RefundIssued):
        return OutboxEvent("refund.issued", events_pb2.RefundIssued(
            event_id=event_id, occurred_at=protos.ts(event.occurred_at), claim_id=event.claim_id, buyer_id=event.buyer_id,
            shop_id=event.shop_id, amount=protos.money_pb(event.total), posting_id=event.posting_id,
            refund=protos.money_pb(event.refund), shipping_reimbursement=protos.money_pb(event.shipping),
        ))
    if isinstance(event, events.BalanceChanged):
        balance = ShopBalance(event.shop.id, event.balance, event.occurred_at, event.held)
        return OutboxEvent("balance.changed", events_pb2.BalanceChanged(
            event_id=event_id, occurred_at=protos.ts(event.occurred_at), balance=protos.balance_pb(balance),
            delta=protos.money_pb(event.delta), posting_id=event.posting_id,
        ))
    raise TypeError(f"returns has no mapping for event {type(event).__name__}")
