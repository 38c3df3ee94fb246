import datetime as dt

import pytest

from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.returns.domain import model
from services.returns.domain.ledger import Entry, EntryKind, Money, Posting, refund_posting, sale_posting
from services.returns.domain.model import (
    ApprovalMode,
    ClaimStatus,
    CompensationForm,
    HandoverMethod,
    Offer,
    Purchase,
    RejectionReason,
    ReturnsPolicy,
)

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
POLICY = ReturnsPolicy("t", "RUB", 14, 730, 10, 2000, 3)
BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u1", Role.SELLER, "s1")
PRICE = Money(249_990, "RUB")


def purchase(days_ago: int = 30, quantity: int = 1) -> Purchase:
    return Purchase("p1", "o1", "sku", "Чайник", "b1", "s1", PRICE, quantity, NOW - dt.timedelta(days=days_ago))


def claim(form=CompensationForm.FULL_REFUND, **kw):
    args = dict(claim_id="c1", purchase=purchase(), caller=BUYER, description="Не греет", photo_ids=[], video_id="",
                requested_form=form, quantity=1, thread_id="", defect_found_at=None, now=NOW, policy=POLICY)
    args.update(kw)
    return model.open_claim(**args)


def test_postings_must_balance():
    with pytest.raises(ValueError):
        Posting("x", (Entry("a", Money(100, "RUB"), EntryKind.SALE), Entry("b", Money(-99, "RUB"), EntryKind.SALE)))
    refund = refund_posting("c1", "p1", "s1", "b1", PRICE, Money(30_000, "RUB"))
    assert sum(e.amount.amount_minor for e in refund.entries) == 0
    assert sum(e.amount.amount_minor for e in refund.entries if e.account == "shop:s1") == -279_990
    assert sale_posting("p1", "s1", PRICE).posting_id == "sale:p1"


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(10.5, "RUB")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "RUB") + Money(1, "USD")


def test_fourteen_day_rule_and_warranty_horizon():
    with pytest.raises(FailedPrecondition) as err:
        claim(purchase=purchase(days_ago=13))
    assert err.value.reason == "CLAIM_TOO_EARLY"
    with pytest.raises(FailedPrecondition) as err:
        claim(purchase=purchase(days_ago=800))
    assert err.value.reason == "CLAIM_TOO_LATE"
    assert claim(purchase=purchase(days_ago=14)).status is ClaimStatus.AWAITING_SELLER


def test_only_the_buyer_opens_and_input_is_bounded():
    with pytest.raises(PermissionDenied):
        claim(caller=Identity("b2", Role.BUYER))
    with pytest.raises(InvalidArgument) as err:
        claim(description="", photo_ids=[f"p{i}" for i in range(11)], quantity=2, requested_form=None)
    assert {v.field for v in err.value.violations} == {"description", "photo_ids", "quantity", "requested_form"}


def test_full_refund_without_return_settles_at_once_with_the_price_paid():
    t = model.approve(claim(), SELLER, ApprovalMode.NO_RETURN, Offer(CompensationForm.FULL_REFUND, PRICE, None, None), NOW)
    assert t.claim.status is ClaimStatus.SETTLED and t.claim.refunded == PRICE
    assert t.posting is not None and t.posting.posting_id == "refund:c1"


def test_refund_amount_is_checked_against_the_price():
    c = claim()
    for amount, field in ((Money(300_000, "RUB"), "approve.offer.refund_amount"), (Money(1, "USD"), "approve.offer.refund_amount.currency_code"),
                          (Money(100, "RUB"), "approve.offer.refund_amount")):
        with pytest.raises(InvalidArgument) as err:
            model.approve(c, SELLER, ApprovalMode.NO_RETURN, Offer(CompensationForm.FULL_REFUND, amount, None, None), NOW)
        assert err.value.violations[0].field == field


def test_take_back_goes_through_agreement_handover_and_receipt():
    c = claim(form=CompensationForm.REPLACEMENT)
    offer = Offer(CompensationForm.FULL_REFUND, PRICE, Money(25_000, "RUB"), HandoverMethod.PICKUP_POINT)
    t = model.approve(c, SELLER, ApprovalMode.TAKE_BACK, offer, NOW)
    assert t.claim.status is ClaimStatus.AWAITING_BUYER and t.posting is None  # buyer asked for another form
    t = model.respond_to_offer(t.claim, BUYER, True, NOW)
    assert t.claim.status is ClaimStatus.AWAITING_HANDOVER
    with pytest.raises(InvalidArgument):
        model.hand_over(t.claim, BUYER, HandoverMethod.PICKUP_POINT, "", NOW)
    t = model.hand_over(t.claim, BUYER, HandoverMethod.PICKUP_POINT, "pvz-17", NOW)
    with pytest.raises(PermissionDenied):
        model.confirm_receipt(t.claim, BUYER, True, "", NOW)
    t = model.confirm_receipt(t.claim, SELLER, True, "", NOW)
    assert t.claim.status is ClaimStatus.SETTLED and t.claim.refunded == Money(274_990, "RUB")


def test_defect_check_that_finds_nothing_rejects_without_money():
    c = claim()
    t = model.approve(c, SELLER, ApprovalMode.DEFECT_CHECK, Offer(CompensationForm.FULL_REFUND, PRICE, None, HandoverMethod.DIRECT_TO_SELLER), NOW)
    t = model.hand_over(t.claim, BUYER, HandoverMethod.DIRECT_TO_SELLER, "", NOW)
    t = model.confirm_receipt(t.claim, SELLER, False, "Дефект не подтвердился", NOW)
    assert t.claim.status is ClaimStatus.REJECTED and t.posting is None
    assert t.claim.rejection_reason is RejectionReason.DEFECT_NOT_FOUND


def test_rejection_reconsideration_and_its_limit():
    c = claim()
    with pytest.raises(InvalidArgument):
        model.reject(c, SELLER, RejectionReason.OTHER, " ", NOW)
    t = model.reject(c, SELLER, RejectionReason.NEED_PHOTO_OR_VIDEO, "", NOW)
    for _ in range(POLICY.max_reconsiderations):
        t = model.reconsider(t.claim, BUYER, ["photo1"], "", NOW, POLICY)
        assert t.claim.status is ClaimStatus.AWAITING_SELLER
        t = model.reject(t.claim, SELLER, RejectionReason.GO_TO_SERVICE_CENTRE, "", NOW)
    with pytest.raises(FailedPrecondition) as err:
        model.reconsider(t.claim, BUYER, [], "", NOW, POLICY)
    assert err.value.reason == "RECONSIDERATION_LIMIT"


def test_wrong_status_and_cancellation():
    c = claim()
    with pytest.raises(FailedPrecondition) as err:
        model.respond_to_offer(c, BUYER, True, NOW)
    assert err.value.reason == "CLAIM_WRONG_STATUS"
    t = model.cancel(c, BUYER, NOW)
    assert t.claim.status is ClaimStatus.CANCELLED
    with pytest.raises(FailedPrecondition):
        model.cancel(t.claim, BUYER, NOW)
