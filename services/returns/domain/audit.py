"""VerifyLedger's checks: the whole ledger read once, in pages, against the balances, the
purchases and the claims. Plain Python: the handler feeds it what storage returns.

What it checks:
- every posting balances (its entries sum to zero per currency);
- every shop's and buyer's balance document equals the sum of the account's entries (and
  counts them), and every such account with entries has a document;
- no order line is refunded above its price (the ledger's refunds, and the refunds the
  purchase counts, paid or held);
- every settled claim that pays money has exactly one refund posting of what it settled when
  its money is PAID, none while it is held (PENDING_FUNDS); no other claim has one; the refunds
  held on each shop are the sum of its held claims;
- every fine has at most one reversal, each reversal has its fine and reverses exactly it."""
from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field

from prilavok_platform.errors import FieldViolation, InvalidArgument
from services.returns.domain.ledger import Account, AccountKind, EntryKind, LedgerEntry
from services.returns.domain.model import Claim, ClaimStatus, Purchase, RefundState

DEFAULT_MAX_PROBLEMS = 100
MAX_PROBLEMS = 10_000


class ProblemKind(str, enum.Enum):
    UNBALANCED_POSTING = "UNBALANCED_POSTING"
    BALANCE_MISMATCH = "BALANCE_MISMATCH"  # a balance document differs from the sum (or count) of its entries
    BALANCE_MISSING = "BALANCE_MISSING"  # an account with entries has no balance document
    REFUND_ABOVE_PRICE = "REFUND_ABOVE_PRICE"
    REFUND_POSTING_MISSING = "REFUND_POSTING_MISSING"
    REFUND_POSTING_UNEXPECTED = "REFUND_POSTING_UNEXPECTED"  # for a claim that is not paid (or does not exist)
    REFUND_POSTING_MISMATCH = "REFUND_POSTING_MISMATCH"  # posted amounts differ from what the claim settled
    HELD_MISMATCH = "HELD_MISMATCH"  # a shop's held refunds differ from its held claims
    FINE_REVERSAL_WITHOUT_FINE = "FINE_REVERSAL_WITHOUT_FINE"
    FINE_REVERSAL_MISMATCH = "FINE_REVERSAL_MISMATCH"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    subject: str  # the posting, account, purchase, claim or penalty
    detail: str


@dataclass(frozen=True)
class StoredBalance:
    """A balance document as stored: per currency, the balance and the refunds held."""

    account: Account
    amounts: dict[str, int]
    seq: int
    held: dict[str, int] = field(default_factory=dict)
    held_count: int = 0


@dataclass(frozen=True)
class Progress:
    entries: int
    postings: int
    accounts: int
    purchases: int
    claims: int
    penalties: int
    done: bool = False
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.done and not self.problems


def max_problems_of(requested: int) -> int:
    """VerifyLedgerRequest.max_problems: 0 means the default; at most MAX_PROBLEMS."""
    if requested < 0:
        raise InvalidArgument(FieldViolation("max_problems", "must not be negative (0: the default, 100)"))
    return min(requested or DEFAULT_MAX_PROBLEMS, MAX_PROBLEMS)


def _sum_text(amounts: dict[str, int]) -> str:
    return ", ".join(f"{v} {c}" for c, v in sorted(amounts.items()) if v) or "0"


@dataclass
class _Posting:
    posting_id: str
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    to_buyer: dict[EntryKind, int] = field(default_factory=lambda: defaultdict(int))  # refund postings: REFUND, SHIPPING
    to_shop: int = 0  # fines and reversals: the shop's side
    claim_id: str = ""
    penalty_id: str = ""


