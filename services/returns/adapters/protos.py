"""Conversions between the returns domain and its protobuf contracts."""
from __future__ import annotations

from prilavok.common.v1 import common_pb2
from prilavok.returns.v1 import returns_pb2 as pb
from prilavok_platform.auth import Identity, Role
from prilavok_platform.protobuf import datetime_of, timestamp
from services.returns.domain.ledger import Money
from services.returns.domain.model import (
    ApprovalMode,
    Claim,
    ClaimStatus,
    CompensationForm,
    HandoverMethod,
    Offer,
    Purchase,
    RejectionReason,
)

ROLE_TO_PB = {Role.BUYER: common_pb2.ROLE_BUYER, Role.SELLER: common_pb2.ROLE_SELLER, Role.SUPPORT: common_pb2.ROLE_SUPPORT,
              Role.MODERATOR: common_pb2.ROLE_MODERATOR, Role.SERVICE: common_pb2.ROLE_SERVICE}


ts = timestamp


from_ts = datetime_of


def money_pb(m: Money | None) -> common_pb2.Money | None:
    return None if m is None else common_pb2.Money(currency_code=m.currency_code, amount_minor=m.amount_minor)


def money_from_pb(message, field: str) -> Money | None:
    if not message.HasField(field):
        return None
    m = getattr(message, field)
    return Money(int(m.amount_minor), m.currency_code.strip().upper())


def actor_pb(identity: Identity) -> common_pb2.Actor:
    return common_pb2.Actor(role=ROLE_TO_PB[identity.role], user_id=identity.user_id, shop_id=identity.shop_id)


def _enum_from(enum_pb, prefix: str, value: int, domain_enum):
    if value not in enum_pb.values():
        return None
    name = enum_pb.Name(value).removeprefix(prefix)
    return domain_enum(name) if name in domain_enum.__members__ else None


def form_from(value: int) -> CompensationForm | None:
    return _enum_from(pb.CompensationForm, "COMPENSATION_FORM_", value, CompensationForm)


def mode_from(value: int) -> ApprovalMode | None:
    return _enum_from(pb.ApprovalMode, "APPROVAL_MODE_", value, ApprovalMode)


def rejection_from(value: int) -> RejectionReason | None:
    return _enum_from(pb.RejectionReason, "REJECTION_REASON_", value, RejectionReason)


def handover_from(value: int) -> HandoverMethod | None:
    return _enum_from(pb.HandoverMethod, "HANDOVER_METHOD_", value, HandoverMethod)


def status_from(value: int) -> ClaimStatus | None:
    return _enum_from(pb.ClaimStatus, "CLAIM_STATUS_", value, ClaimStatus)


def claim_status_pb(status: ClaimStatus) -> int:
    return pb.ClaimStatus.Value(f"CLAIM_STATUS_{status.value}")


def offer_from_pb(offer: pb.CompensationOffer) -> Offer | None:
    form = form_from(offer.form)
    if form is None:
        return None
    return Offer(form, money_from_pb(offer, "refund_amount"), money_from_pb(offer, "shipping_reimbursement"), handover_from(offer.handover_method))


def purchase_pb(p: Purchase) -> pb.Purchase:
    out = pb.Purchase(purchase_id=p.purchase_id, order_id=p.order_id, item_id=p.item_id, item_name=p.item_name,
                      buyer_id=p.buyer_id, shop_id=p.shop_id, price=money_pb(p.price), quantity=p.quantity, paid_at=ts(p.paid_at))
    if p.delivered_at:
        out.delivered_at.CopyFrom(ts(p.delivered_at))
    return out


def claim_pb(c: Claim) -> pb.Claim:
    out = pb.Claim(
        claim_id=c.claim_id, purchase_id=c.purchase_id, order_id=c.order_id, item_id=c.item_id, buyer_id=c.buyer_id,
        shop_id=c.shop_id, status=claim_status_pb(c.status), description=c.description, photo_ids=list(c.photo_ids),
        video_id=c.video_id, requested_form=pb.CompensationForm.Value(f"COMPENSATION_FORM_{c.requested_form.value}"),
        quantity=c.quantity, thread_id=c.thread_id, reconsideration_count=c.reconsideration_count,
        pickup_point_id=c.pickup_point_id, created_at=ts(c.created_at), updated_at=ts(c.updated_at), version=c.version,
    )
    if c.refunded:
        out.refunded.CopyFrom(money_pb(c.refunded))
    if c.defect_found_at:
        out.defect_found_at.CopyFrom(ts(c.defect_found_at))
    if c.offer and c.approval_mode:
        offer = pb.CompensationOffer(form=pb.CompensationForm.Value(f"COMPENSATION_FORM_{c.offer.form.value}"))
        if c.offer.refund:
            offer.refund_amount.CopyFrom(money_pb(c.offer.refund))
        if c.offer.shipping:
            offer.shipping_reimbursement.CopyFrom(money_pb(c.offer.shipping))
        if c.offer.handover:
            offer.handover_method = pb.HandoverMethod.Value(f"HANDOVER_METHOD_{c.offer.handover.value}")
        out.approval.CopyFrom(pb.Approval(mode=pb.ApprovalMode.Value(f"APPROVAL_MODE_{c.approval_mode.value}"), offer=offer))
    if c.rejection_reason:
        out.rejection.CopyFrom(pb.Rejection(reason=pb.RejectionReason.Value(f"REJECTION_REASON_{c.rejection_reason.value}"), comment=c.rejection_comment))
    return out


def balance_pb(shop_id: str, amount: Money, updated_at) -> pb.Balance:
    out = pb.Balance(shop_id=shop_id, available=money_pb(amount))
    if updated_at:
        out.updated_at.CopyFrom(ts(updated_at))
    return out
