"""Defect claims: the lifecycle, what each move costs, and what it tells the suite. Plain Python.

Who may make which move is decided in `access.py`; the functions here assume the caller was
allowed and decide everything else: the input, the status machine, the money, the events."""
from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from prilavok_platform import clock, idempotency
from prilavok_platform.errors import Aborted, AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, Validator
from prilavok_platform.identity import Identity, Party
from prilavok_platform.ids import StableIds
from services.returns.domain import events
from services.returns.domain.ledger import Account, EntryKind, LedgerEntry, Money, Posting, refund_posting, sale_posting
from services.returns.domain.policy import ReturnsPolicy

ID_NAMESPACE = uuid.UUID("3a1f2c4e-5b6d-4e7f-8a9b-72657475726e")
MAX_MONEY_MINOR = 10**13  # 100 billion roubles: anything above is a typo
MAX_QUANTITY = 10_000
DEFAULT_QUANTITY = 1  # a quantity left out (0 on the wire) means one item
MAX_COMMENT_CHARS = 2000
NOTES_KEPT = 20  # a claim keeps the last notes its parties wrote


# The same parts give the same id, so a retried request finds what the first one made.
stable_id = StableIds(ID_NAMESPACE)


def purchase_id_for(order_id: str, item_id: str) -> str:
    return stable_id("purchase", order_id, item_id)


def claim_id_for(buyer_id: str, request_id: str) -> str:
    return stable_id("claim", buyer_id, request_id)


def request_key(caller: Identity, request_id: str) -> str:
    """A request (a purchase recorded, a claim move) is applied once per caller and request id."""
    return stable_id("request", caller.role.value, caller.user_id, request_id)


def quantity_or_default(given: int) -> int:
    return given or DEFAULT_QUANTITY


class ClaimStatus(str, enum.Enum):
    AWAITING_SELLER = "AWAITING_SELLER"
    AWAITING_BUYER = "AWAITING_BUYER"
    AWAITING_HANDOVER = "AWAITING_HANDOVER"
    ITEM_IN_TRANSIT = "ITEM_IN_TRANSIT"
    REJECTED = "REJECTED"
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"


TERMINAL = frozenset({ClaimStatus.SETTLED, ClaimStatus.CANCELLED})
CANCELLABLE = (ClaimStatus.AWAITING_SELLER, ClaimStatus.AWAITING_BUYER, ClaimStatus.AWAITING_HANDOVER, ClaimStatus.REJECTED)


class RefundState(str, enum.Enum):
    """The money of a settled claim that pays the buyer."""

    PENDING_FUNDS = "PENDING_FUNDS"  # held: the shop's balance does not allow it yet
    PAID = "PAID"  # posted to the ledger


class CompensationForm(str, enum.Enum):
    FULL_REFUND = "FULL_REFUND"
    REPLACEMENT = "REPLACEMENT"
    MISSING_PART = "MISSING_PART"
    PARTIAL_REFUND = "PARTIAL_REFUND"


REFUND_FORMS = frozenset({CompensationForm.FULL_REFUND, CompensationForm.PARTIAL_REFUND})


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


# The fields of a purchase a request gives, in the order they are reported.
PURCHASE_FIELDS = ("order_id", "item_id", "item_name", "buyer_id", "shop_id", "price", "quantity", "paid_at", "delivered_at")
Fingerprint = idempotency.Fingerprint  # (field, digest of its value), in the order given


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
    # Who recorded it under which request id (`request_key`), and a digest of each field as
    # recorded: a later request for the same order line is compared with it field by field.
    # Purchases stored before these existed have neither.
    request_key: str = ""
    fingerprint: Fingerprint = ()
    # What its claims refunded of the price, or hold to refund (minor units of the price's
    # currency): never more than `paid`, whatever the number of claims. Storage keeps it with
    # a conditional update in the settlement's transaction.
    refunded_minor: int = 0
    # The return shipping its claims reimbursed, or hold to (minor units): never more than the
    # policy's `max_shipping_per_order_line_minor`; kept the same way as `refunded_minor`.
    shipping_reimbursed_minor: int = 0

    @property
    def paid(self) -> Money:
        """What was paid for the order line: the most its claims may ever refund together."""
        return self.price.times(self.quantity)

    @property
    def refundable(self) -> Money:
        """What is left to refund on the order line."""
        return Money(max(0, self.paid.amount_minor - self.refunded_minor), self.price.currency_code)

    def shipping_left(self, policy: ReturnsPolicy) -> Money:
        """What is left of the return shipping the policy reimburses on one order line."""
        cap = policy.max_shipping_per_order_line_minor
        return Money(max(0, cap - self.shipping_reimbursed_minor), self.price.currency_code)

    def sale(self) -> Posting:
        """The sale credits the shop with the price of everything bought."""
        return sale_posting(self.purchase_id, self.shop_id, self.price.times(self.quantity))


