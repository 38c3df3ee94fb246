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
- every fine has at most one reversal, each reversal has its fine and reverses exactly it.

The scan reads the collections one after another while the service keeps posting, so what it
finds is a suspect, not yet a problem (a posting committed between reading an account's entries
and its balance looks like a mismatch). Each suspect is checked again on a snapshot of just the
documents involved (`posting_problem`, `balance_problem`, `claim_problem`, `held_problem`,
`fine_problem`, fed by one read transaction) and reported only if it is still wrong there. A
refund above the price is reported as found: the ledger's refunds and the purchase's counter
only ever grow, so a total above the price seen at any moment is above it now."""
from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field, replace

from prilavok_platform.errors import FieldViolation, InvalidArgument
from services.returns.domain.ledger import Account, AccountKind, EntryKind, LedgerEntry, Money
from services.returns.domain.model import Claim, ClaimStatus, Purchase, RefundState

DEFAULT_MAX_PROBLEMS = 100
MAX_PROBLEMS = 10_000
# Suspects kept beyond max_problems: a busy ledger makes some that its snapshot clears.
SUSPECTS_BEYOND_MAX = 10_000


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


# What a suspect of each kind names, and so which documents its snapshot reads.
POSTING_KINDS = frozenset({ProblemKind.UNBALANCED_POSTING})
ACCOUNT_KINDS = frozenset({ProblemKind.BALANCE_MISMATCH, ProblemKind.BALANCE_MISSING})
CLAIM_KINDS = frozenset({ProblemKind.REFUND_POSTING_MISSING, ProblemKind.REFUND_POSTING_UNEXPECTED, ProblemKind.REFUND_POSTING_MISMATCH})
SHOP_KINDS = frozenset({ProblemKind.HELD_MISMATCH})
PENALTY_KINDS = frozenset({ProblemKind.FINE_REVERSAL_WITHOUT_FINE, ProblemKind.FINE_REVERSAL_MISMATCH})
# Found on totals that only grow: true when found, nothing to check again.
FINAL_KINDS = frozenset({ProblemKind.REFUND_ABOVE_PRICE})


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
class PostingTotals:
    """What the checks keep of one posting's entries."""

    posting_id: str
    totals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    to_buyer: dict[EntryKind, int] = field(default_factory=lambda: defaultdict(int))  # refund postings: REFUND, SHIPPING
    to_shop: int = 0  # fines and reversals: the shop's side
    claim_id: str = ""
    penalty_id: str = ""

    def add(self, entry: LedgerEntry) -> None:
        self.totals[entry.amount.currency_code] += entry.amount.amount_minor
        if entry.account.kind is AccountKind.BUYER_REFUNDS:
            self.to_buyer[entry.kind] += entry.amount.amount_minor
        if entry.account.kind is AccountKind.SHOP:
            self.to_shop += entry.amount.amount_minor


def posting_totals(posting_id: str, entries: list[LedgerEntry]) -> PostingTotals | None:
    """The totals of a posting's entries as stored (None: no entries, never posted)."""
    if not entries:
        return None
    totals = PostingTotals(posting_id, claim_id=entries[0].claim_id, penalty_id=entries[0].penalty_id)
    for entry in entries:
        totals.add(entry)
    return totals


def account_sums(amounts: list[Money]) -> tuple[dict[str, int], int]:
    """The amounts of an account's entries summed per currency, and counted."""
    sums: dict[str, int] = defaultdict(int)
    for amount in amounts:
        sums[amount.currency_code] += amount.amount_minor
    return dict(sums), len(amounts)


# --- the checks, each on what one subject's documents say ---------------------------------------


def posting_problem(posting: PostingTotals) -> Problem | None:
    if any(posting.totals.values()):
        return Problem(ProblemKind.UNBALANCED_POSTING, posting.posting_id, f"its entries sum to {_sum_text(posting.totals)}, not 0")
    return None


def balance_problem(account: Account, stored: StoredBalance | None, sums: dict[str, int], count: int) -> Problem | None:
    """A shop's or buyer's balance document against the sum and count of the account's entries."""
    summed = {c: v for c, v in sums.items() if v}
    if stored is None:
        if not count:
            return None
        return Problem(ProblemKind.BALANCE_MISSING, account.key, f"{count} entries summing to {_sum_text(summed)} but no balance document")
    kept = {c: v for c, v in stored.amounts.items() if v}
    if summed != kept or count != stored.seq:
        return Problem(ProblemKind.BALANCE_MISMATCH, account.key,
                       f"the document says {_sum_text(kept)} after {stored.seq} entries; its entries sum to {_sum_text(summed)} over {count}")
    return None


