"""Every returns use case over fakes and the in-memory unit of work: no server, milliseconds."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import pytest

from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from prilavok_platform.idempotency import IdempotencyKeyReused
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import InMemoryUnitOfWork
from services.returns.domain import commands as c
from services.returns.domain import events
from services.returns.domain.access import ClaimAction
from services.returns.domain.ledger import Account, BalanceMove, EntryKind, LedgerEntry, Money
from services.returns.domain.model import (
    ApprovalMode,
    Approve,
    ClaimStatus,
    CompensationForm,
    HandoverMethod,
    Offer,
    PurchaseAlreadyRecorded,
    RefundState,
    Reject,
    RejectionReason,
    ReturnsPolicy,
)
from services.returns.service_layer.handlers import ReturnsHandlers
from services.returns.service_layer.ports import ReturnsRepositories
from tests.unit.returns.fakes import FakeBalances, FakeLedger, fake_repositories

POLICY = ReturnsPolicy("t", "RUB", 14, 730, 10, 2000, 3)
SERVICE = Identity("orders", Role.SERVICE)
SUPPORT = Identity("agent", Role.SUPPORT)
BUYER = Identity("b1", Role.BUYER)
OTHER_BUYER = Identity("b2", Role.BUYER)
SELLER = Identity("u1", Role.SELLER, "s1")
OTHER_SELLER = Identity("u2", Role.SELLER, "s2")
PRICE = Money(100_000, "RUB")
SHOP = Account.shop("s1")
REFUNDS = Account.buyer_refunds("b1")
_ids = itertools.count()


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC))
        self.repos: ReturnsRepositories = fake_repositories()
        self.uow = InMemoryUnitOfWork(self.repos)
        self.policy = PolicyHolder.fixed(POLICY)
        self.h = ReturnsHandlers(self.uow, self.policy, self.clock)

    @property
    def ledger(self) -> FakeLedger:
        assert isinstance(self.repos.ledger, FakeLedger)
        return self.repos.ledger

    @property
    def balances(self) -> FakeBalances:
        assert isinstance(self.repos.balances, FakeBalances)
        return self.repos.balances

    async def purchase(self, *, buyer: str = "b1", shop: str = "s1", days_ago: int = 30, quantity: int = 2) -> str:
        n = next(_ids)
        purchase, created, _ = await self.h.record_purchase(c.RecordPurchase(
            SERVICE, f"r{n}", f"o{n}", f"sku{n}", "Чайник", buyer, shop, PRICE, quantity,
            self.clock.now() - dt.timedelta(days=days_ago)))
        assert created
        return purchase.purchase_id

    async def claim(self, form: CompensationForm = CompensationForm.FULL_REFUND, buyer: Identity = BUYER, **kw) -> str:
        purchase_id = await self.purchase(buyer=buyer.user_id, **kw)
        claim, _, _ = await self.h.open_claim(c.OpenClaim(buyer, f"open{next(_ids)}", purchase_id, "Не греет", form, quantity=1))
        return claim.claim_id

    async def decide(self, claim_id: str, decision: Approve | Reject, caller: Identity = SELLER, **kw):
        return await self.h.decide_claim(c.DecideClaim(caller, f"d{next(_ids)}", claim_id, decision, **kw))


@pytest.fixture
def w() -> World:
    return World()


def full_refund(mode: ApprovalMode = ApprovalMode.NO_RETURN, handover: HandoverMethod | None = None) -> Approve:
    return Approve(mode, Offer(CompensationForm.FULL_REFUND, PRICE, None, handover))


# --- purchases --------------------------------------------------------------------------------


async def test_record_purchase_credits_the_shop_once(w: World):
    cmd = c.RecordPurchase(SERVICE, "r", "o1", "sku", "", "b1", "s1", PRICE, 2, w.clock.now())
    purchase, created, replayed = await w.h.record_purchase(cmd)
    again = await w.h.record_purchase(cmd)
    assert created and not replayed
    assert again == (purchase, True, True), "a retry gets the first answer (created), marked replayed"
    assert w.balances.of(SHOP) == 200_000 and w.ledger.total(Account.clearing()) == -200_000
    assert Account.clearing() not in w.balances.amounts, "the marketplace keeps no balance document"
    assert w.uow.events_of(events.BalanceChanged) == [
        events.BalanceChanged(Party.shop("s1"), Money(200_000, "RUB"), Money(200_000, "RUB"), f"sale:{purchase.purchase_id}", w.clock.now(),
                              Money(0, "RUB"))]


async def test_record_purchase_retries_and_the_same_order_line(w: World):
    paid = w.clock.now() - dt.timedelta(days=1)
    first, created, _ = await w.h.record_purchase(c.RecordPurchase(SERVICE, "r1", "o1", "sku", "Чайник", "b1", "s1", PRICE, 0, paid))
    assert created and first.quantity == 1  # left out: one item
    # The same request id again: what that request answered (created), replayed ...
    assert await w.h.record_purchase(c.RecordPurchase(SERVICE, "r1", "o1", "sku", "Чайник", "b1", "s1", PRICE, 1, paid)) == (
        first, True, True)
    # ... but not for another purchase: the reproduction (a sale with another buyer, shop
    # and price under a used request id was answered with the first and never credited).
    with pytest.raises(IdempotencyKeyReused) as reused:
        await w.h.record_purchase(c.RecordPurchase(SERVICE, "r1", "o9", "sku", "Чайник", "b2", "s2", Money(5, "RUB"), 1, paid))
    assert reused.value.code == "INVALID_ARGUMENT" and reused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert reused.value.metadata["fields"] == "purchase.order_id,purchase.buyer_id,purchase.shop_id,purchase.price"
    # The same order line and values under another request id: the stored purchase, not created.
    assert await w.h.record_purchase(c.RecordPurchase(SERVICE, "r2", "o1", "sku", "Чайник", "b1", "s1", PRICE, 1, paid)) == (
        first, False, False)
    # The same order line with other values: ALREADY_EXISTS naming them, nothing stored or posted.
    with pytest.raises(PurchaseAlreadyRecorded) as err:
        await w.h.record_purchase(c.RecordPurchase(SERVICE, "r3", "o1", "sku", "Чайник", "b1", "s2", PRICE, 2, paid))
    assert err.value.code == "ALREADY_EXISTS" and err.value.reason == "PURCHASE_ALREADY_RECORDED"
    assert err.value.metadata["fields"] == "purchase.shop_id,purchase.quantity"
    assert w.balances.of(SHOP) == 100_000 and w.balances.of(Account.shop("s2")) == 0
    assert len(w.uow.events_of(events.BalanceChanged)) == 1
    # The request id of a refused request is not taken: it may record another order line.
    second, created, _ = await w.h.record_purchase(c.RecordPurchase(SERVICE, "r3", "o2", "sku", "", "b1", "s1", PRICE, 1, paid))
    assert created and second.purchase_id != first.purchase_id


async def test_only_the_order_system_records_purchases_and_support_never_credits(w: World):
    """The issue's reproduction: support could record purchases, i.e. credit any shop."""
    refused = [BUYER, SELLER, SUPPORT, Identity("chat", Role.SERVICE), Identity("orders", Role.SUPPORT)]
    for caller in refused:
        with pytest.raises(PermissionDenied) as err:
            await w.h.record_purchase(c.RecordPurchase(caller, "r", "o1", "sku", "", "b1", "s1", PRICE, 1, w.clock.now()))
        assert err.value.reason == "NOT_A_PURCHASE_RECORDER" and err.value.metadata == {"purchase_recorders": "orders"}
        assert "order system only" in err.value.message
    assert w.uow.commits == 0 and w.balances.of(SHOP) == 0
    w.policy.replace(replace(POLICY, purchase_recorders=("orders", "orders-eu")))  # the policy names the recorders
    purchase, created, _ = await w.h.record_purchase(c.RecordPurchase(
        Identity("orders-eu", Role.SERVICE), "r", "o1", "sku", "", "b1", "s1", PRICE, 1, w.clock.now()))
    assert created and w.balances.of(SHOP) == 100_000
    assert (await w.h.get_purchase(c.GetPurchase(SUPPORT, purchase.purchase_id))).purchase_id == purchase.purchase_id