def to_millisecond(at: dt.datetime) -> dt.datetime:
    """Purchase times are kept to the millisecond (what the database stores), in UTC; naive
    times are UTC."""
    return clock.to_millisecond((at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC))


def fingerprint_of(purchase: Purchase) -> Fingerprint:
    """A digest of each field of the purchase (`prilavok_platform.idempotency`; kept with it)."""
    return idempotency.fingerprint({name: getattr(purchase, name) for name in PURCHASE_FIELDS})


def _as_requested(fingerprint: Fingerprint) -> Fingerprint:
    """The fingerprint's fields named as RecordPurchaseRequest names them ('purchase.price')."""
    return tuple((f"purchase.{name}", digest) for name, digest in fingerprint)


def differing_fields(stored: Purchase, candidate: Purchase) -> list[str]:
    """The fields in which a request for a stored order line differs from what was recorded."""
    return idempotency.differing_fields(stored.fingerprint or fingerprint_of(stored), candidate.fingerprint or fingerprint_of(candidate))


def money_text(m: Money) -> str:
    """'2499.90 RUB': amounts in messages, exact."""
    sign = "-" if m.amount_minor < 0 else ""
    units, minor = divmod(abs(m.amount_minor), 100)
    return f"{sign}{units}.{minor:02d} {m.currency_code}"


class RefundLimitExceeded(FailedPrecondition):
    """A refund above what is left to refund on the order line: FAILED_PRECONDITION with the
    remaining refundable amount in the metadata."""

    def __init__(self, purchase: Purchase, asked: Money | None = None):
        remaining = purchase.refundable
        what = f"a refund of {money_text(asked)}" if asked is not None else "another claim"
        super().__init__(
            f"order line {purchase.purchase_id} was paid {money_text(purchase.paid)} and has {money_text(remaining)} left "
            f"to refund: {what} would exceed it",
            reason="REFUND_LIMIT_EXCEEDED",
            metadata={"purchase_id": purchase.purchase_id, "remaining_minor": str(remaining.amount_minor),
                      "currency_code": remaining.currency_code, "paid_minor": str(purchase.paid.amount_minor)},
        )


class ShippingLimitExceeded(FailedPrecondition):
    """Return shipping above what is left of the policy's reimbursement per order line (its
    earlier claims reimbursed the rest): FAILED_PRECONDITION with what is left in the metadata."""

    def __init__(self, purchase: Purchase, policy: ReturnsPolicy, asked: Money):
        remaining = purchase.shipping_left(policy)
        super().__init__(
            f"order line {purchase.purchase_id} may have at most {money_text(policy.shipping_per_order_line)} of return shipping "
            f"reimbursed over all its claims and has {money_text(remaining)} left: {money_text(asked)} would exceed it",
            reason="SHIPPING_LIMIT_EXCEEDED",
            metadata={"purchase_id": purchase.purchase_id, "remaining_shipping_minor": str(remaining.amount_minor),
                      "currency_code": remaining.currency_code,
                      "max_shipping_per_order_line_minor": str(policy.max_shipping_per_order_line_minor)},
        )


class PurchaseAlreadyRecorded(AlreadyExists):
    """The order line is recorded with other values: ALREADY_EXISTS, naming what differs."""


class Recorded(NamedTuple):
    """RecordPurchase's answer: the purchase, whether the request recorded it (as the first
    request under its request id answered), and whether this answer replays that request."""

    purchase: Purchase
    created: bool
    replayed: bool = False


