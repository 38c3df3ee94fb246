"""Fines are money: moderation's penalties on the ledger. Plain Python.

A penalty moderation issues to a shop is posted once, `fine:<penalty_id>`: the shop's balance
is debited (whatever that does to it: a fine may put the shop into debt, beyond the overdraft
limit that bounds refunds; the debt is netted from its next sales) and the marketplace's fines
income credited. A withdrawn penalty (a held message approved on review, an appeal reversed) is
reversed once by a new posting, `fine-reversal:<penalty_id>`, of exactly what the fine posted;
the fine's entries are never edited. Only shops have a ledger account: a penalty of anyone else
is not posted. A penalty whose fine can never be posted (no positive fine in the policy's
currency) is refused and remembered (`RefusedFine`): its withdrawal has nothing to reverse and
is acknowledged instead of waiting for a fine that will never come."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from prilavok_platform.errors import FailedPrecondition, InvalidArgument, Validator
from prilavok_platform.identity import Party, PartyKind
from services.returns.domain.ledger import Account, Entry, EntryKind, LedgerEntry, Money, Posting
from services.returns.domain.model import MAX_MONEY_MINOR
from services.returns.domain.policy import ReturnsPolicy

MAX_NOTE_CHARS = 1000
REVERSAL_NOTE = "Штраф отменён"


class FineOutcome(str, enum.Enum):
    POSTED = "POSTED"
    ALREADY_POSTED = "ALREADY_POSTED"  # a redelivered event: nothing changes
    NOT_A_SHOP = "NOT_A_SHOP"  # the offender has no ledger account: nothing to post
    FINE_REFUSED = "FINE_REFUSED"  # a withdrawal of a penalty whose fine was refused: nothing to reverse


@dataclass(frozen=True)
class Penalty:
    """A penalty as moderation announced it (issued or withdrawn). `offender` is None when its
    kind is one this version does not know (a newer moderation's): not a shop either way."""

    penalty_id: str
    offender: Party | None
    fine: Money | None
    reason: str = ""

    @property
    def shop_id(self) -> str:
        """The fined shop; "" when the offender is not a shop (no ledger account)."""
        return self.offender.id if self.offender is not None and self.offender.kind is PartyKind.SHOP else ""


@dataclass(frozen=True)
class RefusedFine:
    """A penalty whose fine was refused as one that can never be posted (its PenaltyIssued is
    terminated as poison), kept by penalty id so that its withdrawal is acknowledged."""

    penalty_id: str
    why: str  # the refusal, for the log and support
    at: dt.datetime


def refused_fine(penalty: Penalty, refusal: InvalidArgument, at: dt.datetime) -> RefusedFine | None:
    """What to remember of a penalty `fine_posting` refused; None when its id itself is
    unusable (a withdrawal under that id is refused the same way)."""
    v = Validator()
    v.identifier(penalty.penalty_id, "penalty.penalty_id", max_len=256)
    if v.violations:
        return None
    return RefusedFine(penalty.penalty_id, str(refusal)[:MAX_NOTE_CHARS], at)


def fine_posting_id(penalty_id: str) -> str:
    return f"fine:{penalty_id}"


def reversal_posting_id(penalty_id: str) -> str:
    return f"fine-reversal:{penalty_id}"


def _check(penalty: Penalty, v: Validator) -> None:
    v.identifier(penalty.penalty_id, "penalty.penalty_id", max_len=256)
    v.text(penalty.reason, "penalty.reason", max_len=MAX_NOTE_CHARS, required=False)


def fine_posting(penalty: Penalty, policy: ReturnsPolicy) -> Posting | None:
    """The posting of an issued penalty; None when its offender is not a shop. A penalty that
    can never be posted (no id, no positive fine in the policy's currency) is INVALID_ARGUMENT."""
    v = Validator()
    _check(penalty, v)
    if penalty.fine is None or penalty.fine.amount_minor <= 0:
        v.add("penalty.fine", "a positive fine in minor units is required")
    elif penalty.fine.currency_code != policy.currency_code:
        v.add("penalty.fine.currency_code", f"must be {policy.currency_code}")
    elif penalty.fine.amount_minor > MAX_MONEY_MINOR:
        v.add("penalty.fine", "is implausibly large")
    v.raise_if_any()
    if not penalty.shop_id:
        return None
    assert penalty.fine is not None
    shop, income = Account.shop(penalty.shop_id), Account.fines_income()
    return Posting(
        fine_posting_id(penalty.penalty_id),
        (Entry(shop, -penalty.fine, EntryKind.FINE), Entry(income, penalty.fine, EntryKind.FINE)),
        penalty_id=penalty.penalty_id, note=penalty.reason.strip(),
    )


class FineNotPosted(FailedPrecondition):
    """A withdrawal arrived before its fine was posted: it is reversed once the fine is there."""


def reversal_posting(penalty: Penalty, fine_entries: list[LedgerEntry], fine_refused: bool = False) -> Posting | FineOutcome:
    """The posting that reverses the fine posted for a withdrawn penalty: each of the fine's
    entries negated (exactly what was posted, whatever the withdrawal event says). NOT_A_SHOP
    when the offender is not a shop; FINE_REFUSED when no fine was posted because it was
    refused (`fine_refused`): nothing to reverse, ever. FineNotPosted while the fine is not in
    the ledger yet (it may still come)."""
    v = Validator()
    _check(penalty, v)
    v.raise_if_any()
    if not penalty.shop_id:
        return FineOutcome.NOT_A_SHOP
    if not fine_entries and fine_refused:
        return FineOutcome.FINE_REFUSED
    if not fine_entries:
        raise FineNotPosted(
            f"penalty {penalty.penalty_id} was withdrawn before its fine was posted; it is reversed once the fine is",
            reason="FINE_NOT_POSTED", metadata={"penalty_id": penalty.penalty_id},
        )
    entries = tuple(Entry(e.account, -e.amount, EntryKind.FINE_REVERSAL) for e in sorted(fine_entries, key=lambda e: e.entry_id))
    return Posting(reversal_posting_id(penalty.penalty_id), entries, penalty_id=penalty.penalty_id, note=REVERSAL_NOTE)