async def test_record_purchase_is_validated(w: World):
    with pytest.raises(InvalidArgument) as err:
        await w.h.record_purchase(c.RecordPurchase(SERVICE, "r", "o1", "sku", "", "b1", "s1", None, 1, None))
    assert {v.field for v in err.value.violations} == {"purchase.price", "purchase.paid_at"}
    with pytest.raises(InvalidArgument) as err:
        await w.h.record_purchase(c.RecordPurchase(SERVICE, "", "o1", "sku", "", "b1", "s1", PRICE, 1, w.clock.now()))
    assert err.value.violations[0].field == "request_id"
    assert w.uow.commits == 0


async def test_get_purchase_for_its_parties_only(w: World):
    purchase_id = await w.purchase()
    for caller in (BUYER, SELLER, SUPPORT):
        assert (await w.h.get_purchase(c.GetPurchase(caller, purchase_id))).purchase_id == purchase_id
    for caller in (OTHER_BUYER, OTHER_SELLER):
        with pytest.raises(PermissionDenied):
            await w.h.get_purchase(c.GetPurchase(caller, purchase_id))
    with pytest.raises(NotFound):
        await w.h.get_purchase(c.GetPurchase(BUYER, "nope"))


# --- opening ----------------------------------------------------------------------------------


async def test_open_claim_is_idempotent_and_one_per_purchase(w: World):
    purchase_id = await w.purchase()
    cmd = c.OpenClaim(BUYER, "req", purchase_id, "Не греет", CompensationForm.FULL_REFUND)
    claim, created, _ = await w.h.open_claim(cmd)
    assert await w.h.open_claim(cmd) == (claim, True, True)  # the first answer, replayed
    assert created and claim.status is ClaimStatus.AWAITING_SELLER
    assert [e.claim for e in w.uow.events_of(events.ClaimOpened)] == [claim]
    with pytest.raises(FailedPrecondition) as err:
        await w.h.open_claim(c.OpenClaim(BUYER, "req2", purchase_id, "Ещё раз", CompensationForm.FULL_REFUND))
    assert err.value.reason == "CLAIM_ALREADY_OPEN"


async def test_open_claim_errors(w: World):
    purchase_id = await w.purchase()
    with pytest.raises(PermissionDenied):
        await w.h.open_claim(c.OpenClaim(SELLER, "r", purchase_id, "x", CompensationForm.FULL_REFUND))
    with pytest.raises(PermissionDenied):
        await w.h.open_claim(c.OpenClaim(OTHER_BUYER, "r", purchase_id, "x", CompensationForm.FULL_REFUND))
    with pytest.raises(NotFound):
        await w.h.open_claim(c.OpenClaim(BUYER, "r", "missing", "x", CompensationForm.FULL_REFUND))
    with pytest.raises(InvalidArgument):
        await w.h.open_claim(c.OpenClaim(BUYER, "", purchase_id, "x", CompensationForm.FULL_REFUND))


async def test_fourteen_day_rule_comes_from_the_policy(w: World):
    recent = await w.purchase(days_ago=10)
    with pytest.raises(FailedPrecondition) as err:
        await w.h.open_claim(c.OpenClaim(BUYER, "r", recent, "x", CompensationForm.FULL_REFUND))
    assert err.value.reason == "CLAIM_TOO_EARLY"
    w.policy.replace(ReturnsPolicy("t2", "RUB", 7, 730, 10, 2000, 3))  # a reloaded policy applies at the next call
    claim, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, "r", recent, "x", CompensationForm.FULL_REFUND))
    assert claim.status is ClaimStatus.AWAITING_SELLER


# --- reading ----------------------------------------------------------------------------------


async def test_get_claim_not_found_and_not_a_party(w: World):
    claim_id = await w.claim()
    assert (await w.h.get_claim(c.GetClaim(SELLER, claim_id))).claim_id == claim_id
    with pytest.raises(NotFound) as err:
        await w.h.get_claim(c.GetClaim(BUYER, "missing"))
    assert err.value.reason == "CLAIM_NOT_FOUND"
    for caller in (OTHER_BUYER, OTHER_SELLER):
        with pytest.raises(PermissionDenied) as perm:
            await w.h.get_claim(c.GetClaim(caller, claim_id))
        assert perm.value.reason == "NOT_A_PARTY"


async def test_list_claims_shows_each_party_its_own_paged_by_one(w: World):
    mine = set()
    for _ in range(3):
        mine.add(await w.claim())
        w.clock.advance(dt.timedelta(minutes=1))
    other_buyer_claim = await w.claim(buyer=OTHER_BUYER)
    other_shop_claim = await w.claim(shop="s2")

    async def all_pages(caller: Identity, status: ClaimStatus | None = None) -> list[str]:
        seen, token = [], ""
        while True:
            claims, token = await w.h.list_claims(c.ListClaims(caller, status, 1, token))
            seen += [x.claim_id for x in claims]
            if not token:
                return seen

    buyer_sees = await all_pages(BUYER)
    assert len(buyer_sees) == len(set(buyer_sees)) and set(buyer_sees) == mine | {other_shop_claim}
    assert set(await all_pages(SELLER)) == mine | {other_buyer_claim}
    assert len(await all_pages(SUPPORT)) == 5
    assert await all_pages(BUYER, ClaimStatus.CANCELLED) == []
    with pytest.raises(InvalidArgument):
        await w.h.list_claims(c.ListClaims(BUYER, page_token="eyJzZXEiOiJ4In0"))  # {"seq":"x"}