def record_purchase(candidate: Purchase, by_request: Purchase | None, same_line: Purchase | None, request_id: str) -> Recorded:
    """Whether a RecordPurchase request records `candidate` (created) or answers with a stored
    purchase. One purchase per order line: its id comes from (order_id, item_id).

    - the caller's request id was seen before (`by_request`): with the same purchase, a retry,
      answered as that request was (Stripe's semantics): the purchase it recorded, created,
      replayed; with another, INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED naming the fields that
      differ (a request id names one request);
    - the order line is stored (`same_line`) with the same fields: answered with it, not created;
    - the order line is stored with other fields: ALREADY_EXISTS naming the fields that differ."""
    if by_request is not None:
        stored = by_request.fingerprint  # empty for purchases recorded before fingerprints: any retry is the same
        idempotency.require_same_request(_as_requested(stored), _as_requested(candidate.fingerprint), request_id=request_id)
        # As first answered: nothing was refunded yet (the counters are not part of the answer anyway).
        return Recorded(replace(by_request, refunded_minor=0, shipping_reimbursed_minor=0), True, True)
    if same_line is None:
        return Recorded(candidate, True)
    differ = [f"purchase.{name}" for name in differing_fields(same_line, candidate)]  # as the request names them
    if differ:
        raise PurchaseAlreadyRecorded(
            f"order {candidate.order_id} item {candidate.item_id} is already recorded as purchase {same_line.purchase_id} "
            f"with other values of: {', '.join(differ)}",
            reason="PURCHASE_ALREADY_RECORDED", metadata={"purchase_id": same_line.purchase_id, "fields": ",".join(differ)},
        )
    return Recorded(same_line, False)


@dataclass(frozen=True)
class Offer:
    form: CompensationForm
    refund: Money | None
    shipping: Money | None
    handover: HandoverMethod | None


@dataclass(frozen=True)
class ClaimNote:
    """What a party wrote with a move (a cancel reason, a reconsideration request...)."""

    author: Party
    text: str
    status: ClaimStatus  # the status the move led to
    at: dt.datetime


@dataclass(frozen=True)
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
    # Settled money, kept apart: the refund of the price, and the reimbursed return shipping.
    refunded: Money | None = None
    shipping_reimbursed: Money | None = None
    notes: tuple[ClaimNote, ...] = ()
    version: int = 0
    # Request keys of moves made before request records existed (read, no longer written).
    applied_requests: tuple[str, ...] = ()
    # The OpenClaim request that opened it (a digest per field), for its retries.
    request_fingerprint: Fingerprint = ()
    # A settlement that pays the buyer: PAID, or PENDING_FUNDS holding `refund_held` (refund +
    # shipping) since `held_at`; None while nothing is paid.
    refund_state: RefundState | None = None
    refund_held: Money | None = None
    held_at: dt.datetime | None = None
    refund_paid_at: dt.datetime | None = None

    @property
    def max_refund(self) -> Money:
        return self.unit_price.times(self.quantity)

    def payment(self) -> Posting:
        """The posting that pays what the claim settled (for a held refund paid later)."""
        return refund_posting(self.claim_id, self.purchase_id, self.shop_id, self.buyer_id, self.refunded, self.shipping_reimbursed)

    @property
    def is_open(self) -> bool:
        """An open claim blocks another claim on the same purchase."""
        return self.status not in TERMINAL

    def has_applied(self, key: str) -> bool:
        return key in self.applied_requests

    def require_version(self, expected: int) -> None:
        """A decision made on what the seller saw: if the claim moved since, it is refused."""
        if expected and self.version != expected:
            raise Aborted(
                f"claim {self.claim_id} is at version {self.version}, not {expected}; reload it",
                reason="CLAIM_VERSION_MISMATCH", metadata={"version": str(self.version)},
            )

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
    """The claim after a move, the money it moves (if any), who moved it and what they wrote.
    `held`: the settlement's money could not be paid yet (the shop's overdraft) and is held."""

    claim: Claim
    previous: ClaimStatus
    actor: Identity
    posting: Posting | None = None
    comment: str = ""
    held: bool = False

    def emitted(self, entries: tuple[LedgerEntry, ...] = (), held: dict[Account, Money] | None = None) -> list[events.ReturnsEvent]:
        """What the move tells the suite: the status change; with money paid, each shop balance
        change (from the stored entries of the posting) and the refund to the buyer."""
        at = self.claim.updated_at
        out: list[events.ReturnsEvent] = [events.ClaimStatusChanged(self.claim, self.previous, self.actor, self.comment, at)]
        if self.posting is None or self.held:
            return out
        return out + payment_events(self.claim, self.posting, entries, held, at)


