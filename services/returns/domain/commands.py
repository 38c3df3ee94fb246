"""One command per use case of the returns service, as the entry points hand them over."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.identity import Identity
from services.returns.domain.fines import Penalty
from services.returns.domain.ledger import Money
from services.returns.domain.model import Approve, ClaimStatus, CompensationForm, HandoverMethod, Reject


@dataclass(frozen=True)
class RecordPurchase:
    caller: Identity
    request_id: str
    order_id: str
    item_id: str
    item_name: str
    buyer_id: str
    shop_id: str
    price: Money | None
    quantity: int  # 0: not given, one item (the domain applies the default)
    paid_at: dt.datetime | None
    delivered_at: dt.datetime | None = None


@dataclass(frozen=True)
class GetPurchase:
    caller: Identity
    purchase_id: str


@dataclass(frozen=True)
class OpenClaim:
    caller: Identity
    request_id: str
    purchase_id: str
    description: str
    requested_form: CompensationForm | None
    photo_ids: tuple[str, ...] = ()
    video_id: str = ""
    quantity: int = 0  # 0: not given, one item (the domain applies the default)
    thread_id: str = ""
    defect_found_at: dt.datetime | None = None


@dataclass(frozen=True)
class GetClaim:
    caller: Identity
    claim_id: str


@dataclass(frozen=True)
class ListClaims:
    caller: Identity
    status: ClaimStatus | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class DecideClaim:
    caller: Identity
    request_id: str
    claim_id: str
    decision: Approve | Reject | None
    # If set, the decision applies only to this version of the claim (what the seller saw).
    expected_version: int = 0


@dataclass(frozen=True)
class RequestReconsideration:
    caller: Identity
    request_id: str
    claim_id: str
    comment: str = ""
    photo_ids: tuple[str, ...] = ()
    video_id: str = ""


@dataclass(frozen=True)
class RespondToOffer:
    caller: Identity
    request_id: str
    claim_id: str
    accept: bool
    comment: str = ""


@dataclass(frozen=True)
class HandOverItem:
    caller: Identity
    request_id: str
    claim_id: str
    method: HandoverMethod | None
    pickup_point_id: str = ""


@dataclass(frozen=True)
class ConfirmReceipt:
    caller: Identity
    request_id: str
    claim_id: str
    defect_confirmed: bool
    comment: str = ""


@dataclass(frozen=True)
class CancelClaim:
    caller: Identity
    request_id: str
    claim_id: str
    reason: str = ""


@dataclass(frozen=True)
class GetBalance:
    caller: Identity
    shop_id: str = ""


@dataclass(frozen=True)
class ListLedgerEntries:
    caller: Identity
    shop_id: str = ""
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class VerifyLedger:
    caller: Identity
    max_problems: int = 0  # 0: the default


@dataclass(frozen=True)
class PostFine:
    """Moderation issued a penalty (PenaltyIssued)."""

    penalty: Penalty


@dataclass(frozen=True)
class ReverseFine:
    """Moderation withdrew a penalty (PenaltyWithdrawn)."""

    penalty: Penalty


@dataclass(frozen=True)
class PayHeldRefunds:
    """The background payer's scan: held refunds are read in batches of this size."""

    batch_size: int = 100


ClaimMove = DecideClaim | RequestReconsideration | RespondToOffer | HandOverItem | ConfirmReceipt | CancelClaim
