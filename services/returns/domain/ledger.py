"""Money, ledger accounts and double-entry postings. Integer minor units with a currency; never floats."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from prilavok_platform.errors import FailedPrecondition
from prilavok_platform.identity import Party


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
    FINE_REVERSAL = "FINE_REVERSAL"


class AccountKind(str, enum.Enum):
    CLEARING = "clearing"  # the marketplace's side of every sale
    FINES_INCOME = "fines"  # the marketplace's income from fines
    SHOP = "shop"  # a seller's balance
    BUYER_REFUNDS = "buyer_refunds"  # what the marketplace owes a buyer


# The marketplace's own accounts: every sale or fine touches one of them, so they keep no
# balance document (that would be a document every transaction of its kind updates). Their
# entries are append-only, ordered by `posted_at` and entry id; their totals are the sums of
# their entries (VerifyLedger adds them up).
MARKETPLACE_KINDS = frozenset({AccountKind.CLEARING, AccountKind.FINES_INCOME})


@dataclass(frozen=True)
class Account:
    """A ledger account. Its `key` is the string stored in ledger and balance documents
    ('marketplace:clearing', 'marketplace:fines', 'shop:<id>', 'buyer_refunds:<id>');
    `Account.parse` reads it back."""

    kind: AccountKind
    owner: Party | None = None

    @staticmethod
    def clearing() -> Account:
        return CLEARING_ACCOUNT

    @staticmethod
    def fines_income() -> Account:
        return FINES_INCOME_ACCOUNT

    @staticmethod
    def parse(key: str) -> Account:
        """The account of a stored key; ValueError for a key no account has."""
        prefix, _, rest = key.partition(":")
        if prefix == "marketplace" and rest in (AccountKind.CLEARING.value, AccountKind.FINES_INCOME.value):
            return Account(AccountKind(rest))
        if prefix == AccountKind.SHOP.value and rest:
            return Account.shop(rest)
        if prefix == AccountKind.BUYER_REFUNDS.value and rest:
            return Account.buyer_refunds(rest)
        raise ValueError(f"not a ledger account: {key!r}")

    @staticmethod
    def shop(shop_id: str) -> Account:
        return Account(AccountKind.SHOP, Party.shop(shop_id))

    @staticmethod
    def buyer_refunds(buyer_id: str) -> Account:
        return Account(AccountKind.BUYER_REFUNDS, Party.user(buyer_id))

    @property
    def has_balance(self) -> bool:
        """Whether the account keeps a balance document (shops and buyers, one each); the
        marketplace's accounts do not."""
        return self.kind not in MARKETPLACE_KINDS

    @property
    def key(self) -> str:
        if self.kind in MARKETPLACE_KINDS:
            return f"marketplace:{self.kind.value}"
        assert self.owner is not None
        if self.kind is AccountKind.SHOP:
            return self.owner.key  # 'shop:<id>', the party key
        return f"{self.kind.value}:{self.owner.id}"

    @property
    def shop_party(self) -> Party | None:
        """The shop whose balance this is, for shop accounts."""
        return self.owner if self.kind is AccountKind.SHOP else None

    def __str__(self) -> str:
        return self.key


CLEARING_ACCOUNT = Account(AccountKind.CLEARING)
FINES_INCOME_ACCOUNT = Account(AccountKind.FINES_INCOME)


@dataclass(frozen=True)
class Entry:
    account: Account
    amount: Money
    kind: EntryKind


@dataclass(frozen=True)
class Posting:
    """One balanced movement of money: entries sum to zero per currency."""

    posting_id: str
    entries: tuple[Entry, ...]
    claim_id: str = ""
    purchase_id: str = ""
    penalty_id: str = ""
    note: str = ""  # what the shop reads beside the entry (a fine's reason)

    def __post_init__(self) -> None:
        totals: dict[str, int] = {}
        for entry in self.entries:
            totals[entry.amount.currency_code] = totals.get(entry.amount.currency_code, 0) + entry.amount.amount_minor
        if any(totals.values()):
            raise ValueError(f"posting {self.posting_id} is unbalanced: {totals}")
        if not self.entries:
            raise ValueError("a posting needs entries")

    def total_to(self, account: Account, kind: EntryKind | None = None) -> Money:
        """What the posting moves to `account` (only entries of `kind`, when given)."""
        amounts = [e.amount for e in self.entries if e.account == account and kind in (None, e.kind)]
        currency = self.entries[0].amount.currency_code
        return sum(amounts, Money(0, currency))

    def entry_id(self, entry: Entry) -> str:
        # Unique per posting, account and kind: a posting can never be stored twice.
        return f"{self.posting_id}:{entry.account.key}:{entry.kind.value}"


@dataclass(frozen=True)
class LedgerEntry:
    """One stored line of a posting on one account. On accounts with a balance: the account's
    entry number (`seq`, from 1) and its balance after the entry; on the marketplace's
    accounts neither (seq 0, balance_after None)."""

    entry_id: str
    posting_id: str
    account: Account
    seq: int
    kind: EntryKind
    amount: Money
    balance_after: Money | None
    claim_id: str
    purchase_id: str
    posted_at: dt.datetime
    penalty_id: str = ""
    note: str = ""


def ledger_entry(posting: Posting, entry: Entry, seq: int, balance_after: Money | None, at: dt.datetime) -> LedgerEntry:
    return LedgerEntry(
        entry_id=posting.entry_id(entry), posting_id=posting.posting_id, account=entry.account, seq=seq, kind=entry.kind,
        amount=entry.amount, balance_after=balance_after, claim_id=posting.claim_id, purchase_id=posting.purchase_id,
        posted_at=at, penalty_id=posting.penalty_id, note=posting.note,
    )