def claim_problem(claim_id: str, claim: Claim | None, posting: PostingTotals | None) -> Problem | None:
    """A claim against its refund posting: one of what it settled once PAID, none otherwise."""
    if claim is None:
        if posting is None:
            return None
        return Problem(ProblemKind.REFUND_POSTING_UNEXPECTED, claim_id, "a refund posting for a claim that does not exist")
    owed = _owed(claim)
    settled = claim.status is ClaimStatus.SETTLED and owed > 0
    held = settled and claim.refund_state is RefundState.PENDING_FUNDS
    if settled and not held and posting is None:
        return Problem(ProblemKind.REFUND_POSTING_MISSING, claim_id, f"settled paying {owed}, but no refund posting")
    if posting is not None and (not settled or held):
        state = "held" if held else claim.status.value
        return Problem(ProblemKind.REFUND_POSTING_UNEXPECTED, claim_id, f"a refund posting for a claim that is {state}")
    if posting is None:
        return None
    refund = claim.refunded.amount_minor if claim.refunded else 0
    shipping = claim.shipping_reimbursed.amount_minor if claim.shipping_reimbursed else 0
    posted = (posting.to_buyer.get(EntryKind.REFUND, 0), posting.to_buyer.get(EntryKind.SHIPPING_REIMBURSEMENT, 0))
    if posted != (refund, shipping):
        return Problem(ProblemKind.REFUND_POSTING_MISMATCH, claim_id,
                       f"settled refund {refund} + shipping {shipping}; posted {posted[0]} + {posted[1]}")
    return None


def held_problem(shop_id: str, stored: tuple[int, int], held_claims: list[int]) -> Problem | None:
    """The refunds held on a shop's balance (total, count) against the amounts of its held claims."""
    if stored != (sum(held_claims), len(held_claims)):
        return Problem(ProblemKind.HELD_MISMATCH, Account.shop(shop_id).key,
                       f"the balance holds {stored[0]} for {stored[1]} refunds; its held claims {sum(held_claims)} for {len(held_claims)}")
    return None


def fine_problem(penalty_id: str, fine: PostingTotals | None, reversal: PostingTotals | None) -> Problem | None:
    """A fine's reversal, if any, against the fine: there is one, and it gives back what it took."""
    if reversal is None:
        return None
    if fine is None:
        return Problem(ProblemKind.FINE_REVERSAL_WITHOUT_FINE, penalty_id, "a fine reversal is posted but no fine")
    if reversal.to_shop != -fine.to_shop:
        return Problem(ProblemKind.FINE_REVERSAL_MISMATCH, penalty_id,
                       f"the fine took {-fine.to_shop} from the shop, its reversal gave back {reversal.to_shop}")
    return None


def held_total(claim: Claim) -> int | None:
    """What a claim holds on its shop's balance (None: nothing held)."""
    owed = _owed(claim)
    if claim.status is not ClaimStatus.SETTLED or owed <= 0 or claim.refund_state is not RefundState.PENDING_FUNDS:
        return None
    return claim.refund_held.amount_minor if claim.refund_held else owed


def stored_held(balance: StoredBalance | None) -> tuple[int, int]:
    return (sum(balance.held.values()), balance.held_count) if balance is not None else (0, 0)


def _owed(claim: Claim) -> int:
    return (claim.refunded.amount_minor if claim.refunded else 0) + (claim.shipping_reimbursed.amount_minor if claim.shipping_reimbursed else 0)


# --- the scan -----------------------------------------------------------------------------------


