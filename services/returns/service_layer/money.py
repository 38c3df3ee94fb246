"""Storing the money the domain decided, inside the caller's transaction: postings onto the
balances and the ledger, the per-order-line refund and shipping limits, held refunds. Orchestration only:
every rule (which balance may go how low, what a line may refund) is the domain's; storage
enforces it with conditional updates, never by reading and then writing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from prilavok_platform.errors import NotFound
from prilavok_platform.unit_of_work import Transaction
from services.returns.domain import model
from services.returns.domain.ledger import (
    Account,
    BalanceAfter,
    LedgerEntry,
    Money,
    Posting,
    balance_moves,
    require_not_posted,
    stored_entries,
)
from services.returns.domain.model import Purchase, ReturnsPolicy, Transition
from services.returns.service_layer.ports import ReturnsRepositories

Tx = Transaction[ReturnsRepositories]


@dataclass(frozen=True)
class Posted:
    """A posting as stored: its entries, and the refunds held on each shop it moved."""

    entries: tuple[LedgerEntry, ...] = ()
    held: dict[Account, Money] = field(default_factory=dict)


async def post(
    tx: Tx, posting: Posting, at: dt.datetime, *, check_posted: bool = True, floor: Money | None = None,
    release: Money | None = None,
) -> Posted | None:
    """Stores a posting: one atomic update per shop or buyer balance it moves, then its entries
    (the marketplace's accounts get entries only: no document every sale or fine would update).

    With a `floor`, the shop's debit is conditional (see `BalanceMove`) and comes first: None
    when the balance does not allow it, with nothing written. `release`: the posting pays a
    refund held for that amount. `check_posted=False` where the posting's id is unique by
    construction (a sale: its purchase was just inserted); entry ids are unique anyway."""
    if check_posted:
        require_not_posted(posting, await tx.repos.ledger.has_posting(posting.posting_id))
    after: dict[Account, BalanceAfter] = {}
    for move in balance_moves(posting, floor=floor, release=release):
        result = await tx.repos.balances.apply(move, at)
        if result is None:
            return None
        after[move.account] = result
    entries = stored_entries(posting, after, at)
    await tx.repos.ledger.add(entries)
    return Posted(entries, {account: a.held for account, a in after.items() if a.held is not None})


async def load_purchase(repos: ReturnsRepositories, purchase_id: str) -> Purchase:
    purchase = await repos.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(f"purchase {purchase_id} not found", reason="PURCHASE_NOT_FOUND")
    return purchase


async def reserve_on_line(tx: Tx, purchase_id: str, refund: Money | None, shipping: Money | None, policy: ReturnsPolicy) -> None:
    """Counts a settlement's refund and return shipping against its order line, in the
    settlement's transaction: one conditional update that succeeds only while the line's
    refunds stay within what was paid for it and its shipping within the policy's maximum per
    line (however many claims and concurrent settlements), else REFUND_LIMIT_EXCEEDED or
    SHIPPING_LIMIT_EXCEEDED with what is left."""
    if refund is None and shipping is None:
        return
    purchase = await load_purchase(tx.repos, purchase_id)  # for its price and quantity, which never change
    if await tx.repos.purchases.add_settled(purchase_id, refund, shipping, purchase.paid, policy.shipping_per_order_line):
        return
    line = await load_purchase(tx.repos, purchase_id)  # as it is in this transaction: which limit refused
    if refund is not None and refund.amount_minor > line.refundable.amount_minor:
        raise model.RefundLimitExceeded(line, refund)
    assert shipping is not None
    raise model.ShippingLimitExceeded(line, policy, shipping)


async def settle(tx: Tx, transition: Transition, at: dt.datetime, policy: ReturnsPolicy) -> tuple[Transition, Posted]:
    """The money of a move that settles a claim: counted against the order line's limits, then
    paid from the shop's balance within its overdraft, or held (PENDING_FUNDS) when the
    balance does not allow it or older refunds of the shop wait."""
    if transition.posting is None:
        return transition, Posted()
    await reserve_on_line(tx, transition.claim.purchase_id, transition.claim.refunded, transition.claim.shipping_reimbursed, policy)
    posted = await post(tx, transition.posting, at, floor=policy.overdraft_floor())
    transition = model.paid_or_held(transition, posted is not None, at)
    if posted is None:
        assert transition.claim.refund_held is not None
        await tx.repos.balances.hold(Account.shop(transition.claim.shop_id), transition.claim.refund_held, at)
        return transition, Posted()
    return transition, posted
