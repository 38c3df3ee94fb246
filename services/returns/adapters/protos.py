"""Conversions between the returns domain and its protobuf contracts (requests, replies, events)."""
from __future__ import annotations

from typing import Any

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok.returns.v1 import returns_pb2 as pb
from prilavok_platform.identity import Identity, Party
from prilavok_platform.protobuf import PARTY_KINDS, EnumMapping, datetime_of, party_to_pb, timestamp
from services.returns.domain import commands
from services.returns.domain.access import ClaimAction
from services.returns.domain.audit import Progress
from services.returns.domain.fines import Penalty
from services.returns.domain.ledger import EntryKind, LedgerEntry, Money, ShopBalance
from services.returns.domain.model import (
    ApprovalMode,
    Approve,
    Claim,
    ClaimNote,
    ClaimStatus,
    CompensationForm,
    HandoverMethod,
    Offer,
    Purchase,
    RefundState,
    Reject,
    RejectionReason,
)

STATUSES = EnumMapping(pb.ClaimStatus, ClaimStatus, "CLAIM_STATUS_")
FORMS = EnumMapping(pb.CompensationForm, CompensationForm, "COMPENSATION_FORM_")
MODES = EnumMapping(pb.ApprovalMode, ApprovalMode, "APPROVAL_MODE_")
REJECTIONS = EnumMapping(pb.RejectionReason, RejectionReason, "REJECTION_REASON_")
HANDOVERS = EnumMapping(pb.HandoverMethod, HandoverMethod, "HANDOVER_METHOD_")
ENTRY_KINDS = EnumMapping(pb.EntryKind, EntryKind, "ENTRY_KIND_")
REFUND_STATES = EnumMapping(pb.RefundState, RefundState, "REFUND_STATE_")
ACTIONS = EnumMapping(pb.ClaimAction, ClaimAction, "CLAIM_ACTION_")

ts = timestamp


def money_pb(m: Money | None) -> common_pb2.Money | None:
    return None if m is None else common_pb2.Money(currency_code=m.currency_code, amount_minor=m.amount_minor)


def money_from_pb(message: Any, field: str) -> Money | None:
    if not message.HasField(field):
        return None
    m = getattr(message, field)
    return Money(int(m.amount_minor), m.currency_code.strip().upper())


# --- requests -> commands -------------------------------------------------------------------


def offer_from_pb(offer: pb.CompensationOffer) -> Offer | None:
    form = FORMS.from_pb(offer.form, "approve.offer.form", required=False)
    if form is None:
        return None
    return Offer(
        form, money_from_pb(offer, "refund_amount"), money_from_pb(offer, "shipping_reimbursement"),
        HANDOVERS.from_pb(offer.handover_method, "approve.offer.handover_method", required=False),
    )


def decision_from_pb(request: pb.DecideClaimRequest) -> Approve | Reject | None:
    which = request.WhichOneof("decision")
    if which == "approve":
        return Approve(MODES.from_pb(request.approve.mode, "approve.mode", required=False), offer_from_pb(request.approve.offer))
    if which == "reject":
        return Reject(REJECTIONS.from_pb(request.reject.reason, "reject.reason", required=False), request.reject.comment)
    return None


def record_purchase_command(caller: Identity, request: pb.RecordPurchaseRequest) -> commands.RecordPurchase:
    p = request.purchase
    return commands.RecordPurchase(
        caller=caller, request_id=request.request_id, order_id=p.order_id, item_id=p.item_id, item_name=p.item_name,
        buyer_id=p.buyer_id, shop_id=p.shop_id, price=money_from_pb(p, "price"), quantity=p.quantity,
        paid_at=datetime_of(p, "paid_at"), delivered_at=datetime_of(p, "delivered_at"),
    )


def open_claim_command(caller: Identity, request: pb.OpenClaimRequest) -> commands.OpenClaim:
    return commands.OpenClaim(
        caller=caller, request_id=request.request_id, purchase_id=request.purchase_id, description=request.description,
        requested_form=FORMS.from_pb(request.requested_form, "requested_form", required=False),
        photo_ids=tuple(request.photo_ids), video_id=request.video_id, quantity=request.quantity,
        thread_id=request.thread_id, defect_found_at=datetime_of(request, "defect_found_at"),
    )


# --- domain -> replies ----------------------------------------------------------------------


def purchase_pb(p: Purchase) -> pb.Purchase:
    return pb.Purchase(purchase_id=p.purchase_id, order_id=p.order_id, item_id=p.item_id, item_name=p.item_name,
                       buyer_id=p.buyer_id, shop_id=p.shop_id, price=money_pb(p.price), quantity=p.quantity,
                       paid_at=ts(p.paid_at), delivered_at=ts(p.delivered_at))