def payment_events(
    claim: Claim, posting: Posting, entries: tuple[LedgerEntry, ...], held: dict[Account, Money] | None, at: dt.datetime,
) -> list[events.ReturnsEvent]:
    """A claim's money paid to the buyer: the shop's balance changes and the refund issued."""
    buyer = Account.buyer_refunds(claim.buyer_id)
    refund = posting.total_to(buyer, EntryKind.REFUND)
    shipping = posting.total_to(buyer, EntryKind.SHIPPING_REIMBURSEMENT)
    return [*balance_changes(entries, held),
            events.RefundIssued(claim.claim_id, claim.buyer_id, claim.shop_id, refund, shipping, posting.posting_id, at)]


def balance_changes(entries: tuple[LedgerEntry, ...], held: dict[Account, Money] | None = None) -> list[events.ReturnsEvent]:
    """Sellers hear of every change of their shop's balance (with the refunds held on it, when
    known); other accounts stay internal."""
    return [
        events.BalanceChanged(e.account.shop_party, e.balance_after, e.amount, e.posting_id, e.posted_at, (held or {}).get(e.account))
        for e in entries if e.account.shop_party is not None and e.balance_after is not None
    ]


def paid_or_held(transition: Transition, paid: bool, now: dt.datetime) -> Transition:
    """A settlement with money, after the ledger answered: PAID when its posting was applied;
    else (the shop's balance would pass its overdraft limit, or older refunds of the shop wait)
    PENDING_FUNDS, the buyer's money held until the balance allows it."""
    claim = transition.claim
    if paid:
        return replace(transition, claim=replace(claim, refund_state=RefundState.PAID, refund_paid_at=now))
    assert transition.posting is not None
    owed = transition.posting.total_to(Account.buyer_refunds(claim.buyer_id))
    return replace(transition, held=True, claim=replace(
        claim, refund_state=RefundState.PENDING_FUNDS, refund_held=owed, held_at=now))


def pay_held(claim: Claim, now: dt.datetime) -> Claim:
    """A held refund paid: the claim's money is PAID (its next version)."""
    if claim.refund_state is not RefundState.PENDING_FUNDS:
        raise FailedPrecondition(f"claim {claim.claim_id} holds no refund", reason="NO_REFUND_HELD")
    return replace(claim, refund_state=RefundState.PAID, refund_held=None, held_at=None, refund_paid_at=now,
                   version=claim.version + 1)


def stamp_move(before: Claim, transition: Transition) -> Transition:
    """Stamps a move as applied: the claim's next version."""
    return replace(transition, claim=replace(transition.claim, version=before.version + 1))


@dataclass(frozen=True)
class AppliedRequest:
    """A claim request (OpenClaim, a move) made under a request id, kept with its effect (same
    transaction): which RPC on which claim, a digest of each field it sent, and the claim as the
    request left it, its answer. A retry is answered with that claim (the first result, however
    the claim moved since); the same id sent with anything else is refused."""

    key: str  # `request_key(caller, request_id)`; `open_request_key(claim_id)` for OpenClaim
    method: str  # the RPC, e.g. "DecideClaim"
    claim_id: str
    fingerprint: Fingerprint
    at: dt.datetime
    claim: Claim | None = None  # None in records kept before answers were: replayed as the claim is now


class Opened(NamedTuple):
    """OpenClaim's answer: the claim as opened, whether the request opened it (as the first
    request under its request id answered), and whether this answer replays that request."""

    claim: Claim
    created: bool
    replayed: bool = False


class Moved(NamedTuple):
    """A claim move's answer: the claim as the move left it, and whether this answer replays a
    move already made under its request id."""

    claim: Claim
    replayed: bool = False


def open_request_key(claim_id: str) -> str:
    """The record of the OpenClaim request that opened a claim (its id is made of the buyer and
    the request id, so one per request; apart from the moves' keys)."""
    return f"open:{claim_id}"


def require_same_move(applied: AppliedRequest, method: str, fingerprint: Fingerprint, request_id: str) -> None:
    """A request id names one request: the same RPC with the same fields (the claim's id among
    them), else INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED naming what differs."""
    if applied.method != method:
        raise InvalidArgument(FieldViolation(
            "request_id", f"was first used for {applied.method} (claim {applied.claim_id}); use a new request_id for {method}",
        ), reason=idempotency.REASON)
    idempotency.require_same_request(applied.fingerprint, fingerprint, request_id=request_id)