# --- the lifecycle ----------------------------------------------------------------------------


async def test_take_back_lifecycle_posts_the_refund_on_both_accounts(w: World):
    claim_id = await w.claim(CompensationForm.REPLACEMENT)
    offer = Offer(CompensationForm.PARTIAL_REFUND, Money(30_000, "RUB"), Money(15_000, "RUB"), HandoverMethod.PICKUP_POINT)
    claim = await w.decide(claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
    assert claim.status is ClaimStatus.AWAITING_BUYER and claim.version == 1
    claim = await w.h.respond_to_offer(c.RespondToOffer(BUYER, "r", claim_id, True, "Согласна"))
    assert claim.status is ClaimStatus.AWAITING_HANDOVER
    claim = await w.h.hand_over_item(c.HandOverItem(BUYER, "h", claim_id, HandoverMethod.PICKUP_POINT, "pvz-1"))
    assert claim.status is ClaimStatus.ITEM_IN_TRANSIT
    with pytest.raises(PermissionDenied):
        await w.h.confirm_receipt(c.ConfirmReceipt(BUYER, "c", claim_id, True))
    claim = await w.h.confirm_receipt(c.ConfirmReceipt(SELLER, "c", claim_id, True, "Получили"))
    assert claim.status is ClaimStatus.SETTLED and claim.refunded == Money(30_000, "RUB")
    assert claim.shipping_reimbursed == Money(15_000, "RUB")
    assert w.balances.of(SHOP) == 200_000 - 45_000 and w.balances.of(REFUNDS) == 45_000
    assert [n.text for n in claim.notes] == ["Согласна", "Получили"]
    refund = w.uow.events_of(events.RefundIssued)
    assert [(r.refund, r.shipping, r.total, r.posting_id) for r in refund] == [
        (Money(30_000, "RUB"), Money(15_000, "RUB"), Money(45_000, "RUB"), f"refund:{claim_id}")]
    assert [b.delta.amount_minor for b in w.uow.events_of(events.BalanceChanged)][-2:] == [-30_000, -15_000]
    statuses = [e.claim.status for e in w.uow.events_of(events.ClaimStatusChanged)]
    assert statuses == [ClaimStatus.AWAITING_BUYER, ClaimStatus.AWAITING_HANDOVER, ClaimStatus.ITEM_IN_TRANSIT, ClaimStatus.SETTLED]
    balance = await w.h.get_balance(c.GetBalance(SELLER))
    assert balance.available == Money(155_000, "RUB") and balance.shop_id == "s1"
    entries, _ = await w.h.list_ledger_entries(c.ListLedgerEntries(SUPPORT, "s1", 10))
    assert [(e.kind, e.amount.amount_minor, e.balance_after.amount_minor) for e in entries] == [
        (EntryKind.SHIPPING_REIMBURSEMENT, -15_000, 155_000), (EntryKind.REFUND, -30_000, 170_000), (EntryKind.SALE, 200_000, 200_000)]


async def test_missing_part_with_shipping_only_writes_no_refund_line(w: World):
    # A marketplace whose policy reimburses shipping when nothing comes back (by default it does not).
    w.policy.replace(replace(POLICY, shipping_tariff_minor=(("PICKUP_POINT", 0), ("DIRECT_TO_SELLER", 0), ("WITHOUT_RETURN", 10_000))))
    claim_id = await w.claim(CompensationForm.MISSING_PART)
    offer = Offer(CompensationForm.MISSING_PART, None, Money(9_000, "RUB"), None)
    claim = await w.decide(claim_id, Approve(ApprovalMode.NO_RETURN, offer))
    assert claim.status is ClaimStatus.SETTLED and claim.refunded is None and claim.shipping_reimbursed == Money(9_000, "RUB")
    assert w.balances.of(SHOP) == 200_000 - 9_000 and w.balances.of(REFUNDS) == 9_000
    entries, _ = await w.h.list_ledger_entries(c.ListLedgerEntries(SUPPORT, "s1", 10))
    assert [(e.kind, e.amount.amount_minor) for e in entries] == [(EntryKind.SHIPPING_REIMBURSEMENT, -9_000), (EntryKind.SALE, 200_000)]
    settled = [b for b in w.uow.events_of(events.BalanceChanged) if b.posting_id == f"refund:{claim_id}"]
    assert [b.delta.amount_minor for b in settled] == [-9_000]
    [issued] = w.uow.events_of(events.RefundIssued)
    assert (issued.refund, issued.shipping, issued.total) == (Money(0, "RUB"), Money(9_000, "RUB"), Money(9_000, "RUB"))


async def test_replacement_with_shipping_only_reimburses_the_shipping(w: World):
    claim_id = await w.claim(CompensationForm.REPLACEMENT)
    offer = Offer(CompensationForm.REPLACEMENT, None, Money(12_000, "RUB"), HandoverMethod.DIRECT_TO_SELLER)
    claim = await w.decide(claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
    assert claim.status is ClaimStatus.AWAITING_HANDOVER
    await w.h.hand_over_item(c.HandOverItem(BUYER, "h", claim_id, HandoverMethod.DIRECT_TO_SELLER))
    claim = await w.h.confirm_receipt(c.ConfirmReceipt(SELLER, "c", claim_id, True))
    assert claim.status is ClaimStatus.SETTLED and claim.refunded is None and claim.shipping_reimbursed == Money(12_000, "RUB")
    entries, _ = await w.h.list_ledger_entries(c.ListLedgerEntries(SUPPORT, "s1", 10))
    assert EntryKind.REFUND not in {e.kind for e in entries}
    assert all(b.delta.amount_minor for b in w.uow.events_of(events.BalanceChanged))
    [issued] = w.uow.events_of(events.RefundIssued)
    assert (issued.refund.amount_minor, issued.shipping.amount_minor) == (0, 12_000)


async def test_no_return_full_refund_settles_at_decision(w: World):
    claim_id = await w.claim()
    with pytest.raises(InvalidArgument):
        await w.decide(claim_id, Approve(ApprovalMode.NO_RETURN, Offer(CompensationForm.FULL_REFUND, Money(1, "RUB"), None, None)))
    claim = await w.decide(claim_id, full_refund())
    assert claim.status is ClaimStatus.SETTLED and claim.refunded == PRICE
    assert w.balances.of(SHOP) == 100_000 and w.balances.of(REFUNDS) == 100_000


async def test_reject_reconsider_and_the_limit(w: World):
    claim_id = await w.claim()
    await w.decide(claim_id, Reject(RejectionReason.GO_TO_SERVICE_CENTRE))
    with pytest.raises(InvalidArgument):
        await w.h.request_reconsideration(c.RequestReconsideration(BUYER, "long", claim_id, "x" * 2001))
    await w.h.request_reconsideration(c.RequestReconsideration(BUYER, "first", claim_id))
    for i in range(1, POLICY.max_reconsiderations):
        claim = await w.decide(claim_id, Reject(RejectionReason.NEED_PHOTO_OR_VIDEO, "Пришлите фото"))
        assert claim.status is ClaimStatus.REJECTED
        claim = await w.h.request_reconsideration(c.RequestReconsideration(BUYER, f"rc{i}", claim_id, "Вот фото", (f"ph{i}",)))
        assert claim.status is ClaimStatus.AWAITING_SELLER and claim.reconsideration_count == i + 1
    assert claim.notes[-1].text == "Вот фото" and claim.notes[-1].author == Party.user("b1")
    assert w.uow.events_of(events.ClaimStatusChanged)[-1].comment == "Вот фото"
    await w.decide(claim_id, Reject(RejectionReason.DEFECT_NOT_FOUND))
    with pytest.raises(FailedPrecondition) as err:
        await w.h.request_reconsideration(c.RequestReconsideration(BUYER, "last", claim_id))
    assert err.value.reason == "RECONSIDERATION_LIMIT"
    assert err.value.metadata["available_actions"] == "CANCEL"  # what the buyer may still do
    claim = await w.h.get_claim(c.GetClaim(BUYER, claim_id))
    assert w.h.available_actions(BUYER, claim) == (ClaimAction.CANCEL,) and w.h.available_actions(SELLER, claim) == ()


async def test_declined_offer_goes_back_to_the_seller(w: World):
    claim_id = await w.claim(CompensationForm.REPLACEMENT)
    await w.decide(claim_id, full_refund(ApprovalMode.TAKE_BACK, HandoverMethod.DIRECT_TO_SELLER))
    with pytest.raises(PermissionDenied):
        await w.h.respond_to_offer(c.RespondToOffer(SELLER, "r", claim_id, True))
    claim = await w.h.respond_to_offer(c.RespondToOffer(BUYER, "r", claim_id, False, "Хочу замену"))
    assert claim.status is ClaimStatus.AWAITING_SELLER and claim.notes[-1].text == "Хочу замену"


async def test_defect_check_that_finds_nothing_rejects(w: World):
    claim_id = await w.claim()
    await w.decide(claim_id, full_refund(ApprovalMode.DEFECT_CHECK, HandoverMethod.DIRECT_TO_SELLER))
    with pytest.raises(PermissionDenied):
        await w.h.hand_over_item(c.HandOverItem(SELLER, "h", claim_id, HandoverMethod.DIRECT_TO_SELLER))
    with pytest.raises(FailedPrecondition) as err:
        await w.h.hand_over_item(c.HandOverItem(BUYER, "p", claim_id, HandoverMethod.PICKUP_POINT, "pvz-1"))
    assert err.value.reason == "HANDOVER_NOT_AS_AGREED"
    await w.h.hand_over_item(c.HandOverItem(BUYER, "h", claim_id, HandoverMethod.DIRECT_TO_SELLER))
    claim = await w.h.confirm_receipt(c.ConfirmReceipt(SELLER, "c", claim_id, False, "Работает"))
    assert claim.status is ClaimStatus.REJECTED and claim.rejection_reason is RejectionReason.DEFECT_NOT_FOUND
    assert w.balances.of(REFUNDS) == 0 and not w.uow.events_of(events.RefundIssued)


async def test_decisions_are_for_the_seller_of_the_shop_and_need_one(w: World):
    claim_id = await w.claim()
    for caller in (BUYER, OTHER_SELLER, SUPPORT):
        with pytest.raises(PermissionDenied):
            await w.decide(claim_id, full_refund(), caller=caller)
    with pytest.raises(InvalidArgument):
        await w.h.decide_claim(c.DecideClaim(SELLER, "d", claim_id, None))
    with pytest.raises(NotFound):
        await w.decide("missing", full_refund())


async def test_claim_version_mismatch_changes_nothing(w: World):
    claim_id = await w.claim()
    commits = w.uow.commits
    with pytest.raises(Aborted) as err:
        await w.decide(claim_id, full_refund(), expected_version=7)
    assert err.value.reason == "CLAIM_VERSION_MISMATCH"
    assert w.uow.commits == commits and w.balances.of(REFUNDS) == 0
    claim = await w.decide(claim_id, full_refund(), expected_version=0)
    assert claim.status is ClaimStatus.SETTLED


async def test_a_retried_move_returns_the_claim_unchanged(w: World):
    claim_id = await w.claim()
    cmd = c.DecideClaim(SELLER, "same", claim_id, full_refund())
    first = await w.h.decide_claim(cmd)
    again = await w.h.decide_claim(cmd)
    assert again == first and w.balances.of(REFUNDS) == 100_000
    assert len(w.uow.events_of(events.RefundIssued)) == 1


# --- request ids ----------------------------------------------------------------------------------


async def reused(call) -> list[str]:
    """The fields an IDEMPOTENCY_KEY_REUSED error names."""
    with pytest.raises(InvalidArgument) as err:
        await call
    assert err.value.reason == "IDEMPOTENCY_KEY_REUSED", err.value
    return [v.field for v in err.value.violations]


async def test_open_claim_under_a_used_request_id_answers_the_same_request_and_refuses_another(w: World):
    """The issue's reproduction: OpenClaim with another purchase under a used id returned the
    first claim as if nothing were wrong."""
    first_purchase, other_purchase = await w.purchase(), await w.purchase()
    cmd = c.OpenClaim(BUYER, "open", first_purchase, "Не греет", CompensationForm.FULL_REFUND, quantity=0)
    claim, created, _ = await w.h.open_claim(cmd)
    assert await w.h.open_claim(replace(cmd, quantity=1)) == (claim, True, True)  # the same request (0 means one item)
    assert await reused(w.h.open_claim(replace(cmd, purchase_id=other_purchase))) == ["purchase_id"]
    assert await reused(w.h.open_claim(replace(cmd, description="Другое", photo_ids=("p1",)))) == ["description", "photo_ids"]
    assert len(w.uow.events_of(events.ClaimOpened)) == 1


async def test_every_claim_move_answers_its_retry_and_refuses_its_request_id_reused(w: World):
    claim_id = await w.claim(CompensationForm.REPLACEMENT, quantity=1)
    offer = Offer(CompensationForm.PARTIAL_REFUND, Money(30_000, "RUB"), Money(10_000, "RUB"), HandoverMethod.PICKUP_POINT)
    decide = c.DecideClaim(SELLER, "d", claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
    decided = await w.h.decide_claim(decide)
    assert await w.h.decide_claim(decide) == decided
    # The reproduction: DecideClaim again with another amount was answered as if applied.
    other_amount = Approve(ApprovalMode.TAKE_BACK, replace(offer, refund=Money(60_000, "RUB")))
    assert await reused(w.h.decide_claim(replace(decide, decision=other_amount))) == ["approve.offer.refund_amount"]
    assert await reused(w.h.decide_claim(replace(decide, decision=Reject(RejectionReason.OTHER, "Нет")))) == [
        "reject.reason", "reject.comment", "approve.mode", "approve.offer.form", "approve.offer.refund_amount",
        "approve.offer.shipping_reimbursement", "approve.offer.handover_method"]
    another_claim = await w.claim(quantity=1)
    assert await reused(w.h.decide_claim(replace(decide, claim_id=another_claim))) == ["claim_id"]
    assert await reused(w.h.confirm_receipt(c.ConfirmReceipt(SELLER, "d", claim_id, True))) == ["request_id"]  # another RPC

    respond = c.RespondToOffer(BUYER, "r", claim_id, True, "Согласна")
    assert (await w.h.respond_to_offer(respond)).status is ClaimStatus.AWAITING_HANDOVER
    assert await reused(w.h.respond_to_offer(replace(respond, accept=False))) == ["accept"]
    hand_over = c.HandOverItem(BUYER, "h", claim_id, HandoverMethod.PICKUP_POINT, "pvz-1")
    assert (await w.h.hand_over_item(hand_over)).status is ClaimStatus.ITEM_IN_TRANSIT
    assert await reused(w.h.hand_over_item(replace(hand_over, pickup_point_id="pvz-2"))) == ["pickup_point_id"]
    receive = c.ConfirmReceipt(SELLER, "c", claim_id, True, "Получили")
    settled = await w.h.confirm_receipt(receive)
    assert await w.h.confirm_receipt(receive) == settled
    # A retry made after later moves gets the first answer, the claim as that move left it.
    accepted = await w.h.respond_to_offer(respond)
    assert (accepted.status, accepted.version) == (ClaimStatus.AWAITING_HANDOVER, settled.version - 2)
    assert await w.h.move(decide) == (decided, True) and decided.status is ClaimStatus.AWAITING_BUYER
    assert await reused(w.h.confirm_receipt(replace(receive, comment="Другое"))) == ["comment"]
    assert w.balances.of(REFUNDS) == 40_000 and len(w.uow.events_of(events.RefundIssued)) == 1

    rejected_id = await w.claim(quantity=1)
    await w.decide(rejected_id, Reject(RejectionReason.NEED_PHOTO_OR_VIDEO))
    reconsider = c.RequestReconsideration(BUYER, "rc", rejected_id, "Вот фото", ("ph1",))
    first = await w.h.request_reconsideration(reconsider)
    assert await w.h.request_reconsideration(reconsider) == first and first.reconsideration_count == 1
    assert await reused(w.h.request_reconsideration(replace(reconsider, photo_ids=("ph2",)))) == ["photo_ids"]


# --- money limits -------------------------------------------------------------------------------


async def settle_no_return(w: World, purchase_id: str, form: CompensationForm, amount: Money, n: str):
    claim, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, f"open-{n}", purchase_id, "Не греет", form))
    claim = await w.decide(claim.claim_id, Approve(ApprovalMode.NO_RETURN, Offer(form, amount, None, None)))
    if claim.status is ClaimStatus.AWAITING_BUYER:  # a partial refund is the buyer's to accept
        claim = await w.h.respond_to_offer(c.RespondToOffer(BUYER, f"accept-{n}", claim.claim_id, True))
    return claim


async def test_an_order_line_is_never_refunded_above_its_price_across_claims(w: World):
    """The issue's reproduction: a settled claim no longer opens the way to another refund."""
    purchase_id = await w.purchase(quantity=1)
    first = await settle_no_return(w, purchase_id, CompensationForm.FULL_REFUND, PRICE, "1")
    assert first.status is ClaimStatus.SETTLED
    with pytest.raises(FailedPrecondition) as err:
        await w.h.open_claim(c.OpenClaim(BUYER, "open-2", purchase_id, "Снова сломался", CompensationForm.FULL_REFUND))
    assert err.value.reason == "REFUND_LIMIT_EXCEEDED"
    assert err.value.metadata == {"purchase_id": purchase_id, "remaining_minor": "0", "currency_code": "RUB", "paid_minor": "100000"}
    assert w.balances.of(SHOP) == 0 and w.balances.of(REFUNDS) == 100_000


async def test_partial_refunds_add_up_to_the_price_and_no_further(w: World):
    purchase_id = await w.purchase(quantity=1)
    await settle_no_return(w, purchase_id, CompensationForm.PARTIAL_REFUND, Money(30_000, "RUB"), "a")
    claim, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, "open-b", purchase_id, "Ещё дефект", CompensationForm.FULL_REFUND))
    for amount in (PRICE, Money(70_001, "RUB")):  # the full price again, or a kopeck above what is left
        form = CompensationForm.FULL_REFUND if amount == PRICE else CompensationForm.PARTIAL_REFUND
        # Within the claim's price but above what the line has left: FAILED_PRECONDITION with the
        # remaining refundable amount in the details (the item 1), not INVALID_ARGUMENT prose.
        with pytest.raises(FailedPrecondition) as err:
            await w.decide(claim.claim_id, Approve(ApprovalMode.NO_RETURN, Offer(form, amount, None, None)))
        assert err.value.reason == "REFUND_LIMIT_EXCEEDED"
        assert {k: err.value.metadata[k] for k in ("purchase_id", "remaining_minor", "currency_code", "paid_minor")} == {
            "purchase_id": purchase_id, "remaining_minor": "70000", "currency_code": "RUB", "paid_minor": "100000"}
    # Above the claim's own price it stays a bad field.
    with pytest.raises(InvalidArgument) as bad:
        await w.decide(claim.claim_id, Approve(ApprovalMode.NO_RETURN, Offer(CompensationForm.PARTIAL_REFUND, Money(100_001, "RUB"), None, None)))
    [violation] = bad.value.violations
    assert violation.field == "approve.offer.refund_amount" and "price paid for the items claimed" in violation.description
    await w.decide(claim.claim_id, Approve(ApprovalMode.NO_RETURN, Offer(CompensationForm.PARTIAL_REFUND, Money(70_000, "RUB"), None, None)))
    settled = await w.h.respond_to_offer(c.RespondToOffer(BUYER, "accept-b", claim.claim_id, True))
    assert settled.refunded == Money(70_000, "RUB") and w.balances.of(REFUNDS) == 100_000
    assert w.repos.purchases.items[purchase_id].refunded_minor == 100_000  # type: ignore[attr-defined]
    with pytest.raises(FailedPrecondition) as refused:
        await w.h.open_claim(c.OpenClaim(BUYER, "open-c", purchase_id, "И ещё", CompensationForm.PARTIAL_REFUND))
    assert refused.value.reason == "REFUND_LIMIT_EXCEEDED"


