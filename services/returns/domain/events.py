"""What the returns service tells the rest of the suite. Mapped to protobuf only at the edge
(`adapters/event_mapper.py`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prilavok_platform.identity import Identity, Party
from services.returns.domain.ledger import Money

if TYPE_CHECKING:
    from services.returns.domain.model import Claim, ClaimStatus


@dataclass(frozen=True)
class ClaimOpened:
    claim: Claim
    occurred_at: dt.datetime


@dataclass(frozen=True)
class ClaimStatusChanged:
    claim: Claim
    previous: ClaimStatus
    changed_by: Identity
    # What the party wrote with the move (a cancel reason, a reconsideration request...), or "".
    comment: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class RefundIssued:
    """The money a settled claim pays the buyer: `refund` is the refund of the price (zero when
    the claim settles with the return shipping only), `shipping` the reimbursed return shipping
    (zero when none)."""

    claim_id: str
    buyer_id: str
    shop_id: str
    refund: Money
    shipping: Money
    posting_id: str
    occurred_at: dt.datetime

    @property
    def total(self) -> Money:
        return self.refund + self.shipping


@dataclass(frozen=True)
class BalanceChanged:
    shop: Party
    balance: Money
    delta: Money
    posting_id: str
    occurred_at: dt.datetime
    held: Money | None = None  # the refunds held on the shop after the change, when known


ReturnsEvent = ClaimOpened | ClaimStatusChanged | RefundIssued | BalanceChanged
