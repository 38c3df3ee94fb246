"""VerifyLedger over fakes: a ledger made by the handlers passes; each kind of damage is found."""
from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from prilavok_platform.errors import InvalidArgument, PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.returns.domain import commands as c
from services.returns.domain.audit import ProblemKind, Progress
from services.returns.domain.fines import Penalty
from services.returns.domain.ledger import Account, EntryKind, LedgerEntry, Money
from services.returns.domain.model import ClaimStatus, RefundState, Reject, RejectionReason
from services.returns.service_layer import verify as verify_module
from tests.unit.returns.test_handlers import BUYER, POLICY, PRICE, SELLER, SERVICE, SHOP, SUPPORT, World, refund_claim

FINE = Money(2_500_000, "RUB")


async def verify(w: World, caller: Identity = SUPPORT, max_problems: int = 0) -> list[Progress]:
    return [p async for p in w.h.verify_ledger(c.VerifyLedger(caller, max_problems))]


async def busy_world() -> tuple[World, dict[str, str]]:
    """Sales, a paid refund, a held one, a claim in progress, fines and a reversal."""
    w = World()
    w.policy.replace(replace(POLICY, max_overdraft_minor=0))
    paid = await refund_claim(w)
    await w.h.post_fine(c.PostFine(Penalty("pen-1", Party.shop("s1"), FINE, "Обмен контактами")))
    await w.h.post_fine(c.PostFine(Penalty("pen-2", Party.shop("s1"), FINE, "Обмен контактами")))
    await w.h.reverse_fine(c.ReverseFine(Penalty("pen-2", Party.shop("s1"), FINE)))
    held = await refund_claim(w)  # the shop is in debt: held
    open_claim = await w.claim(quantity=1)
    assert (await w.h.get_claim(c.GetClaim(BUYER, held))).refund_state is RefundState.PENDING_FUNDS
    return w, {"paid": paid, "held": held, "open": open_claim}


async def test_a_ledger_the_handlers_made_passes_with_progress_on_the_way():
    w, _ = await busy_world()
    reports = await verify(w)
    *progress, last = reports
    assert progress and not any(p.done for p in progress) and last.done and last.ok and last.problems == ()
    # 3 sales + 1 paid refund + 2 fines + 1 reversal = 7 postings of 2 entries
    assert (last.entries, last.postings, last.penalties) == (14, 7, 2)
    assert (last.purchases, last.claims, last.accounts) == (3, 3, 2)  # the shop and the buyer; not the marketplace
    assert [p.entries for p in progress] == sorted(p.entries for p in progress)