async def test_a_settlement_that_would_pass_the_limit_is_refused_in_its_transaction(w: World):
    """The offer was checked when it was made; the settlement counts the refund again with a
    conditional update, so a line refunded meanwhile is never refunded twice."""
    claim_id = await w.claim(quantity=1)
    await w.decide(claim_id, full_refund(ApprovalMode.TAKE_BACK, HandoverMethod.DIRECT_TO_SELLER))
    await w.h.hand_over_item(c.HandOverItem(BUYER, "h", claim_id, HandoverMethod.DIRECT_TO_SELLER))
    purchases = w.repos.purchases
    purchase_id = (await w.h.get_claim(c.GetClaim(BUYER, claim_id))).purchase_id
    # another settlement got in first
    assert await purchases.add_settled(purchase_id, Money(40_000, "RUB"), None, PRICE, POLICY.shipping_per_order_line)
    before, published = await w.h.get_claim(c.GetClaim(BUYER, claim_id)), len(w.uow.published)
    with pytest.raises(FailedPrecondition) as err:
        await w.h.confirm_receipt(c.ConfirmReceipt(SELLER, "c", claim_id, True))
    assert err.value.reason == "REFUND_LIMIT_EXCEEDED" and err.value.metadata["remaining_minor"] == "60000"
    assert await w.h.get_claim(c.GetClaim(BUYER, claim_id)) == before and len(w.uow.published) == published
    assert w.balances.of(REFUNDS) == 0


