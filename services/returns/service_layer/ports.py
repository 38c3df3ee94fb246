from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from services.returns.domain.ledger import Money, Posting
from services.returns.domain.model import Claim, ClaimStatus, Purchase, Transition


@dataclass(frozen=True)
class ClaimFilter:
    buyer_id: str = ""
    shop_id: str = ""
    status: ClaimStatus | None = None


@dataclass(frozen=True)
class LedgerRow:
    entry_id: str
    posting_id: str
    kind: str
    amount: Money
    claim_id: str
    purchase_id: str
    posted_at: object
    balance_after: Money
    seq: int


class ReturnsRepository(Protocol):
    async def record_purchase(self, purchase: Purchase, posting: Posting) -> tuple[Purchase, bool]: ...

    async def get_purchase(self, purchase_id: str) -> Purchase | None: ...

    async def open_claim(self, claim: Claim) -> tuple[Claim, bool]: ...

    async def get_claim(self, claim_id: str) -> Claim | None: ...

    async def list_claims(self, flt: ClaimFilter, limit: int, cursor: dict | None) -> list[Claim]: ...

    async def apply(self, claim_id: str, request_id: str, decide: Callable[[Claim], Transition]) -> Claim:
        """Loads the claim, applies `decide` once per request_id, stores the claim, its posting
        and events in one transaction. A repeated request_id returns the claim unchanged."""

    async def balance(self, account: str, currency: str) -> tuple[Money, object]: ...

    async def ledger(self, account: str, limit: int, cursor: dict | None) -> list[LedgerRow]: ...
