"""Defect claims: the lifecycle, who may move it, and what each move costs. Plain Python."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace

from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import FailedPrecondition, PermissionDenied, Validator
from services.returns.domain.ledger import Money, Posting, refund_posting


class ClaimStatus(str, enum.Enum):
    AWAITING_SELLER = "AWAITING_SELLER"
    AWAITING_BUYER = "AWAITING_BUYER"
    AWAITING_HANDOVER = "AWAITING_HANDOVER"
    ITEM_IN_TRANSIT = "ITEM_IN_TRANSIT"
    REJECTED = "REJECTED"
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"


TERMINAL = {ClaimStatus.SETTLED, ClaimStatus.CANCELLED}


class CompensationForm(str, enum.Enum):
    FULL_REFUND = "FULL_REFUND"
    REPLACEMENT = "REPLACEMENT"
    MISSING_PART = "MISSING_PART"
    PARTIAL_REFUND = "PARTIAL_REFUND"


REFUND_FORMS = {CompensationForm.FULL_REFUND, CompensationForm.PARTIAL_REFUND}


class ApprovalMode(str, enum.Enum):
    DEFECT_CHECK = "DEFECT_CHECK"
    TAKE_BACK = "TAKE_BACK"
    NO_RETURN = "NO_RETURN"
    RETURN_TO_SHOP = "RETURN_TO_SHOP"


class RejectionReason(str, enum.Enum):
    DEFECT_NOT_FOUND = "DEFECT_NOT_FOUND"
    NEED_PHOTO_OR_VIDEO = "NEED_PHOTO_OR_VIDEO"
    GO_TO_SERVICE_CENTRE = "GO_TO_SERVICE_CENTRE"
    OTHER = "OTHER"


class HandoverMethod(str, enum.Enum):
    PICKUP_POINT = "PICKUP_POINT"
    DIRECT_TO_SELLER = "DIRECT_TO_SELLER"


@dataclass(frozen=True)
class ReturnsPolicy:
    version: str
    currency_code: str
    claim_min_days_after_payment: int
    claim_max_days_after_payment: int
    max_photos: int
    max_description_chars: int
    max_reconsiderations: int

    @classmethod
    def from_dict(cls, data: dict) -> ReturnsPolicy:
        try:
            policy = cls(**{f: data[f] for f in cls.__dataclass_fields__})
        except (KeyError, TypeError) as exc:
            raise ValueError(f"invalid returns policy: missing or bad field {exc}") from None
        if policy.claim_min_days_after_payment < 0 or policy.claim_max_days_after_payment <= policy.claim_min_days_after_payment:
            raise ValueError("invalid returns policy: claim day limits")
        return policy


@dataclass(frozen=True)
class Purchase:
    purchase_id: str
    order_id: str
    item_id: str
    item_name: str
    buyer_id: str
    shop_id: str
    price: Money
    quantity: int
    paid_at: dt.datetime
    delivered_at: dt.datetime | None = None


@dataclass(frozen=True)
class Offer:
    form: CompensationForm
    refund: Money | None
    shipping: Money | None
    handover: HandoverMethod | None


@dataclass
class Claim:
    claim_id: str
    purchase_id: str
    order_id: str
    item_id: str
    buyer_id: str
    shop_id: str
    status: ClaimStatus
    description: str
    requested_form: CompensationForm
    quantity: int
    unit_price: Money
    created_at: dt.datetime
    updated_at: dt.datetime
    photo_ids: tuple[str, ...] = ()
    video_id: str = ""
    thread_id: str = ""
    defect_found_at: dt.datetime | None = None
    approval_mode: ApprovalMode | None = None
    offer: Offer | None = None
    rejection_reason: RejectionReason | None = None
    rejection_comment: str = ""
    reconsideration_count: int = 0
    pickup_point_id: str = ""
    refunded: Money | None = None
    version: int = 0
    applied_requests: list[str] = field(default_factory=list)

    @property
    def max_refund(self) -> Money:
        return self.unit_price.times(self.quantity)

    def require_buyer(self, caller: Identity) -> None:
        if caller.role is not Role.BUYER or caller.user_id != self.buyer_id:
            raise PermissionDenied(f"only the buyer who opened claim {self.claim_id} may do this", reason="NOT_THE_BUYER")

    def require_seller(self, caller: Identity) -> None:
        if caller.role is not Role.SELLER or caller.shop_id != self.shop_id:
            raise PermissionDenied(f"only the seller of shop {self.shop_id} may do this", reason="NOT_THE_SELLER")

    def require_visible(self, caller: Identity) -> None:
        if caller.role in (Role.SUPPORT, Role.SERVICE, Role.MODERATOR):
            return
        if (caller.role is Role.BUYER and caller.user_id == self.buyer_id) or (
            caller.role is Role.SELLER and caller.shop_id == self.shop_id
        ):
            return
        raise PermissionDenied(f"claim {self.claim_id} is not yours", reason="NOT_A_PARTY")

    def _require_status(self, *allowed: ClaimStatus, action: str) -> None:
        if self.status not in allowed:
            names = ", ".join(s.value for s in allowed)
            raise FailedPrecondition(
                f"cannot {action} claim {self.claim_id}: it is {self.status.value}, expected {names}",
                reason="CLAIM_WRONG_STATUS",
                metadata={"status": self.status.value},
            )


@dataclass(frozen=True)
class Transition:
    """The claim after a move, the money it moves (if any), and who moved it."""

    claim: Claim
    previous: ClaimStatus
    actor: Identity
    posting: Posting | None = None


def open_claim(
    *, claim_id: str, purchase: Purchase, caller: Identity, description: str, photo_ids: list[str], video_id: str,
    requested_form: CompensationForm | None, quantity: int, thread_id: str, defect_found_at: dt.datetime | None,
    now: dt.datetime, policy: ReturnsPolicy,
) -> Claim:
    if caller.role is not Role.BUYER or caller.user_id != purchase.buyer_id:
        raise PermissionDenied("only the buyer of the purchase may open a claim on it", reason="NOT_THE_BUYER")
    v = Validator()
    v.text(description, "description", max_len=policy.max_description_chars)
    if len(photo_ids) > policy.max_photos:
        v.add("photo_ids", f"at most {policy.max_photos} photos, got {len(photo_ids)}")
    for i, photo in enumerate(photo_ids):
        v.identifier(photo, f"photo_ids[{i}]")
    v.identifier(video_id, "video_id", required=False)
    v.identifier(thread_id, "thread_id", required=False)
    if requested_form is None:
        v.add("requested_form", "choose FULL_REFUND, REPLACEMENT, MISSING_PART or PARTIAL_REFUND")
    quantity = quantity or 1
    if not 1 <= quantity <= purchase.quantity:
        v.add("quantity", f"must be between 1 and {purchase.quantity} (the quantity bought)")
    if defect_found_at is not None and (defect_found_at > now or defect_found_at < purchase.paid_at):
        v.add("defect_found_at", "must lie between the payment and now")
    v.raise_if_any()
    days = (now - purchase.paid_at).days
    if days < policy.claim_min_days_after_payment:
        raise FailedPrecondition(
            f"paid {days} days ago: within {policy.claim_min_days_after_payment} days of payment use the ordinary return",
            reason="CLAIM_TOO_EARLY", metadata={"days_since_payment": str(days)},
        )
    if days > policy.claim_max_days_after_payment:
        raise FailedPrecondition(
            f"paid {days} days ago: defect claims are accepted up to {policy.claim_max_days_after_payment} days",
            reason="CLAIM_TOO_LATE", metadata={"days_since_payment": str(days)},
        )
    assert requested_form is not None
    return Claim(
        claim_id=claim_id, purchase_id=purchase.purchase_id, order_id=purchase.order_id, item_id=purchase.item_id,
        buyer_id=purchase.buyer_id, shop_id=purchase.shop_id, status=ClaimStatus.AWAITING_SELLER,
        description=description, requested_form=requested_form, quantity=quantity, unit_price=purchase.price,
        created_at=now, updated_at=now, photo_ids=tuple(photo_ids), video_id=video_id, thread_id=thread_id,
        defect_found_at=defect_found_at,
    )


def _settle(claim: Claim, now: dt.datetime) -> tuple[Claim, Posting | None]:
    offer = claim.offer
    assert offer is not None
    posting = None
    refunded = None
    if offer.form in REFUND_FORMS and offer.refund is not None and offer.refund.amount_minor > 0:
        posting = refund_posting(claim.claim_id, claim.purchase_id, claim.shop_id, claim.buyer_id, offer.refund, offer.shipping)
        refunded = offer.refund + offer.shipping if offer.shipping else offer.refund
    elif offer.shipping is not None and offer.shipping.amount_minor > 0:
        posting = refund_posting(claim.claim_id, claim.purchase_id, claim.shop_id, claim.buyer_id, Money(0, offer.shipping.currency_code), offer.shipping)
        refunded = offer.shipping
    return replace(claim, status=ClaimStatus.SETTLED, refunded=refunded, updated_at=now), posting


def _after_agreement(claim: Claim, now: dt.datetime) -> tuple[Claim, Posting | None]:
    if claim.approval_mode is ApprovalMode.NO_RETURN:
        return _settle(claim, now)
    return replace(claim, status=ClaimStatus.AWAITING_HANDOVER, updated_at=now), None


def approve(claim: Claim, caller: Identity, mode: ApprovalMode | None, offer: Offer, now: dt.datetime) -> Transition:
    claim.require_seller(caller)
    claim._require_status(ClaimStatus.AWAITING_SELLER, action="decide")
    v = Validator()
    if mode is None:
        v.add("approve.mode", "choose DEFECT_CHECK, TAKE_BACK, NO_RETURN or RETURN_TO_SHOP")
    if offer.form in REFUND_FORMS:
        if offer.refund is None or offer.refund.amount_minor <= 0:
            v.add("approve.offer.refund_amount", "a positive amount is required for a refund")
        elif offer.refund.currency_code != claim.unit_price.currency_code:
            v.add("approve.offer.refund_amount.currency_code", f"must be {claim.unit_price.currency_code}")
        elif offer.refund.amount_minor > claim.max_refund.amount_minor:
            v.add("approve.offer.refund_amount", f"must not exceed the price paid ({claim.max_refund.amount_minor} minor units)")
        elif offer.form is CompensationForm.FULL_REFUND and offer.refund != claim.max_refund:
            v.add("approve.offer.refund_amount", f"a full refund is the price paid: {claim.max_refund.amount_minor} minor units")
    elif offer.refund is not None and offer.refund.amount_minor:
        v.add("approve.offer.refund_amount", f"{offer.form.value} moves no refund money")
    if offer.shipping is not None:
        if offer.shipping.amount_minor < 0:
            v.add("approve.offer.shipping_reimbursement", "must not be negative")
        elif offer.shipping.currency_code != claim.unit_price.currency_code:
            v.add("approve.offer.shipping_reimbursement.currency_code", f"must be {claim.unit_price.currency_code}")
    if mode is not ApprovalMode.NO_RETURN and offer.handover is None and mode is not None:
        v.add("approve.offer.handover_method", "how the item comes back: PICKUP_POINT or DIRECT_TO_SELLER")
    if mode is ApprovalMode.NO_RETURN and offer.form in (CompensationForm.REPLACEMENT,):
        v.add("approve.mode", "a replacement needs the item back; use TAKE_BACK or DEFECT_CHECK")
    v.raise_if_any()
    previous = claim.status
    approved = replace(claim, approval_mode=mode, offer=offer, rejection_reason=None, rejection_comment="", updated_at=now)
    # The buyer already asked for exactly this: nothing left to agree on.
    agreed = offer.form is claim.requested_form and (offer.form is not CompensationForm.PARTIAL_REFUND)
    if agreed:
        after, posting = _after_agreement(approved, now)
    else:
        after, posting = replace(approved, status=ClaimStatus.AWAITING_BUYER), None
    return Transition(after, previous, caller, posting)


def reject(claim: Claim, caller: Identity, reason: RejectionReason | None, comment: str, now: dt.datetime) -> Transition:
    claim.require_seller(caller)
    claim._require_status(ClaimStatus.AWAITING_SELLER, action="decide")
    v = Validator()
    if reason is None:
        v.add("reject.reason", "choose a template reason or OTHER with a comment")
    elif reason is RejectionReason.OTHER and not comment.strip():
        v.add("reject.comment", "a custom rejection needs a comment for the buyer")
    v.text(comment, "reject.comment", max_len=2000, required=False)
    v.raise_if_any()
    return Transition(
        replace(claim, status=ClaimStatus.REJECTED, rejection_reason=reason, rejection_comment=comment.strip(), updated_at=now),
        claim.status, caller,
    )


def reconsider(claim: Claim, caller: Identity, photo_ids: list[str], video_id: str, now: dt.datetime, policy: ReturnsPolicy) -> Transition:
    claim.require_buyer(caller)
    claim._require_status(ClaimStatus.REJECTED, action="reconsider")
    if claim.reconsideration_count >= policy.max_reconsiderations:
        raise FailedPrecondition(
            f"claim {claim.claim_id} was reconsidered {claim.reconsideration_count} times already; contact support",
            reason="RECONSIDERATION_LIMIT",
        )
    photos = tuple(dict.fromkeys([*claim.photo_ids, *photo_ids]))
    if len(photos) > policy.max_photos:
        v = Validator()
        v.add("photo_ids", f"a claim holds at most {policy.max_photos} photos")
        v.raise_if_any()
    return Transition(
        replace(claim, status=ClaimStatus.AWAITING_SELLER, reconsideration_count=claim.reconsideration_count + 1,
                photo_ids=photos, video_id=video_id or claim.video_id, updated_at=now),
        claim.status, caller,
    )


def respond_to_offer(claim: Claim, caller: Identity, accept: bool, now: dt.datetime) -> Transition:
    claim.require_buyer(caller)
    claim._require_status(ClaimStatus.AWAITING_BUYER, action="answer the offer on")
    if accept:
        after, posting = _after_agreement(claim, now)
        return Transition(after, claim.status, caller, posting)
    # Declined: back to the seller for another offer.
    return Transition(replace(claim, status=ClaimStatus.AWAITING_SELLER, updated_at=now), claim.status, caller)


def hand_over(claim: Claim, caller: Identity, method: HandoverMethod | None, pickup_point_id: str, now: dt.datetime) -> Transition:
    claim.require_buyer(caller)
    claim._require_status(ClaimStatus.AWAITING_HANDOVER, action="hand over the item of")
    v = Validator()
    if method is None:
        v.add("method", "PICKUP_POINT or DIRECT_TO_SELLER")
    if method is HandoverMethod.PICKUP_POINT:
        v.identifier(pickup_point_id, "pickup_point_id")
    v.raise_if_any()
    return Transition(replace(claim, status=ClaimStatus.ITEM_IN_TRANSIT, pickup_point_id=pickup_point_id, updated_at=now), claim.status, caller)


def confirm_receipt(claim: Claim, caller: Identity, defect_confirmed: bool, comment: str, now: dt.datetime) -> Transition:
    claim.require_seller(caller)
    claim._require_status(ClaimStatus.ITEM_IN_TRANSIT, action="confirm receipt for")
    if claim.approval_mode is ApprovalMode.DEFECT_CHECK and not defect_confirmed:
        return Transition(
            replace(claim, status=ClaimStatus.REJECTED, rejection_reason=RejectionReason.DEFECT_NOT_FOUND,
                    rejection_comment=comment.strip(), updated_at=now),
            claim.status, caller,
        )
    after, posting = _settle(claim, now)
    return Transition(after, claim.status, caller, posting)


def cancel(claim: Claim, caller: Identity, now: dt.datetime) -> Transition:
    claim.require_buyer(caller)
    claim._require_status(
        ClaimStatus.AWAITING_SELLER, ClaimStatus.AWAITING_BUYER, ClaimStatus.AWAITING_HANDOVER, ClaimStatus.REJECTED,
        action="cancel",
    )
    return Transition(replace(claim, status=ClaimStatus.CANCELLED, updated_at=now), claim.status, caller)