async def replacement_with_shipping(w: World, purchase_id: str, shipping: int, n: str):
    """A REPLACEMENT the item of which comes back to the seller, reimbursing `shipping`: settled."""
    claim, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, f"open-r{n}", purchase_id, "Не греет", CompensationForm.REPLACEMENT))
    offer = Offer(CompensationForm.REPLACEMENT, None, Money(shipping, "RUB"), HandoverMethod.DIRECT_TO_SELLER)
    await w.decide(claim.claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
    await w.h.hand_over_item(c.HandOverItem(BUYER, f"hand-r{n}", claim.claim_id, HandoverMethod.DIRECT_TO_SELLER))
    return await w.h.confirm_receipt(c.ConfirmReceipt(SELLER, f"conf-r{n}", claim.claim_id, True))


async def test_return_shipping_is_bounded_per_order_line_across_its_claims(w: World):
    """The review's finding: five REPLACEMENT claims on one 2,000 RUB order line each reimbursed
    1,000 RUB of shipping (5,000 RUB). All the claims of a line together reimburse at most the
    policy's maximum per line (by default the maximum per claim)."""
    purchase_id = await w.purchase(quantity=2)
    first = await replacement_with_shipping(w, purchase_id, 100_000, "1")
    assert first.status is ClaimStatus.SETTLED and first.shipping_reimbursed == Money(100_000, "RUB")
    second, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, "open-r2", purchase_id, "Снова", CompensationForm.REPLACEMENT))
    offer = Offer(CompensationForm.REPLACEMENT, None, Money(100_000, "RUB"), HandoverMethod.DIRECT_TO_SELLER)
    with pytest.raises(FailedPrecondition) as err:
        await w.decide(second.claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
    assert err.value.reason == "SHIPPING_LIMIT_EXCEEDED"
    assert {k: err.value.metadata[k] for k in ("purchase_id", "remaining_shipping_minor", "currency_code",
                                               "max_shipping_per_order_line_minor")} == {
        "purchase_id": purchase_id, "remaining_shipping_minor": "0", "currency_code": "RUB", "max_shipping_per_order_line_minor": "100000"}
    await w.decide(second.claim_id, Approve(ApprovalMode.TAKE_BACK, replace(offer, shipping=None)))  # a replacement without shipping
    assert w.balances.of(REFUNDS) == 100_000
    assert w.repos.purchases.items[purchase_id].shipping_reimbursed_minor == 100_000  # type: ignore[attr-defined]
    # A larger maximum per line leaves the rest to the next claims, each still within the maximum per claim.
    w.policy.replace(replace(POLICY, max_shipping_per_order_line_minor=150_000))
    other = await w.purchase(quantity=2)
    await replacement_with_shipping(w, other, 100_000, "3")
    third, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, "open-r4", other, "Снова", CompensationForm.REPLACEMENT))
    with pytest.raises(FailedPrecondition) as err:
        await w.decide(third.claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
    assert err.value.metadata["remaining_shipping_minor"] == "50000" and "500.00 RUB left" in err.value.message


async def test_a_settlement_that_would_pass_the_shipping_limit_is_refused_in_its_transaction(w: World):
    purchase_id = await w.purchase(quantity=1)
    claim, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, "open-s", purchase_id, "Не греет", CompensationForm.REPLACEMENT))
    offer = Offer(CompensationForm.REPLACEMENT, None, Money(80_000, "RUB"), HandoverMethod.DIRECT_TO_SELLER)
    await w.decide(claim.claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
    await w.h.hand_over_item(c.HandOverItem(BUYER, "h", claim.claim_id, HandoverMethod.DIRECT_TO_SELLER))
    # another settlement of the line got in first
    assert await w.repos.purchases.add_settled(purchase_id, None, Money(30_000, "RUB"), PRICE, POLICY.shipping_per_order_line)
    before, published = await w.h.get_claim(c.GetClaim(BUYER, claim.claim_id)), len(w.uow.published)
    with pytest.raises(FailedPrecondition) as err:
        await w.h.confirm_receipt(c.ConfirmReceipt(SELLER, "c", claim.claim_id, True))
    assert err.value.reason == "SHIPPING_LIMIT_EXCEEDED" and err.value.metadata["remaining_shipping_minor"] == "70000"
    assert await w.h.get_claim(c.GetClaim(BUYER, claim.claim_id)) == before and len(w.uow.published) == published
    assert w.balances.of(REFUNDS) == 0


async def test_shipping_is_bounded_by_the_tariff_of_the_return_and_the_maximum_per_claim(w: World):
    claim_id = await w.claim(CompensationForm.REPLACEMENT, quantity=1)
    cases = [  # (shipping, handover) refused: the 50,000,000 RUB, above a tariff, above the maximum
        (Money(5_000_000_000, "RUB"), HandoverMethod.PICKUP_POINT, "50000 minor units (500.00 RUB)"),
        (Money(50_001, "RUB"), HandoverMethod.PICKUP_POINT, "50000 minor units (500.00 RUB)"),
        (Money(100_001, "RUB"), HandoverMethod.DIRECT_TO_SELLER, "100000 minor units (1000.00 RUB)"),
    ]
    for shipping, handover, named in cases:
        offer = Offer(CompensationForm.REPLACEMENT, None, shipping, handover)
        with pytest.raises(InvalidArgument) as err:
            await w.decide(claim_id, Approve(ApprovalMode.TAKE_BACK, offer))
        [violation] = err.value.violations
        assert violation.field == "approve.offer.shipping_reimbursement" and named in violation.description
    w.policy.replace(replace(POLICY, max_shipping_reimbursement_minor=80_000))  # the maximum per claim binds first
    with pytest.raises(InvalidArgument) as err:
        await w.decide(claim_id, Approve(ApprovalMode.TAKE_BACK, Offer(CompensationForm.REPLACEMENT, None, Money(90_000, "RUB"),
                                                                         HandoverMethod.DIRECT_TO_SELLER)))
    assert "80000 minor units" in err.value.violations[0].description
    claim = await w.decide(claim_id, Approve(ApprovalMode.TAKE_BACK, Offer(
        CompensationForm.REPLACEMENT, None, Money(80_000, "RUB"), HandoverMethod.DIRECT_TO_SELLER)))
    assert claim.status is ClaimStatus.AWAITING_HANDOVER and w.balances.of(REFUNDS) == 0


async def test_refund_already_posted_fails_cleanly_and_changes_nothing(w: World):
    claim_id = await w.claim()
    before = await w.h.get_claim(c.GetClaim(BUYER, claim_id))
    # A refund for this claim is already in the ledger (e.g. posted by an earlier run).
    posted = LedgerEntry("x", f"refund:{claim_id}", REFUNDS, 1, EntryKind.REFUND, PRICE, PRICE, claim_id, "", w.clock.now())
    await w.repos.ledger.add([posted])
    published = len(w.uow.published)
    with pytest.raises(FailedPrecondition) as err:
        await w.decide(claim_id, full_refund())
    assert err.value.reason == "REFUND_ALREADY_POSTED"
    assert await w.h.get_claim(c.GetClaim(BUYER, claim_id)) == before
    assert w.balances.of(SHOP) == 200_000 and w.balances.of(REFUNDS) == 0 and len(w.uow.published) == published


async def test_cancel_claim_idempotent_by_request_id_only_the_buyer_not_when_terminal(w: World):
    claim_id = await w.claim()
    for caller in (SELLER, OTHER_BUYER):
        with pytest.raises(PermissionDenied):
            await w.h.cancel_claim(c.CancelClaim(caller, "x", claim_id))
    with pytest.raises(InvalidArgument):
        await w.h.cancel_claim(c.CancelClaim(BUYER, "", claim_id))
    with pytest.raises(InvalidArgument):
        await w.h.cancel_claim(c.CancelClaim(BUYER, "x", claim_id, "x" * 2001))
    claim = await w.h.cancel_claim(c.CancelClaim(BUYER, "x", claim_id, "Нашла чек, сдам в магазин"))
    assert claim.status is ClaimStatus.CANCELLED and claim.notes[-1].text == "Нашла чек, сдам в магазин"
    assert await w.h.cancel_claim(c.CancelClaim(BUYER, "x", claim_id, "Нашла чек, сдам в магазин")) == claim  # a retry
    with pytest.raises(IdempotencyKeyReused) as reused:  # the same request id with another reason
        await w.h.cancel_claim(c.CancelClaim(BUYER, "x", claim_id))
    assert [v.field for v in reused.value.violations] == ["reason"]
    with pytest.raises(FailedPrecondition) as err:
        await w.h.cancel_claim(c.CancelClaim(BUYER, "y", claim_id))
    assert err.value.reason == "CLAIM_WRONG_STATUS"
    changed = w.uow.events_of(events.ClaimStatusChanged)
    assert len(changed) == 1 and changed[0].comment == "Нашла чек, сдам в магазин" and changed[0].changed_by == BUYER


async def test_settled_claim_cannot_be_cancelled_and_a_new_claim_may_follow_a_cancelled_one(w: World):
    claim_id = await w.claim()
    await w.decide(claim_id, full_refund())
    with pytest.raises(FailedPrecondition):
        await w.h.cancel_claim(c.CancelClaim(BUYER, "x", claim_id))
    purchase_id = await w.purchase()
    first, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, "a", purchase_id, "x", CompensationForm.FULL_REFUND))
    await w.h.cancel_claim(c.CancelClaim(BUYER, "x", first.claim_id))
    second, created, _ = await w.h.open_claim(c.OpenClaim(BUYER, "b", purchase_id, "y", CompensationForm.FULL_REFUND))
    assert created and second.claim_id != first.claim_id