async def test_every_kind_of_damage_is_reported():
    w, claims = await busy_world()
    at = w.clock.now()
    ledger, balances, purchases = w.ledger, w.balances, w.repos.purchases
    # an unbalanced posting; a buyer account whose document is gone; a shop whose document drifted
    ledger.entries["x:shop:s1:SALE"] = LedgerEntry("x:shop:s1:SALE", "x", SHOP, 0, EntryKind.SALE, Money(1, "RUB"), None, "", "", at)
    balances.amounts[SHOP]["RUB"] += 7
    del balances.amounts[Account.buyer_refunds("b1")]
    # a purchase refunded above its price (the ledger and its counter)
    purchase_id = next(iter(purchases.items))  # type: ignore[attr-defined]
    purchases.items[purchase_id] = replace(purchases.items[purchase_id], refunded_minor=PRICE.amount_minor + 1)  # type: ignore[attr-defined]
    # a paid claim whose posting is gone; a refund posting for a claim still open; held refunds out of step
    for key in [k for k, e in ledger.entries.items() if e.posting_id == f"refund:{claims['paid']}"]:
        moved = ledger.entries.pop(key)
        ledger.entries[key.replace(claims["paid"], claims["open"])] = replace(moved, posting_id=f"refund:{claims['open']}",
                                                                              claim_id=claims["open"])
    balances.held_count[SHOP] += 1
    # a reversal without its fine, and one that reverses another amount
    for key in [k for k, e in ledger.entries.items() if e.posting_id == "fine:pen-1"]:
        ledger.entries[key.replace("fine:pen-1", "fine-reversal:pen-9")] = replace(
            ledger.entries[key], posting_id="fine-reversal:pen-9", penalty_id="pen-9", kind=EntryKind.FINE_REVERSAL,
            amount=-ledger.entries[key].amount)
    for key in [k for k, e in ledger.entries.items() if e.posting_id == "fine-reversal:pen-2"]:
        ledger.entries[key] = replace(ledger.entries[key], amount=Money(ledger.entries[key].amount.amount_minor // 2, "RUB"))
    last = (await verify(w))[-1]
    assert last.done and not last.ok
    found = {(p.kind, p.subject) for p in last.problems}
    assert {kind for kind, _ in found} == set(ProblemKind) - {ProblemKind.REFUND_POSTING_MISMATCH}, last.problems
    assert (ProblemKind.UNBALANCED_POSTING, "x") in found and (ProblemKind.BALANCE_MISSING, "buyer_refunds:b1") in found
    assert (ProblemKind.REFUND_POSTING_MISSING, claims["paid"]) in found and (ProblemKind.REFUND_POSTING_UNEXPECTED, claims["open"]) in found
    assert (ProblemKind.FINE_REVERSAL_WITHOUT_FINE, "pen-9") in found and (ProblemKind.FINE_REVERSAL_MISMATCH, "pen-2") in found
    assert (ProblemKind.HELD_MISMATCH, "shop:s1") in found and (ProblemKind.REFUND_ABOVE_PRICE, purchase_id) in found
    capped = (await verify(w, max_problems=2))[-1]
    assert len(capped.problems) == 2 and not capped.ok


async def test_a_refund_posting_of_other_amounts_than_the_claim_settled_is_reported():
    w, claims = await busy_world()
    claim = w.repos.claims.items[claims["paid"]]  # type: ignore[attr-defined]
    w.repos.claims.items[claims["paid"]] = replace(claim, refunded=Money(1, "RUB"))  # type: ignore[attr-defined]
    [problem] = (await verify(w))[-1].problems
    assert (problem.kind, problem.subject) == (ProblemKind.REFUND_POSTING_MISMATCH, claims["paid"])


async def test_only_support_and_services_verify_and_max_problems_is_checked():
    w = World()
    for caller in (BUYER, SELLER, Identity("m", Role.MODERATOR)):
        with pytest.raises(PermissionDenied):
            await verify(w, caller)
    with pytest.raises(InvalidArgument) as err:
        await verify(w, SERVICE, -1)
    assert err.value.violations[0].field == "max_problems"
    empty = await verify(w, SERVICE)
    assert empty[-1].ok and empty[-1].entries == 0


async def test_claims_without_money_and_a_shop_in_debt_pass():
    w = World()
    claim_id = await w.claim(quantity=1)
    await w.h.cancel_claim(c.CancelClaim(BUYER, "x", claim_id))
    rejected = await w.claim(quantity=1)
    await w.decide(rejected, Reject(RejectionReason.DEFECT_NOT_FOUND))
    await w.h.post_fine(c.PostFine(Penalty("pen-1", Party.shop("s1"), FINE, "Обмен контактами")))
    assert w.balances.of(SHOP) < 0 and (await w.h.get_claim(c.GetClaim(BUYER, claim_id))).status is ClaimStatus.CANCELLED
    last = (await verify(w))[-1]
    assert last.ok and (last.claims, last.penalties) == (2, 1)


async def test_verify_ledger_is_exact_while_the_service_posts_between_its_reads(monkeypatch):
    """The review's finding: VerifyLedger reads the ledger, then balances, purchases and claims;
    the held-refund payer and the fines consumer posting in between made a healthy ledger show
    BALANCE_MISMATCH and REFUND_POSTING_MISSING. Each suspect is now checked again on a snapshot
    of its documents: between every two batches something is posted, and the report is ok; real
    damage made before is still reported, and only it."""
    monkeypatch.setattr(verify_module, "VERIFY_BATCH", 2)
    w, claims = await busy_world()
    more_held = await refund_claim(w)  # a second held refund of the shop
    n = itertools.count()

    async def post_something() -> None:
        k = next(n)
        step = k % 5
        if step == 0:  # a sale (large enough to pay the held refunds): the shop's balance and entries
            await w.h.record_purchase(c.RecordPurchase(SERVICE, f"live-{k}", f"o-live-{k}", "sku", "", "b9", "s1", Money(3_000_000, "RUB"),
                                                       1, w.clock.now()))
        elif step == 1:
            await w.h.pay_held_refunds(c.PayHeldRefunds())  # pays the held refunds the balance now allows
        elif step == 2:
            await w.h.post_fine(c.PostFine(Penalty(f"live-{k}", Party.shop("s1"), Money(1_000, "RUB"), "Штраф")))
        elif step == 3:
            await w.h.reverse_fine(c.ReverseFine(Penalty(f"live-{k - 1}", Party.shop("s1"), None)))
        else:
            await refund_claim(w, 10_000)  # a claim settled: paid or held

    async def verify_while_posting() -> list[Progress]:
        reports = []
        async for progress in w.h.verify_ledger(c.VerifyLedger(SUPPORT)):
            reports.append(progress)
            if not progress.done:
                await post_something()
        return reports

    reports = await verify_while_posting()
    assert 10 < next(n) < 60, "postings happened between the batches (the scan reads what stood at its start)"
    assert (await w.h.get_claim(c.GetClaim(BUYER, claims["held"]))).refund_state is RefundState.PAID
    assert (await w.h.get_claim(c.GetClaim(BUYER, more_held))).refund_state is RefundState.PAID
    last = reports[-1]
    assert last.done and last.ok, last.problems
    assert (await verify(w))[-1].ok  # and quiet, it agrees

    w.balances.amounts[Account.buyer_refunds("b1")]["RUB"] += 5  # damage, then the same busy check
    [problem] = (await verify_while_posting())[-1].problems
    assert (problem.kind, problem.subject) == (ProblemKind.BALANCE_MISMATCH, "buyer_refunds:b1")
