"""Money and double-entry postings. Integer minor units with a currency; never floats."""
from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency_code: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("amount_minor must be an int (minor units)")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency_code)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency_code)

    def times(self, factor: int) -> Money:
        return Money(self.amount_minor * factor, self.currency_code)

    def _same_currency(self, other: Money) -> None:
        if other.currency_code != self.currency_code:
            raise ValueError(f"cannot combine {self.currency_code} with {other.currency_code}")


class EntryKind(str, enum.Enum):
    SALE = "SALE"
    REFUND = "REFUND"
    SHIPPING_REIMBURSEMENT = "SHIPPING_REIMBURSEMENT"
    FINE = "FINE"


CLEARING_ACCOUNT = "marketplace:clearing"


def shop_account(shop_id: str) -> str:
    return f"shop:{shop_id}"


def buyer_refund_account(buyer_id: str) -> str:
    return f"buyer_refunds:{buyer_id}"


@dataclass(frozen=True)
class Entry:
    account: str
    amount: Money
    kind: EntryKind


@dataclass(frozen=True)
class Posting:
    """One balanced movement of money: entries sum to zero per currency."""

    posting_id: str
    entries: tuple[Entry, ...]
    claim_id: str = ""
    purchase_id: str = ""

    def __post_init__(self) -> None:
        totals: dict[str, int] = {}
        for entry in self.entries:
            totals[entry.amount.currency_code] = totals.get(entry.amount.currency_code, 0) + entry.amount.amount_minor
        if any(totals.values()):
            raise ValueError(f"posting {self.posting_id} is unbalanced: {totals}")
        if not self.entries:
            raise ValueError("a posting needs entries")


def sale_posting(purchase_id: str, shop_id: str, amount: Money) -> Posting:
    return Posting(
        f"sale:{purchase_id}",
        (Entry(CLEARING_ACCOUNT, -amount, EntryKind.SALE), Entry(shop_account(shop_id), amount, EntryKind.SALE)),
        purchase_id=purchase_id,
    )


def refund_posting(claim_id: str, purchase_id: str, shop_id: str, buyer_id: str, refund: Money, shipping: Money | None) -> Posting:
    entries = [
        Entry(shop_account(shop_id), -refund, EntryKind.REFUND),
        Entry(buyer_refund_account(buyer_id), refund, EntryKind.REFUND),
    ]
    if shipping is not None and shipping.amount_minor > 0:
        entries += [
            Entry(shop_account(shop_id), -shipping, EntryKind.SHIPPING_REIMBURSEMENT),
            Entry(buyer_refund_account(buyer_id), shipping, EntryKind.SHIPPING_REIMBURSEMENT),
        ]
    return Posting(f"refund:{claim_id}", tuple(entries), claim_id=claim_id, purchase_id=purchase_id)