# --- overdraft and held refunds --------------------------------------------------------------------


async def in_debt(w: World, amount: int) -> None:
    """The shop owes the marketplace (what a fine does; fines are posted whatever the balance)."""
    await w.balances.apply(BalanceMove(SHOP, Money(-amount, "RUB"), 1), w.clock.now())


async def refund_claim(w: World, amount: int = 100_000, n: str = "") -> str:
    w.clock.advance(dt.timedelta(seconds=1))  # held refunds are paid in the order they were held
    purchase_id = await w.purchase(quantity=1)
    form = CompensationForm.FULL_REFUND if amount == PRICE.amount_minor else CompensationForm.PARTIAL_REFUND
    claim = await settle_no_return(w, purchase_id, form, Money(amount, "RUB"), n or str(next(_ids)))
    assert claim.status is ClaimStatus.SETTLED
    return claim.claim_id


async def test_a_refund_beyond_the_overdraft_is_held_and_paid_oldest_first_when_sales_come(w: World):
    w.policy.replace(replace(POLICY, max_overdraft_minor=50_000))
    for _ in range(2):
        await w.purchase(quantity=1)  # 200,000 of sales...
    await in_debt(w, 220_000)  # ... and a 220,000 debt: the balance is -20,000
    first = await refund_claim(w)  # each purchase adds 100,000 before its refund takes it: -20,000 -> 80,000 -> -20,000
    assert (await w.h.get_claim(c.GetClaim(BUYER, first))).refund_state is RefundState.PAID
    await in_debt(w, 40_000)  # -60,000: below the overdraft already
    held = await refund_claim(w)  # 40,000 after its sale; 40,000 - 100,000 < -50,000: held
    claim = await w.h.get_claim(c.GetClaim(BUYER, held))
    assert claim.status is ClaimStatus.SETTLED and claim.refund_state is RefundState.PENDING_FUNDS
    assert claim.refund_held == PRICE and claim.refunded == PRICE and claim.refund_paid_at is None
    assert [e.claim_id for e in w.uow.events_of(events.RefundIssued)] == [first], "nothing is paid for the held refund"
    balance = await w.h.get_balance(c.GetBalance(SELLER))
    assert (balance.current, balance.held_refunds, balance.debt, balance.available_for_withdrawal) == (
        Money(40_000, "RUB"), PRICE, Money(0, "RUB"), Money(0, "RUB"))
    assert balance.overdraft_limit == Money(50_000, "RUB")
    # A younger, smaller refund the balance could pay waits behind the older one.
    younger = await refund_claim(w, 30_000)  # its sale: 140,000; 140,000 - 30,000 would do, but the older one waits
    assert (await w.h.get_claim(c.GetClaim(BUYER, younger))).refund_state is RefundState.PENDING_FUNDS
    w.clock.advance(dt.timedelta(minutes=1))
    assert await w.h.pay_held_refunds(c.PayHeldRefunds(batch_size=1)) == 2  # 140,000 - 100,000 - 30,000 = 10,000
    for claim_id in (held, younger):
        paid = await w.h.get_claim(c.GetClaim(BUYER, claim_id))
        assert paid.refund_state is RefundState.PAID and paid.refund_held is None and paid.refund_paid_at == w.clock.now()
    issued = w.uow.events_of(events.RefundIssued)
    assert [(e.claim_id, e.refund.amount_minor) for e in issued[1:]] == [(held, 100_000), (younger, 30_000)]
    balance = await w.h.get_balance(c.GetBalance(SELLER))
    assert (balance.current, balance.held_refunds, balance.available_for_withdrawal) == (Money(10_000, "RUB"), Money(0, "RUB"),
                                                                                         Money(10_000, "RUB"))
    assert w.balances.of(REFUNDS) == 230_000 and await w.h.pay_held_refunds(c.PayHeldRefunds()) == 0