def note_pb(n: ClaimNote) -> pb.ClaimNote:
    return pb.ClaimNote(author=party_to_pb(n.author), text=n.text, status=STATUSES.to_pb(n.status), at=ts(n.at))


def claim_pb(c: Claim, actions: tuple[ClaimAction, ...] = ()) -> pb.Claim:
    """The claim as `actions` show it to its viewer (none in events)."""
    out = pb.Claim(
        claim_id=c.claim_id, purchase_id=c.purchase_id, order_id=c.order_id, item_id=c.item_id, buyer_id=c.buyer_id,
        shop_id=c.shop_id, status=STATUSES.to_pb(c.status), description=c.description, photo_ids=list(c.photo_ids),
        video_id=c.video_id, requested_form=FORMS.to_pb(c.requested_form),
        quantity=c.quantity, thread_id=c.thread_id, reconsideration_count=c.reconsideration_count,
        pickup_point_id=c.pickup_point_id, created_at=ts(c.created_at), updated_at=ts(c.updated_at), version=c.version,
        refunded=money_pb(c.refunded), shipping_reimbursed=money_pb(c.shipping_reimbursed),
        defect_found_at=ts(c.defect_found_at), notes=[note_pb(n) for n in c.notes],
        refund_state=REFUND_STATES.to_pb(c.refund_state), refund_held=money_pb(c.refund_held), refund_paid_at=ts(c.refund_paid_at),
        available_actions=[ACTIONS.to_pb(a) for a in actions],
    )
    if c.offer and c.approval_mode:
        offer = pb.CompensationOffer(
            form=FORMS.to_pb(c.offer.form), refund_amount=money_pb(c.offer.refund),
            shipping_reimbursement=money_pb(c.offer.shipping), handover_method=HANDOVERS.to_pb(c.offer.handover),
        )
        out.approval.CopyFrom(pb.Approval(mode=MODES.to_pb(c.approval_mode), offer=offer))
    if c.rejection_reason:
        out.rejection.CopyFrom(pb.Rejection(reason=REJECTIONS.to_pb(c.rejection_reason), comment=c.rejection_comment))
    return out


def balance_pb(b: ShopBalance) -> pb.Balance:
    return pb.Balance(
        shop_id=b.shop_id, available=money_pb(b.current), updated_at=ts(b.updated_at), current=money_pb(b.current),
        available_for_withdrawal=money_pb(b.available_for_withdrawal), debt=money_pb(b.debt),
        held_refunds=money_pb(b.held_refunds), overdraft_limit=money_pb(b.overdraft_limit),
    )


def ledger_entry_pb(e: LedgerEntry) -> pb.LedgerEntry:
    return pb.LedgerEntry(
        entry_id=e.entry_id, posting_id=e.posting_id, kind=ENTRY_KINDS.to_pb(e.kind), amount=money_pb(e.amount),
        claim_id=e.claim_id, purchase_id=e.purchase_id, posted_at=ts(e.posted_at), balance_after=money_pb(e.balance_after),
        penalty_id=e.penalty_id, note=e.note,
    )


# --- moderation's events -> commands -----------------------------------------------------------


def penalty_from_pb(penalty: moderation_pb2.Penalty, offender: common_pb2.Party) -> Penalty:
    """A penalty of moderation's events; an offender of a kind this version does not know is None."""
    kind = PARTY_KINDS.from_pb(offender.kind, "offender.kind", required=False, unknown_ok=True)
    return Penalty(penalty.penalty_id, Party(kind, offender.id) if kind else None, money_from_pb(penalty, "fine"), penalty.reason)


def post_fine_command(event: moderation_events.PenaltyIssued) -> commands.PostFine:
    return commands.PostFine(penalty_from_pb(event.penalty, event.offender))


def reverse_fine_command(event: moderation_events.PenaltyWithdrawn) -> commands.ReverseFine:
    return commands.ReverseFine(penalty_from_pb(event.penalty, event.offender))



def verify_response(progress: Progress) -> pb.VerifyLedgerResponse:
    return pb.VerifyLedgerResponse(
        done=progress.done, entries_checked=progress.entries, postings_checked=progress.postings,
        accounts_checked=progress.accounts, purchases_checked=progress.purchases, claims_checked=progress.claims,
        penalties_checked=progress.penalties, ok=progress.ok,
        problems=[pb.LedgerProblem(kind=p.kind.value, subject=p.subject, detail=p.detail) for p in progress.problems],
    )