def replay_open(existing: Claim, opened: AppliedRequest | None, fingerprint: Fingerprint, request_id: str) -> Opened:
    """OpenClaim again under a request id that opened `existing`: the same request gets the first
    answer, the claim as it was opened (kept in `opened`; claims opened before answers were kept:
    as it is now), created; another (another purchase, description...) is
    IDEMPOTENCY_KEY_REUSED. Claims opened before fingerprints were kept accept any retry."""
    idempotency.require_same_request(existing.request_fingerprint, fingerprint, request_id=request_id)
    return Opened(opened.claim if opened is not None and opened.claim is not None else existing, True, True)



def new_purchase(
    *, caller: Identity, request_id: str, order_id: str, item_id: str, item_name: str, buyer_id: str, shop_id: str,
    price: Money | None, quantity: int, paid_at: dt.datetime | None, delivered_at: dt.datetime | None, now: dt.datetime,
    policy: ReturnsPolicy,
) -> Purchase:
    """The purchase a RecordPurchase request describes, checked; `record_purchase` decides
    whether it is stored."""
    v = Validator()
    v.identifier(request_id, "request_id")
    for name, value in (("order_id", order_id), ("item_id", item_id), ("buyer_id", buyer_id), ("shop_id", shop_id)):
        v.identifier(value, f"purchase.{name}")
    quantity = quantity_or_default(quantity)
    v.text(item_name, "purchase.item_name", max_len=500, required=False)
    if price is None or price.amount_minor <= 0:
        v.add("purchase.price", "a positive price in minor units is required")
    elif price.currency_code != policy.currency_code:
        v.add("purchase.price.currency_code", f"must be {policy.currency_code}")
    elif price.amount_minor * quantity > MAX_MONEY_MINOR:
        v.add("purchase.price", "is implausibly large")
    if not 1 <= quantity <= MAX_QUANTITY:
        v.add("purchase.quantity", f"must be between 1 and {MAX_QUANTITY}")
    if paid_at is None:
        v.add("purchase.paid_at", "is required")
    elif paid_at > now + dt.timedelta(minutes=5):
        v.add("purchase.paid_at", "must not be in the future")
    v.raise_if_any()
    assert price is not None and paid_at is not None
    purchase = Purchase(
        purchase_id=purchase_id_for(order_id, item_id), order_id=order_id, item_id=item_id, item_name=item_name,
        buyer_id=buyer_id, shop_id=shop_id, price=price, quantity=quantity, paid_at=to_millisecond(paid_at),
        delivered_at=to_millisecond(delivered_at) if delivered_at else None, request_key=request_key(caller, request_id),
    )
    return replace(purchase, fingerprint=fingerprint_of(purchase))


def open_claim(
    *, claim_id: str, purchase: Purchase, description: str, photo_ids: tuple[str, ...], video_id: str,
    requested_form: CompensationForm | None, quantity: int, thread_id: str, defect_found_at: dt.datetime | None,
    open_claim_exists: bool, now: dt.datetime, policy: ReturnsPolicy, request_fingerprint: Fingerprint = (),
) -> Claim:
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
    quantity = quantity_or_default(quantity)
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
    if open_claim_exists:
        raise FailedPrecondition(
            f"purchase {purchase.purchase_id} already has an open claim", reason="CLAIM_ALREADY_OPEN",
            metadata={"purchase_id": purchase.purchase_id},
        )
    if purchase.refundable.amount_minor <= 0:
        raise RefundLimitExceeded(purchase)  # everything paid was refunded: nothing left to claim
    assert requested_form is not None
    return Claim(
        claim_id=claim_id, purchase_id=purchase.purchase_id, order_id=purchase.order_id, item_id=purchase.item_id,
        buyer_id=purchase.buyer_id, shop_id=purchase.shop_id, status=ClaimStatus.AWAITING_SELLER,
        description=description, requested_form=requested_form, quantity=quantity, unit_price=purchase.price,
        created_at=now, updated_at=now, photo_ids=tuple(photo_ids), video_id=video_id, thread_id=thread_id,
        defect_found_at=defect_found_at, request_fingerprint=request_fingerprint,
    )