async def test_held_refunds_wait_for_funds_and_the_oldest_blocks_the_younger(w: World):
    w.policy.replace(replace(POLICY, max_overdraft_minor=0))
    await in_debt(w, 150_000)
    old = await refund_claim(w)  # -50,000 after its sale: held
    young = await refund_claim(w, 10_000)  # +50,000 after its sale; waits behind the older one
    assert await w.h.pay_held_refunds(c.PayHeldRefunds()) == 0, "the oldest cannot be paid, so neither is the younger"
    assert w.balances.of(SHOP) == 50_000 and w.balances.held_of(SHOP) == 110_000 and w.balances.held_count[SHOP] == 2
    await w.purchase(quantity=1)  # 150,000
    assert await w.h.pay_held_refunds(c.PayHeldRefunds()) == 2
    assert w.balances.of(SHOP) == 40_000 and w.balances.held_of(SHOP) == 0 and w.balances.held_count[SHOP] == 0
    changes = [e for e in w.uow.events_of(events.BalanceChanged) if e.posting_id in (f"refund:{old}", f"refund:{young}")]
    assert [(e.balance.amount_minor, e.held.amount_minor if e.held else None) for e in changes] == [(50_000, 10_000), (40_000, 0)]


# --- balances ---------------------------------------------------------------------------------