class LedgerAudit:
    """Fed in order: `add_entries` (every page, entries of a posting together), `add_balances`,
    `add_purchases`, `add_claims`, then `finish`, which gives the suspects (`suspects`) to check
    again on a snapshot; `report` then gives the last message with the problems confirmed. Keeps
    per account, purchase, claim and penalty only what the cross-checks need."""

    def __init__(self, max_problems: int = DEFAULT_MAX_PROBLEMS):
        self.max_problems = max_problems
        self.suspects: list[Problem] = []
        self.found = 0  # suspects found, also past those kept
        self.entries = self.postings = self.accounts = self.purchases = self.claims = 0
        self._posting: PostingTotals | None = None
        self._sums: dict[Account, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._counts: dict[Account, int] = defaultdict(int)
        self._refunded: dict[str, int] = defaultdict(int)  # purchase -> the ledger's refunds of its price
        self._refund_postings: dict[str, PostingTotals] = {}  # claim -> its refund posting
        self._fines: dict[str, PostingTotals] = {}  # penalty -> its fine
        self._reversals: dict[str, PostingTotals] = {}  # penalty -> its reversal
        self._held_on_shops: dict[str, tuple[int, int]] = {}  # shop -> (held total, held count), from balances
        self._held_claims: dict[str, list[int]] = defaultdict(list)  # shop -> amounts of its held claims

    def suspect(self, problem: Problem | None) -> None:
        if problem is None:
            return
        self.found += 1
        if len(self.suspects) < self.max_problems + SUSPECTS_BEYOND_MAX:
            self.suspects.append(problem)

    def progress(self) -> Progress:
        return Progress(self.entries, self.postings, self.accounts, self.purchases, self.claims, len(self._fines))

    def report(self, problems: list[Problem]) -> Progress:
        """The last message: the problems confirmed (at most max_problems)."""
        return replace(self.progress(), done=True, problems=tuple(problems[: self.max_problems]))

    # --- the ledger ---------------------------------------------------------------------------

    def add_entries(self, entries: list[LedgerEntry]) -> None:
        for entry in entries:
            if self._posting is None or self._posting.posting_id != entry.posting_id:
                self._close_posting()
                self._posting = PostingTotals(entry.posting_id, claim_id=entry.claim_id, penalty_id=entry.penalty_id)
            self._add(self._posting, entry)

    def _add(self, posting: PostingTotals, entry: LedgerEntry) -> None:
        self.entries += 1
        posting.add(entry)
        if entry.account.has_balance:
            self._sums[entry.account][entry.amount.currency_code] += entry.amount.amount_minor
            self._counts[entry.account] += 1
        if entry.account.kind is AccountKind.BUYER_REFUNDS and entry.kind is EntryKind.REFUND and entry.purchase_id:
            self._refunded[entry.purchase_id] += entry.amount.amount_minor

    def _close_posting(self) -> None:
        posting, self._posting = self._posting, None
        if posting is None:
            return
        self.postings += 1
        self.suspect(posting_problem(posting))
        kind, _, rest = posting.posting_id.partition(":")
        if kind == "refund":
            self._refund_postings[posting.claim_id or rest] = posting
        elif kind == "fine":
            self._fines[posting.penalty_id or rest] = posting
        elif kind == "fine-reversal":
            self._reversals[posting.penalty_id or rest] = posting

    def end_entries(self) -> None:
        self._close_posting()
        for penalty_id, reversal in self._reversals.items():
            self.suspect(fine_problem(penalty_id, self._fines.get(penalty_id), reversal))

    # --- balances, purchases, claims ----------------------------------------------------------

    def add_balances(self, balances: list[StoredBalance]) -> None:
        for balance in balances:
            account = balance.account
            if not account.has_balance:
                continue  # the marketplace's: a document left by an earlier version, not kept any more
            self.accounts += 1
            self.suspect(balance_problem(account, balance, dict(self._sums.pop(account, {})), self._counts.pop(account, 0)))
            if account.kind is AccountKind.SHOP and (balance.held_count or any(balance.held.values())):
                self._held_on_shops[account.owner.id if account.owner else ""] = stored_held(balance)

    def end_balances(self) -> None:
        for account, sums in self._sums.items():
            self.accounts += 1
            self.suspect(balance_problem(account, None, dict(sums), self._counts[account]))
        self._sums.clear()

    def add_purchases(self, purchases: list[Purchase]) -> None:
        for purchase in purchases:
            self.purchases += 1
            paid = purchase.paid.amount_minor
            refunded = self._refunded.pop(purchase.purchase_id, 0)
            if refunded > paid or purchase.refunded_minor > paid:
                self.suspect(Problem(ProblemKind.REFUND_ABOVE_PRICE, purchase.purchase_id,
                                     f"paid {paid}, refunded {refunded} in the ledger and {purchase.refunded_minor} counted (paid or held)"))

    def add_claims(self, claims: list[Claim]) -> None:
        for claim in claims:
            self.claims += 1
            held = held_total(claim)
            if held is not None:
                self._held_claims[claim.shop_id].append(held)
            self.suspect(claim_problem(claim.claim_id, claim, self._refund_postings.pop(claim.claim_id, None)))

    def finish(self) -> list[Problem]:
        """The suspects, every collection read: each to check again on a snapshot."""
        for claim_id, posting in self._refund_postings.items():
            self.suspect(claim_problem(claim_id, None, posting))
        for purchase_id, refunded in self._refunded.items():
            if refunded:
                self.suspect(Problem(ProblemKind.REFUND_ABOVE_PRICE, purchase_id, f"{refunded} refunded for a purchase that does not exist"))
        for shop_id in sorted(set(self._held_on_shops) | set(self._held_claims)):
            self.suspect(held_problem(shop_id, self._held_on_shops.get(shop_id, (0, 0)), self._held_claims.get(shop_id, [])))
        return self.suspects
