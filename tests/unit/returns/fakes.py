"""Dict-backed repositories of the returns service, implementing the same ports as MongoDB's."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from prilavok_platform.errors import Aborted
from prilavok_platform.pagination import page_in_memory
from services.returns.domain.access import ClaimScope
from services.returns.domain.audit import StoredBalance
from services.returns.domain.fines import RefusedFine
from services.returns.domain.ledger import Account, BalanceAfter, BalanceMove, LedgerEntry, Money
from services.returns.domain.model import AppliedRequest, Claim, ClaimStatus, Purchase, RefundState
from services.returns.service_layer.ports import CLAIM_ORDER, LEDGER_ORDER, PENDING_ORDER, ReturnsRepositories

T = TypeVar("T")


async def in_batches(items: list[T], key: Callable[[T], Any], size: int) -> AsyncGenerator[list[T], None]:
    """A whole collection as the Mongo scans give it: sorted, `size` at a time."""
    ordered = sorted(items, key=key)
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


class FakePurchases:
    def __init__(self) -> None:
        self.items: dict[str, Purchase] = {}

    async def get(self, purchase_id: str) -> Purchase | None:
        return self.items.get(purchase_id)

    async def find_by_request(self, request_key: str) -> Purchase | None:
        return next((p for p in self.items.values() if p.request_key == request_key), None)

    async def add(self, purchase: Purchase) -> None:
        if purchase.purchase_id in self.items or await self.find_by_request(purchase.request_key):
            raise Aborted("duplicate purchase", reason="PURCHASE_CONCURRENT_UPDATE")  # the unique indexes
        self.items[purchase.purchase_id] = purchase

    def scan(self, batch_size: int) -> AsyncGenerator[list[Purchase], None]:
        return in_batches(list(self.items.values()), lambda p: p.purchase_id, batch_size)

    async def add_settled(self, purchase_id: str, refund: Money | None, shipping: Money | None, refund_limit: Money,
                          shipping_limit: Money) -> bool:
        stored = self.items.get(purchase_id)
        refund_minor = refund.amount_minor if refund else 0
        shipping_minor = shipping.amount_minor if shipping else 0
        if not refund_minor and not shipping_minor:
            return True
        if stored is None or (refund_minor and stored.refunded_minor > refund_limit.amount_minor - refund_minor) or (
                shipping_minor and stored.shipping_reimbursed_minor > shipping_limit.amount_minor - shipping_minor):
            return False
        self.items[purchase_id] = replace(stored, refunded_minor=stored.refunded_minor + refund_minor,
                                          shipping_reimbursed_minor=stored.shipping_reimbursed_minor + shipping_minor)
        return True


class FakeClaims:
    def __init__(self) -> None:
        self.items: dict[str, Claim] = {}

    async def get(self, claim_id: str) -> Claim | None:
        return self.items.get(claim_id)

    async def has_open_claim(self, purchase_id: str) -> bool:
        return any(c.purchase_id == purchase_id and c.is_open for c in self.items.values())

    async def add(self, claim: Claim) -> None:
        if claim.claim_id in self.items or await self.has_open_claim(claim.purchase_id):
            raise Aborted("duplicate claim", reason="CLAIM_CONCURRENT_UPDATE")  # the unique indexes
        self.items[claim.claim_id] = claim

    async def save(self, claim: Claim, expected_version: int) -> None:
        stored = self.items.get(claim.claim_id)
        if stored is None or stored.version != expected_version:
            raise Aborted("claim changed concurrently", reason="CLAIM_CONCURRENT_UPDATE")
        self.items[claim.claim_id] = claim

    async def page(self, scope: ClaimScope, status: ClaimStatus | None, size: int, token: str) -> tuple[list[Claim], str]:
        chosen = [
            c for c in self.items.values()
            if (not scope.buyer_id or c.buyer_id == scope.buyer_id) and (not scope.shop_id or c.shop_id == scope.shop_id)
            and (status is None or c.status is status)
        ]
        return page_in_memory(chosen, CLAIM_ORDER, size, token, values=lambda c: (c.created_at, c.claim_id))

    def scan(self, batch_size: int) -> AsyncGenerator[list[Claim], None]:
        return in_batches(list(self.items.values()), lambda c: c.claim_id, batch_size)

    async def pending_refunds(self, size: int, token: str) -> tuple[list[Claim], str]:
        held = [c for c in self.items.values() if c.refund_state is RefundState.PENDING_FUNDS]
        return page_in_memory(held, PENDING_ORDER, size, token, values=lambda c: (c.held_at, c.claim_id))

    async def held_of_shop(self, shop_id: str) -> list[Claim]:
        return [c for c in self.items.values() if c.refund_state is RefundState.PENDING_FUNDS and c.shop_id == shop_id]


class FakeLedger:
    def __init__(self) -> None:
        self.entries: dict[str, LedgerEntry] = {}

    async def has_posting(self, posting_id: str) -> bool:
        return any(e.posting_id == posting_id for e in self.entries.values())

    async def posting_entries(self, posting_id: str) -> list[LedgerEntry]:
        return [e for e in self.entries.values() if e.posting_id == posting_id]

    def scan(self, batch_size: int) -> AsyncGenerator[list[LedgerEntry], None]:
        return in_batches(list(self.entries.values()), lambda e: (e.posting_id, e.entry_id), batch_size)

    async def add(self, entries: Sequence[LedgerEntry]) -> None:
        if any(e.entry_id in self.entries for e in entries):
            raise Aborted("duplicate ledger entry", reason="LEDGER_CONCURRENT_UPDATE")
        self.entries.update((e.entry_id, e) for e in entries)

    async def account_amounts(self, account: Account) -> list[Money]:
        return [e.amount for e in self.entries.values() if e.account == account]

    def total(self, account: Account, currency: str = "RUB") -> int:
        """The sum of the account's entries (how the marketplace's accounts are totalled)."""
        return sum(e.amount.amount_minor for e in self.entries.values() if e.account == account and e.amount.currency_code == currency)

    async def page(self, account: Account, size: int, token: str) -> tuple[list[LedgerEntry], str]:
        mine = [e for e in self.entries.values() if e.account == account]
        return page_in_memory(mine, LEDGER_ORDER, size, token, values=lambda e: (e.seq,))


class FakeBalances:
    def __init__(self) -> None:
        self.amounts: dict[Account, dict[str, int]] = {}
        self.seq: dict[Account, int] = {}
        self.held: dict[Account, dict[str, int]] = {}
        self.held_count: dict[Account, int] = {}
        self.updated_at: dict[Account, dt.datetime] = {}

    async def apply(self, move: BalanceMove, at: dt.datetime) -> BalanceAfter | None:
        assert move.account.has_balance, f"{move.account} keeps no balance document"
        amount, account, currency = move.delta, move.account, move.delta.currency_code
        if move.floor is not None:  # the conditional update: the document must exist and satisfy the rule
            if account not in self.amounts or self.of(account, currency) + amount.amount_minor < move.floor.amount_minor:
                return None
            if move.release is None and self.held_count.get(account, 0) > 0:
                return None
        amounts = self.amounts.setdefault(account, {})
        amounts[currency] = amounts.get(currency, 0) + amount.amount_minor
        self.seq[account] = self.seq.get(account, 0) + move.entries
        if move.release is not None:
            self.held_count[account] -= 1
            self.held[account][currency] -= move.release.amount_minor
        self.updated_at[account] = at
        return BalanceAfter(Money(amounts[currency], currency), self.seq[account], Money(self.held_of(account, currency), currency))

    async def hold(self, account: Account, amount: Money, at: dt.datetime) -> None:
        held = self.held.setdefault(account, {})
        held[amount.currency_code] = held.get(amount.currency_code, 0) + amount.amount_minor
        self.held_count[account] = self.held_count.get(account, 0) + 1
        self.amounts.setdefault(account, {}).setdefault(amount.currency_code, 0)
        self.updated_at[account] = at

    async def get(self, account: Account, currency: str) -> tuple[Money, Money, dt.datetime | None]:
        return Money(self.of(account, currency), currency), Money(self.held_of(account, currency), currency), self.updated_at.get(account)

    def scan(self, batch_size: int) -> AsyncGenerator[list[StoredBalance], None]:
        return in_batches([self._stored(a) for a in self.amounts], lambda b: b.account.key, batch_size)

    async def stored(self, account: Account) -> StoredBalance | None:
        return self._stored(account) if account in self.amounts else None

    def _stored(self, a: Account) -> StoredBalance:
        return StoredBalance(a, dict(self.amounts[a]), self.seq.get(a, 0), dict(self.held.get(a, {})), self.held_count.get(a, 0))

    def of(self, account: Account, currency: str = "RUB") -> int:
        return self.amounts.get(account, {}).get(currency, 0)

    def held_of(self, account: Account, currency: str = "RUB") -> int:
        return self.held.get(account, {}).get(currency, 0)


class FakeRequests:
    def __init__(self) -> None:
        self.items: dict[str, AppliedRequest] = {}

    async def get(self, key: str) -> AppliedRequest | None:
        return self.items.get(key)

    async def add(self, request: AppliedRequest) -> None:
        if request.key in self.items:
            raise Aborted("request stored meanwhile", reason="REQUEST_CONCURRENT_UPDATE")
        self.items[request.key] = request


class FakeRefusedFines:
    def __init__(self) -> None:
        self.items: dict[str, RefusedFine] = {}

    async def get(self, penalty_id: str) -> RefusedFine | None:
        return self.items.get(penalty_id)

    async def add(self, refused: RefusedFine) -> None:
        self.items.setdefault(refused.penalty_id, refused)


def fake_repositories() -> ReturnsRepositories:
    return ReturnsRepositories(FakePurchases(), FakeClaims(), FakeLedger(), FakeBalances(), FakeRequests(), FakeRefusedFines())