async def test_balance_and_ledger_access_and_paging(w: World):
    for _ in range(3):
        await w.purchase()
    with pytest.raises(PermissionDenied):
        await w.h.get_balance(c.GetBalance(SELLER, "s2"))
    with pytest.raises(PermissionDenied):
        await w.h.list_ledger_entries(c.ListLedgerEntries(BUYER, "s1"))
    with pytest.raises(InvalidArgument):
        await w.h.get_balance(c.GetBalance(SUPPORT, ""))
    assert (await w.h.get_balance(c.GetBalance(SUPPORT, "s1"))).available == Money(600_000, "RUB")
    assert (await w.h.get_balance(c.GetBalance(SUPPORT, "empty"))).available == Money(0, "RUB")
    seqs, token = [], ""
    while True:
        entries, token = await w.h.list_ledger_entries(c.ListLedgerEntries(SELLER, "", 1, token))
        seqs += [e.seq for e in entries]
        if not token:
            break
    assert seqs == [3, 2, 1]
    with pytest.raises(InvalidArgument):
        await w.h.list_ledger_entries(c.ListLedgerEntries(SELLER, "", 1, "eyJzZXEiOiJ4In0"))


async def test_a_held_refund_that_fails_to_be_paid_blocks_its_shops_younger_ones_for_the_scan(w: World, monkeypatch):
    """The review's finding: the oldest held refund's payment failed (a write conflict) and the
    same scan paid the shop's younger refunds before it. A failure blocks the shop like a lack
    of funds; other shops are paid; the next scan pays the shop oldest first."""
    w.policy.replace(replace(POLICY, max_overdraft_minor=0))
    await in_debt(w, 150_000)
    old = await refund_claim(w)  # held
    young = await refund_claim(w, 10_000)  # held behind it
    await w.balances.apply(BalanceMove(Account.shop("s2"), Money(-100_000, "RUB"), 1), w.clock.now())
    w.clock.advance(dt.timedelta(seconds=1))
    other_purchase = await w.purchase(shop="s2", quantity=1)  # s2: 0 after its sale
    opened, _, _ = await w.h.open_claim(c.OpenClaim(BUYER, "open-other", other_purchase, "Не греет", CompensationForm.FULL_REFUND))
    other = (await w.decide(opened.claim_id, full_refund(), caller=OTHER_SELLER)).claim_id  # s2: held
    assert {(await w.h.get_claim(c.GetClaim(SUPPORT, i))).refund_state for i in (old, young, other)} == {RefundState.PENDING_FUNDS}
    await w.purchase(quantity=1)  # s1: enough for both
    await w.balances.apply(BalanceMove(Account.shop("s2"), Money(100_000, "RUB"), 1), w.clock.now())  # s2: enough
    save = w.repos.claims.save

    async def conflicting(claim, expected_version):
        if claim.claim_id == old:
            raise Aborted("claim changed concurrently", reason="CLAIM_CONCURRENT_UPDATE")
        await save(claim, expected_version)

    monkeypatch.setattr(w.repos.claims, "save", conflicting)
    assert await w.h.pay_held_refunds(c.PayHeldRefunds(batch_size=1)) == 1  # only the other shop's
    states = {i: (await w.h.get_claim(c.GetClaim(SUPPORT, i))).refund_state for i in (old, young, other)}
    assert states == {old: RefundState.PENDING_FUNDS, young: RefundState.PENDING_FUNDS, other: RefundState.PAID}
    monkeypatch.setattr(w.repos.claims, "save", save)
    assert await w.h.pay_held_refunds(c.PayHeldRefunds(batch_size=1)) == 2
    paid = [e.claim_id for e in w.uow.events_of(events.RefundIssued)]
    assert paid.index(old) < paid.index(young)