def opened(claim: Claim) -> list[events.ReturnsEvent]:
    return [events.ClaimOpened(claim, claim.created_at)]


def _check_comment(v: Validator, comment: str, field: str) -> None:
    v.text(comment, field, max_len=MAX_COMMENT_CHARS, required=False)


def _move(
    claim: Claim, caller: Identity, now: dt.datetime, comment: str = "", posting: Posting | None = None, **changes: Any,
) -> Transition:
    """The claim after a move, with the party's comment kept among its last notes."""
    after = replace(claim, updated_at=now, **changes)
    text = comment.strip()
    if text:
        note = ClaimNote(caller.party, text, after.status, now)
        after = replace(after, notes=(*claim.notes, note)[-NOTES_KEPT:])
    return Transition(after, claim.status, caller, posting, text)


def _paid(amount: Money | None) -> Money | None:
    return amount if amount is not None and amount.amount_minor > 0 else None


def _settlement(claim: Claim) -> tuple[Money | None, Money | None, Posting | None]:
    """What settling the agreed offer pays the buyer, each part on its own: the refund of the
    price (refund forms only) and the return shipping; no posting when nothing is paid."""
    offer = claim.offer
    assert offer is not None
    refund = _paid(offer.refund) if offer.form in REFUND_FORMS else None
    shipping = _paid(offer.shipping)
    if refund is None and shipping is None:
        return None, None, None
    return refund, shipping, refund_posting(claim.claim_id, claim.purchase_id, claim.shop_id, claim.buyer_id, refund, shipping)


def _settle(claim: Claim, caller: Identity, now: dt.datetime, comment: str = "", **changes: Any) -> Transition:
    refunded, shipping, posting = _settlement(replace(claim, **changes))
    return _move(claim, caller, now, comment, posting, status=ClaimStatus.SETTLED, refunded=refunded,
                 shipping_reimbursed=shipping, **changes)


def _after_agreement(claim: Claim, caller: Identity, now: dt.datetime, comment: str = "", **changes: Any) -> Transition:
    mode = changes.get("approval_mode", claim.approval_mode)
    if mode is ApprovalMode.NO_RETURN:
        return _settle(claim, caller, now, comment, **changes)
    return _move(claim, caller, now, comment, status=ClaimStatus.AWAITING_HANDOVER, **changes)


def _check_refund(v: Validator, claim: Claim, offer: Offer) -> None:
    """A refund offer: positive, in the price's currency, at most the price of the items claimed
    (what is left on the order line is a precondition: `_require_within_line`)."""
    currency = claim.unit_price.currency_code
    field = "approve.offer.refund_amount"
    if offer.refund is None or offer.refund.amount_minor <= 0:
        v.add(field, "a positive amount is required for a refund")
    elif offer.refund.currency_code != currency:
        v.add(f"{field}.currency_code", f"must be {currency}")
    elif offer.refund.amount_minor > claim.max_refund.amount_minor:
        v.add(field, f"must not exceed the price paid for the items claimed ({claim.max_refund.amount_minor} minor units)")
    elif offer.form is CompensationForm.FULL_REFUND and offer.refund != claim.max_refund:
        v.add(field, f"a full refund is the price paid: {claim.max_refund.amount_minor} minor units")


def _require_within_line(offer: Offer, line: Purchase, policy: ReturnsPolicy) -> None:
    """An offer within the claim's own bounds but above what is left on its order line (earlier
    claims took the rest): FAILED_PRECONDITION with what is left in the error's details,
    REFUND_LIMIT_EXCEEDED for the refund, SHIPPING_LIMIT_EXCEEDED for the return shipping."""
    if offer.form in REFUND_FORMS and offer.refund is not None and offer.refund.amount_minor > line.refundable.amount_minor:
        raise RefundLimitExceeded(line, offer.refund)
    if offer.shipping is not None and offer.shipping.amount_minor > line.shipping_left(policy).amount_minor:
        raise ShippingLimitExceeded(line, policy, offer.shipping)