class LedgerAudit:
    """Fed in order: `add_entries` (every page, entries of a posting together), `add_balances`,
    `add_purchases`, `add_claims`, then `finish`. Keeps per account, purchase, claim and penalty
    only what the cross-checks need."""

    def __init__(self, max_problems: int = DEFAULT_MAX_PROBLEMS):
        self.max_problems = max_problems
        self.problems: list[Problem] = []
        self.found = 0  # problems found, also past `max_problems`
        self.entries = self.postings = self.accounts = self.purchases = self.claims = 0
        self._posting: _Posting | None = None
        self._sums: dict[Account, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._counts: dict[Account, int] = defaultdict(int)
        self._refunded: dict[str, int] = defaultdict(int)  # purchase -> the ledger's refunds of its price
        self._refund_postings: dict[str, _Posting] = {}  # claim -> its refund posting
        self._fines: dict[str, int] = {}  # penalty -> what its fine took from the shop
        self._reversals: dict[str, int] = {}  # penalty -> what its reversal gave back
        self._held_on_shops: dict[str, tuple[int, int]] = {}  # shop -> (held total, held count), from balances
        self._held_claims: dict[str, list[int]] = defaultdict(list)  # shop -> amounts of its held claims

    def problem(self, kind: ProblemKind, subject: str, detail: str) -> None:
        self.found += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(kind, subject, detail))

    def progress(self, done: bool = False) -> Progress:
        return Progress(self.entries, self.postings, self.accounts, self.purchases, self.claims, len(self._fines), done,
                        tuple(self.problems) if done else ())

    # --- the ledger ---------------------------------------------------------------------------

    def add_entries(self, entries: list[LedgerEntry]) -> None:
        for entry in entries:
            if self._posting is None or self._posting.posting_id != entry.posting_id:
                self._close_posting()
                self._posting = _Posting(entry.posting_id, claim_id=entry.claim_id, penalty_id=entry.penalty_id)
            self._add(self._posting, entry)

    def _add(self, posting: _Posting, entry: LedgerEntry) -> None:
        self.entries += 1
        amount, currency = entry.amount.amount_minor, entry.amount.currency_code
        posting.totals[currency] += amount
        if entry.account.has_balance:
            self._sums[entry.account][currency] += amount
            self._counts[entry.account] += 1
        if entry.account.kind is AccountKind.BUYER_REFUNDS:
            posting.to_buyer[entry.kind] += amount
            if entry.kind is EntryKind.REFUND and entry.purchase_id:
                self._refunded[entry.purchase_id] += amount
        if entry.account.kind is AccountKind.SHOP:
            posting.to_shop += amount

    def _close_posting(self) -> None:
        posting, self._posting = self._posting, None
        if posting is None:
            return
        self.postings += 1
        if any(posting.totals.values()):
            self.problem(ProblemKind.UNBALANCED_POSTING, posting.posting_id, f"its entries sum to {_sum_text(posting.totals)}, not 0")
        kind, _, rest = posting.posting_id.partition(":")
        if kind == "refund":
            self._refund_postings[posting.claim_id or rest] = posting
        elif kind == "fine":
            self._fines[posting.penalty_id or rest] = posting.to_shop
        elif kind == "fine-reversal":
            self._reversals[posting.penalty_id or rest] = posting.to_shop

    def end_entries(self) -> None:
        self._close_posting()
        for penalty_id, given_back in self._reversals.items():
            taken = self._fines.get(penalty_id)
            if taken is None:
                self.problem(ProblemKind.FINE_REVERSAL_WITHOUT_FINE, penalty_id, "a fine reversal is posted but no fine")
            elif given_back != -taken:
                self.problem(ProblemKind.FINE_REVERSAL_MISMATCH, penalty_id,
                             f"the fine took {-taken} from the shop, its reversal gave back {given_back}")

    # --- balances, purchases, claims ----------------------------------------------------------

    def add_balances(self, balances: list[StoredBalance]) -> None:
        for balance in balances:
            account = balance.account
            if not account.has_balance:
                continue  # the marketplace's: a document left by an earlier version, not kept any more
            self.accounts += 1
            summed = {c: v for c, v in self._sums.pop(account, {}).items() if v}
            stored = {c: v for c, v in balance.amounts.items() if v}
            count = self._counts.pop(account, 0)
            if summed != stored or count != balance.seq:
                self.problem(ProblemKind.BALANCE_MISMATCH, account.key,
                             f"the document says {_sum_text(stored)} after {balance.seq} entries; "
                             f"its entries sum to {_sum_text(summed)} over {count}")
            if account.kind is AccountKind.SHOP and (balance.held_count or any(balance.held.values())):
                self._held_on_shops[account.owner.id if account.owner else ""] = (sum(balance.held.values()), balance.held_count)

    def end_balances(self) -> None:
        for account, sums in self._sums.items():
            self.accounts += 1
            self.problem(ProblemKind.BALANCE_MISSING, account.key,
                         f"{self._counts[account]} entries summing to {_sum_text(dict(sums))} but no balance document")
        self._sums.clear()

    def add_purchases(self, purchases: list[Purchase]) -> None:
        for purchase in purchases:
            self.purchases += 1
            paid = purchase.paid.amount_minor
            refunded = self._refunded.pop(purchase.purchase_id, 0)
            if refunded > paid or purchase.refunded_minor > paid:
                self.problem(ProblemKind.REFUND_ABOVE_PRICE, purchase.purchase_id,
                             f"paid {paid}, refunded {refunded} in the ledger and {purchase.refunded_minor} counted (paid or held)")

    def add_claims(self, claims: list[Claim]) -> None:
        for claim in claims:
            self.claims += 1
            posting = self._refund_postings.pop(claim.claim_id, None)
            owed = (claim.refunded.amount_minor if claim.refunded else 0) + (
                claim.shipping_reimbursed.amount_minor if claim.shipping_reimbursed else 0)
            settled = claim.status is ClaimStatus.SETTLED and owed > 0
            held = settled and claim.refund_state is RefundState.PENDING_FUNDS
            if held:
                self._held_claims[claim.shop_id].append(claim.refund_held.amount_minor if claim.refund_held else owed)
            if settled and not held and posting is None:
                self.problem(ProblemKind.REFUND_POSTING_MISSING, claim.claim_id, f"settled paying {owed}, but no refund posting")
            elif posting is not None and (not settled or held):
                state = "held" if held else claim.status.value
                self.problem(ProblemKind.REFUND_POSTING_UNEXPECTED, claim.claim_id, f"a refund posting for a claim that is {state}")
            elif posting is not None:
                self._check_refund(claim, posting)

    def _check_refund(self, claim: Claim, posting: _Posting) -> None:
        refund = claim.refunded.amount_minor if claim.refunded else 0
        shipping = claim.shipping_reimbursed.amount_minor if claim.shipping_reimbursed else 0
        posted = (posting.to_buyer.get(EntryKind.REFUND, 0), posting.to_buyer.get(EntryKind.SHIPPING_REIMBURSEMENT, 0))
        if posted != (refund, shipping):
            self.problem(ProblemKind.REFUND_POSTING_MISMATCH, claim.claim_id,
                         f"settled refund {refund} + shipping {shipping}; posted {posted[0]} + {posted[1]}")

    def finish(self) -> Progress:
        for claim_id in self._refund_postings:
            self.problem(ProblemKind.REFUND_POSTING_UNEXPECTED, claim_id, "a refund posting for a claim that does not exist")
        for purchase_id, refunded in self._refunded.items():
            if refunded:
                self.problem(ProblemKind.REFUND_ABOVE_PRICE, purchase_id, f"{refunded} refunded for a purchase that does not exist")
        for shop_id in sorted(set(self._held_on_shops) | set(self._held_claims)):
            stored = self._held_on_shops.get(shop_id, (0, 0))
            claims = self._held_claims.get(shop_id, [])
            if stored != (sum(claims), len(claims)):
                self.problem(ProblemKind.HELD_MISMATCH, Account.shop(shop_id).key,
                             f"the balance holds {stored[0]} for {stored[1]} refunds; its held claims {sum(claims)} for {len(claims)}")
        return self.progress(done=True)