@dataclass(frozen=True)
class BalanceMove:
    """What a posting does to one balance document: adds `delta` (the sum of the posting's
    entries on the account) and advances the account's entry count by `entries`, in one
    atomic update.

    With a `floor` the update is conditional: it happens only if the balance stays at or above
    the floor and, unless the move pays a held refund (`release`, the amount held), no refund of
    the account is held (held refunds are paid first, oldest first). A refused conditional move
    changes nothing."""

    account: Account
    delta: Money
    entries: int
    floor: Money | None = None
    release: Money | None = None


@dataclass(frozen=True)
class BalanceAfter:
    """An account's balance document after a move: the balance, the number of its entries and
    the refunds held on it."""

    amount: Money
    seq: int
    held: Money | None = None


def balance_moves(posting: Posting, *, floor: Money | None = None, release: Money | None = None) -> list[BalanceMove]:
    """One move per account of the posting that keeps a balance (shops, buyers); the marketplace's
    accounts get entries only. A `floor` bounds the debits of shops (their overdraft); those
    conditional moves come first, so a refused one leaves nothing written. `release` marks the
    posting as the payment of a refund held for that amount."""
    totals: dict[Account, BalanceMove] = {}
    for entry in posting.entries:
        if not entry.account.has_balance:
            continue
        before = totals.get(entry.account)
        totals[entry.account] = BalanceMove(entry.account, entry.amount, 1) if before is None else BalanceMove(
            entry.account, before.delta + entry.amount, before.entries + 1)
    moves = []
    for move in totals.values():
        bounded = floor is not None and move.account.kind is AccountKind.SHOP and move.delta.amount_minor < 0
        moves.append(replace(move, floor=floor, release=release) if bounded else move)
    return sorted(moves, key=lambda m: m.floor is None)  # stable: the conditional ones first


def stored_entries(posting: Posting, after: dict[Account, BalanceAfter], at: dt.datetime) -> tuple[LedgerEntry, ...]:
    """The posting's entries as stored: on an account with a balance each entry gets the next
    number and the running balance, so that its last entry ends where the balance document
    stands (`after`); on the marketplace's accounts neither."""
    running: dict[Account, tuple[Money, int]] = {}
    for move in balance_moves(posting):
        end = after[move.account]
        running[move.account] = (end.amount + -move.delta, end.seq - move.entries)
    out = []
    for entry in posting.entries:
        if entry.account not in running:
            out.append(ledger_entry(posting, entry, 0, None, at))
            continue
        balance, seq = running[entry.account]
        balance, seq = balance + entry.amount, seq + 1
        running[entry.account] = (balance, seq)
        out.append(ledger_entry(posting, entry, seq, balance, at))
    return tuple(out)


def require_not_posted(posting: Posting, already_posted: bool) -> None:
    """A posting moves money once: applying it again is refused before anything is written."""
    if already_posted:
        raise FailedPrecondition(
            f"posting {posting.posting_id} was already applied", reason="REFUND_ALREADY_POSTED",
            metadata={"posting_id": posting.posting_id},
        )


def sale_posting(purchase_id: str, shop_id: str, amount: Money) -> Posting:
    return Posting(
        f"sale:{purchase_id}",
        (Entry(CLEARING_ACCOUNT, -amount, EntryKind.SALE), Entry(Account.shop(shop_id), amount, EntryKind.SALE)),
        purchase_id=purchase_id,
    )


def refund_posting_id(claim_id: str) -> str:
    return f"refund:{claim_id}"


def refund_posting(claim_id: str, purchase_id: str, shop_id: str, buyer_id: str, refund: Money | None, shipping: Money | None) -> Posting:
    """The settlement of a claim: the refund of the price and the return shipping, each its own
    pair of entries and only when it moves money (no zero lines, no zero balance changes)."""
    shop, buyer = Account.shop(shop_id), Account.buyer_refunds(buyer_id)
    entries: list[Entry] = []
    if refund is not None and refund.amount_minor > 0:
        entries += [Entry(shop, -refund, EntryKind.REFUND), Entry(buyer, refund, EntryKind.REFUND)]
    if shipping is not None and shipping.amount_minor > 0:
        entries += [Entry(shop, -shipping, EntryKind.SHIPPING_REIMBURSEMENT), Entry(buyer, shipping, EntryKind.SHIPPING_REIMBURSEMENT)]
    return Posting(refund_posting_id(claim_id), tuple(entries), claim_id=claim_id, purchase_id=purchase_id)


@dataclass(frozen=True)
class ShopBalance:
    """A shop's balance as its seller sees it. `current` is the ledger balance; below zero it is
    the shop's debt, netted from its next sales (they credit the balance). Refunds may take it
    down to -`overdraft_limit`; one that would go further is held (`held`) until the balance
    allows it. Fines are posted whatever they do to it."""

    shop_id: str
    current: Money
    updated_at: dt.datetime | None
    held: Money | None = None
    overdraft_limit: Money | None = None

    @property
    def available(self) -> Money:
        """Deprecated name of `current` (what older clients read)."""
        return self.current

    @property
    def debt(self) -> Money:
        return Money(max(0, -self.current.amount_minor), self.current.currency_code)

    @property
    def held_refunds(self) -> Money:
        return self.held or Money(0, self.current.currency_code)

    @property
    def available_for_withdrawal(self) -> Money:
        """What the seller may take out: the balance less the refunds held for buyers; never negative."""
        return Money(max(0, self.current.amount_minor - self.held_refunds.amount_minor), self.current.currency_code)