def _check_shipping(v: Validator, claim: Claim, offer: Offer, returned_by: HandoverMethod | None, policy: ReturnsPolicy) -> None:
    """Return shipping: not negative, in the price's currency, and at most what the policy allows
    for the way the item comes back (its tariff, and the maximum per claim); `returned_by` is
    None when the item is not returned."""
    if offer.shipping is None:
        return
    field = "approve.offer.shipping_reimbursement"
    currency = claim.unit_price.currency_code
    cap = policy.shipping_cap_minor(returned_by.value if returned_by else None)
    how = f"a return by {returned_by.value}" if returned_by else "a claim where the item is not returned"
    if offer.shipping.amount_minor < 0:
        v.add(field, "must not be negative")
    elif offer.shipping.currency_code != currency:
        v.add(f"{field}.currency_code", f"must be {currency}")
    elif offer.shipping.amount_minor > cap:
        v.add(field, f"must not exceed {cap} minor units ({money_text(Money(cap, currency))}), what the policy reimburses for {how}")


def _check_offer(v: Validator, claim: Claim, mode: ApprovalMode | None, offer: Offer, policy: ReturnsPolicy) -> None:
    if offer.form in REFUND_FORMS:
        _check_refund(v, claim, offer)
    elif offer.refund is not None and offer.refund.amount_minor:
        v.add("approve.offer.refund_amount", f"{offer.form.value} moves no refund money")
    if mode is not None and mode is not ApprovalMode.NO_RETURN and offer.handover is None:
        v.add("approve.offer.handover_method", "how the item comes back: PICKUP_POINT or DIRECT_TO_SELLER")
    _check_shipping(v, claim, offer, None if mode is ApprovalMode.NO_RETURN else offer.handover, policy)
    if mode is ApprovalMode.NO_RETURN and offer.form is CompensationForm.REPLACEMENT:
        v.add("approve.mode", "a replacement needs the item back; use TAKE_BACK or DEFECT_CHECK")


@dataclass(frozen=True)
class Approve:
    mode: ApprovalMode | None
    offer: Offer | None


@dataclass(frozen=True)
class Reject:
    reason: RejectionReason | None
    comment: str = ""


def decide(
    claim: Claim, caller: Identity, decision: Approve | Reject | None, expected_version: int, now: dt.datetime,
    policy: ReturnsPolicy, line: Purchase,
) -> Transition:
    """The seller's decision on an AWAITING_SELLER claim. With `expected_version` (not 0) it
    holds only for the version of the claim the seller saw: if the claim moved since, ABORTED.
    `line`: the claim's order line as stored now (what its earlier claims refunded)."""
    if decision is None:
        raise InvalidArgument(FieldViolation("decision", "set approve or reject"))
    claim.require_version(expected_version)
    if isinstance(decision, Approve):
        return approve(claim, caller, decision.mode, decision.offer, now, policy, line)
    return reject(claim, caller, decision.reason, decision.comment, now)


def approve(
    claim: Claim, caller: Identity, mode: ApprovalMode | None, offer: Offer | None, now: dt.datetime, policy: ReturnsPolicy,
    line: Purchase,
) -> Transition:
    """An offer: INVALID_ARGUMENT naming every bad field (amounts above the claim's price or the
    policy's caps among them), then FAILED_PRECONDITION when the order line has less left."""
    claim._require_status(ClaimStatus.AWAITING_SELLER, action="decide")
    v = Validator()
    if mode is None:
        v.add("approve.mode", "choose DEFECT_CHECK, TAKE_BACK, NO_RETURN or RETURN_TO_SHOP")
    if offer is None:
        v.add("approve.offer.form", "choose a compensation form")
    else:
        _check_offer(v, claim, mode, offer, policy)
    v.raise_if_any()
    assert offer is not None
    _require_within_line(offer, line, policy)
    approved: dict[str, Any] = {"approval_mode": mode, "offer": offer, "rejection_reason": None, "rejection_comment": ""}
    # The buyer already asked for exactly this: nothing left to agree on.
    if offer.form is claim.requested_form and offer.form is not CompensationForm.PARTIAL_REFUND:
        return _after_agreement(claim, caller, now, "", **approved)
    return _move(claim, caller, now, "", None, status=ClaimStatus.AWAITING_BUYER, **approved)


