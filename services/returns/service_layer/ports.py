"""What the returns handlers need from storage: repositories that load and save, nothing more."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Protocol

from prilavok_platform.pagination import KeysetOrder
from services.returns.domain.access import ClaimScope
from services.returns.domain.audit import StoredBalance
from services.returns.domain.fines import RefusedFine
from services.returns.domain.ledger import Account, BalanceAfter, BalanceMove, LedgerEntry, Money
from services.returns.domain.model import AppliedRequest, Claim, ClaimStatus, Purchase

# Newest claims first; the id breaks ties. Stored as `created_at` and `_id`.
CLAIM_ORDER = KeysetOrder(("created_at", -1, dt.datetime), ("_id", -1, str))
# Held refunds, the oldest first: stored as `held_at` and `_id`.
PENDING_ORDER = KeysetOrder(("held_at", 1, dt.datetime), ("_id", 1, str))
# Scans of a whole collection (VerifyLedger, one cursor each): by id; the ledger by posting, so
# that a posting's entries come together.
ID_ORDER = KeysetOrder(("_id", 1, str))
POSTING_ORDER = KeysetOrder(("posting_id", 1, str), ("_id", 1, str))
# Newest entries of an account first: `seq` counts the account's entries.
LEDGER_ORDER = KeysetOrder(("seq", -1, int))


class PurchaseRepository(Protocol):
    async def get(self, purchase_id: str) -> Purchase | None: ...

    async def find_by_request(self, request_key: str) -> Purchase | None:
        """The purchase recorded under this request key (caller and request id), if any."""

    async def add(self, purchase: Purchase) -> None:
        """Stores a new purchase; ABORTED (PURCHASE_CONCURRENT_UPDATE) if its id or request key
        was stored meanwhile."""

    def scan(self, batch_size: int) -> AsyncGenerator[list[Purchase], None]:
        """Every purchase, in ID_ORDER, `batch_size` at a time, read with one cursor."""

    async def add_settled(self, purchase_id: str, refund: Money | None, shipping: Money | None, refund_limit: Money,
                          shipping_limit: Money) -> bool:
        """Adds a settlement's refund to the purchase's refunded total and its shipping to the
        shipping reimbursed, in one conditional update, only if each total stays at most its
        limit; False (nothing changed) otherwise. Nothing to add: True."""


class ClaimRepository(Protocol):
    async def get(self, claim_id: str) -> Claim | None: ...

    async def has_open_claim(self, purchase_id: str) -> bool: ...

    async def add(self, claim: Claim) -> None: ...

    async def save(self, claim: Claim, expected_version: int) -> None:
        """Replaces the claim stored at `expected_version`; ABORTED if it moved meanwhile."""

    async def page(self, scope: ClaimScope, status: ClaimStatus | None, size: int, token: str) -> tuple[list[Claim], str]:
        """Claims in CLAIM_ORDER, filtered by scope and status, after the token."""

    def scan(self, batch_size: int) -> AsyncGenerator[list[Claim], None]:
        """Every claim, in ID_ORDER, `batch_size` at a time, read with one cursor."""

    async def pending_refunds(self, size: int, token: str) -> tuple[list[Claim], str]:
        """Claims whose refund is held (PENDING_FUNDS), oldest held first (PENDING_ORDER)."""

    async def held_of_shop(self, shop_id: str) -> list[Claim]:
        """The shop's claims whose refund is held (PENDING_FUNDS)."""


class LedgerRepository(Protocol):
    async def has_posting(self, posting_id: str) -> bool: ...

    async def posting_entries(self, posting_id: str) -> list[LedgerEntry]:
        """The stored entries of a posting (none if it was never posted)."""

    def scan(self, batch_size: int) -> AsyncGenerator[list[LedgerEntry], None]:
        """Every entry, in POSTING_ORDER, `batch_size` at a time, read with one cursor."""

    async def add(self, entries: Sequence[LedgerEntry]) -> None: ...

    async def account_amounts(self, account: Account) -> list[Money]:
        """The amounts of every entry of the account."""

    async def page(self, account: Account, size: int, token: str) -> tuple[list[LedgerEntry], str]:
        """The account's entries in LEDGER_ORDER after the token."""


class BalanceRepository(Protocol):
    """One document per shop and per buyer (never one for the marketplace): the balance, the
    number of the account's entries, and the refunds held on it (their count and total)."""

    async def apply(self, move: BalanceMove, at: dt.datetime) -> BalanceAfter | None:
        """Adds the move's delta and entry count to the account's document in one atomic update
        (created at zero if missing). A move with a floor is conditional (see `BalanceMove`):
        None, and nothing changed, when its condition does not hold; a released refund leaves
        the held count and total."""

    async def hold(self, account: Account, amount: Money, at: dt.datetime) -> None:
        """Adds a refund of `amount` to the refunds held on the account."""

    async def get(self, account: Account, currency: str) -> tuple[Money, Money, dt.datetime | None]:
        """The balance, the refunds held on it, and when it last changed (None: never)."""

    def scan(self, batch_size: int) -> AsyncGenerator[list[StoredBalance], None]:
        """Every balance document, in ID_ORDER, `batch_size` at a time, read with one cursor."""

    async def stored(self, account: Account) -> StoredBalance | None:
        """The account's balance document as stored (None: there is none)."""


class RequestRepository(Protocol):
    """The claims opened and the claim moves made, by request key, each with the claim as it
    left it: stored in the request's transaction."""

    async def get(self, key: str) -> AppliedRequest | None: ...

    async def add(self, request: AppliedRequest) -> None:
        """ABORTED (REQUEST_CONCURRENT_UPDATE) if the key was stored meanwhile."""


class RefusedFineRepository(Protocol):
    """`refused_fines`: the penalties whose fine was refused as one that can never be posted."""

    async def get(self, penalty_id: str) -> RefusedFine | None: ...

    async def add(self, refused: RefusedFine) -> None:
        """Keeps the first refusal of the penalty; a second one changes nothing."""


@dataclass
class ReturnsRepositories:
    purchases: PurchaseRepository
    claims: ClaimRepository
    ledger: LedgerRepository
    balances: BalanceRepository
    requests: RequestRepository
    refused_fines: RefusedFineRepository