def reject(claim: Claim, caller: Identity, reason: RejectionReason | None, comment: str, now: dt.datetime) -> Transition:
    claim._require_status(ClaimStatus.AWAITING_SELLER, action="decide")
    v = Validator()
    if reason is None:
        v.add("reject.reason", "choose a template reason or OTHER with a comment")
    elif reason is RejectionReason.OTHER and not comment.strip():
        v.add("reject.comment", "a custom rejection needs a comment for the buyer")
    _check_comment(v, comment, "reject.comment")
    v.raise_if_any()
    return _move(claim, caller, now, comment, status=ClaimStatus.REJECTED, rejection_reason=reason, rejection_comment=comment.strip())


def reconsider(
    claim: Claim, caller: Identity, comment: str, photo_ids: tuple[str, ...], video_id: str, now: dt.datetime, policy: ReturnsPolicy,
) -> Transition:
    claim._require_status(ClaimStatus.REJECTED, action="reconsider")
    if claim.reconsideration_count >= policy.max_reconsiderations:
        raise FailedPrecondition(
            f"claim {claim.claim_id} was reconsidered {claim.reconsideration_count} times already; contact support",
            reason="RECONSIDERATION_LIMIT",
        )
    v = Validator()
    _check_comment(v, comment, "comment")
    for i, photo in enumerate(photo_ids):
        v.identifier(photo, f"photo_ids[{i}]")
    v.identifier(video_id, "video_id", required=False)
    photos = tuple(dict.fromkeys([*claim.photo_ids, *photo_ids]))
    if len(photos) > policy.max_photos:
        v.add("photo_ids", f"a claim holds at most {policy.max_photos} photos")
    v.raise_if_any()
    return _move(
        claim, caller, now, comment, status=ClaimStatus.AWAITING_SELLER, reconsideration_count=claim.reconsideration_count + 1,
        photo_ids=photos, video_id=video_id or claim.video_id,
    )


def respond_to_offer(claim: Claim, caller: Identity, accept: bool, comment: str, now: dt.datetime) -> Transition:
    claim._require_status(ClaimStatus.AWAITING_BUYER, action="answer the offer on")
    v = Validator()
    _check_comment(v, comment, "comment")
    v.raise_if_any()
    if accept:
        return _after_agreement(claim, caller, now, comment)
    # Declined: back to the seller for another offer.
    return _move(claim, caller, now, comment, status=ClaimStatus.AWAITING_SELLER)


def hand_over(claim: Claim, caller: Identity, method: HandoverMethod | None, pickup_point_id: str, now: dt.datetime) -> Transition:
    """The buyer hands the item back the way agreed in the offer: at a pickup point (which one)
    or directly to the seller."""
    claim._require_status(ClaimStatus.AWAITING_HANDOVER, action="hand over the item of")
    v = Validator()
    if method is None:
        v.add("method", "PICKUP_POINT or DIRECT_TO_SELLER")
    if method is HandoverMethod.PICKUP_POINT:
        v.identifier(pickup_point_id, "pickup_point_id")
    elif pickup_point_id:
        v.add("pickup_point_id", "only for PICKUP_POINT")
    v.raise_if_any()
    agreed = claim.offer.handover if claim.offer else None
    if agreed is not None and method is not agreed:
        raise FailedPrecondition(
            f"claim {claim.claim_id}: the item is handed over as agreed, {agreed.value}", reason="HANDOVER_NOT_AS_AGREED",
            metadata={"agreed": agreed.value},
        )
    return _move(claim, caller, now, status=ClaimStatus.ITEM_IN_TRANSIT, pickup_point_id=pickup_point_id)


def confirm_receipt(claim: Claim, caller: Identity, defect_confirmed: bool, comment: str, now: dt.datetime) -> Transition:
    claim._require_status(ClaimStatus.ITEM_IN_TRANSIT, action="confirm receipt for")
    v = Validator()
    _check_comment(v, comment, "comment")
    v.raise_if_any()
    if claim.approval_mode is ApprovalMode.DEFECT_CHECK and not defect_confirmed:
        return _move(
            claim, caller, now, comment, status=ClaimStatus.REJECTED, rejection_reason=RejectionReason.DEFECT_NOT_FOUND,
            rejection_comment=comment.strip(),
        )
    return _settle(claim, caller, now, comment)


def cancel(claim: Claim, caller: Identity, reason: str, now: dt.datetime) -> Transition:
    claim._require_status(*CANCELLABLE, action="cancel")
    v = Validator()
    _check_comment(v, reason, "reason")
    v.raise_if_any()
    return _move(claim, caller, now, reason, status=ClaimStatus.CANCELLED)
