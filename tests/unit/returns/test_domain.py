"""The returns domain without any I/O: ledger, claim lifecycle, access, events."""
import datetime as dt
from dataclasses import replace

import pytest

from prilavok_platform.errors import Aborted, FailedPrecondition, InvalidArgument, PermissionDenied
from prilavok_platform.idempotency import IdempotencyKeyReused
from prilavok_platform.identity import Identity, Party, Role
from services.returns.domain import access, commands, events, model, moves
from services.returns.domain.access import ClaimAction
from services.returns.domain.ledger import (
    Account,
    BalanceAfter,
    BalanceMove,
    Entry,
    EntryKind,
    Money,
    Posting,
    balance_moves,
    ledger_entry,
    refund_posting,
    require_not_posted,
    sale_posting,
    stored_entries,
)
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
# A marketplace that reimburses shipping even when nothing comes back (by default it does not).
SHIPS_WITHOUT_RETURN = replace(POLICY, shipping_tariff_minor=(("PICKUP_POINT", 50_000), ("DIRECT_TO_SELLER", 100_000),
                                                              ("WITHOUT_RETURN", 10_000)))
BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u1", Role.SELLER, "s1")
PRICE = Money(249_990, "RUB")


def purchase(days_ago: int = 30, quantity: int = 1) -> Purchase:
    return Purchase("p1", "o1", "sku", "Чайник", "b1", "s1", PRICE, quantity, NOW - dt.timedelta(days=days_ago))


def claim(form=CompensationForm.FULL_REFUND, **kw):
    args = dict(claim_id="c1", purchase=purchase(), description="Не греет", photo_ids=(), video_id="",
                requested_form=form, quantity=1, thread_id="", defect_found_at=None, open_claim_exists=False, now=NOW, policy=POLICY)
    args.update(kw)
    return model.open_claim(**args)


# --- ledger -----------------------------------------------------------------------------------


def test_postings_must_balance_and_accounts_keep_their_stored_form():
    with pytest.raises(ValueError):
        Posting("x", (Entry(Account.shop("a"), Money(100, "RUB"), EntryKind.SALE),
                      Entry(Account.clearing(), Money(-99, "RUB"), EntryKind.SALE)))
    refund = refund_posting("c1", "p1", "s1", "b1", PRICE, Money(30_000, "RUB"))
    assert sum(e.amount.amount_minor for e in refund.entries) == 0
    assert refund.total_to(Account.shop("s1")) == Money(-279_990, "RUB")
    assert refund.total_to(Account.buyer_refunds("b1"), EntryKind.REFUND) == PRICE
    assert refund.total_to(Account.buyer_refunds("b1"), EntryKind.SHIPPING_REIMBURSEMENT) == Money(30_000, "RUB")
    assert refund.total_to(Account.buyer_refunds("b1")) == Money(279_990, "RUB")
    assert sale_posting("p1", "s1", PRICE).posting_id == "sale:p1"
    accounts = [Account.shop("s1"), Account.buyer_refunds("b1"), Account.clearing(), Account.fines_income()]
    assert [a.key for a in accounts] == ["shop:s1", "buyer_refunds:b1", "marketplace:clearing", "marketplace:fines"]
    assert [Account.parse(a.key) for a in accounts] == accounts
    assert [a.has_balance for a in accounts] == [True, True, False, False]
    for bad in ("marketplace:x", "shop:", "nope:1", ""):
        with pytest.raises(ValueError):
            Account.parse(bad)
    assert Account.shop("s1").shop_party == Party.shop("s1") and Account.buyer_refunds("b1").shop_party is None


def test_a_posting_moves_each_balance_once_and_numbers_its_entries_from_where_the_balance_ends():
    posting = refund_posting("c1", "p1", "s1", "b1", PRICE, Money(30_000, "RUB"))
    shop, buyer = Account.shop("s1"), Account.buyer_refunds("b1")
    assert balance_moves(posting) == [BalanceMove(shop, Money(-279_990, "RUB"), 2), BalanceMove(buyer, Money(279_990, "RUB"), 2)]
    after = {shop: BalanceAfter(Money(20_010, "RUB"), 7), buyer: BalanceAfter(Money(279_990, "RUB"), 2)}
    stored = stored_entries(posting, after, NOW)
    assert [(e.account, e.seq, e.amount.amount_minor, e.balance_after) for e in stored] == [
        (shop, 6, -249_990, Money(50_010, "RUB")), (buyer, 1, 249_990, Money(249_990, "RUB")),
        (shop, 7, -30_000, Money(20_010, "RUB")), (buyer, 2, 30_000, Money(279_990, "RUB"))]
    # The marketplace's side of a sale: an entry without a number or a balance, and no balance move.
    sale = sale_posting("p1", "s1", PRICE)
    assert balance_moves(sale) == [BalanceMove(shop, PRICE, 1)]
    clearing = [e for e in stored_entries(sale, {shop: BalanceAfter(PRICE, 1)}, NOW) if e.account == Account.clearing()]
    assert [(e.seq, e.balance_after, e.amount) for e in clearing] == [(0, None, -PRICE)]


def test_a_settlement_posting_has_no_zero_lines():
    shipping_only = refund_posting("c1", "p1", "s1", "b1", None, Money(15_000, "RUB"))
    assert {e.kind for e in shipping_only.entries} == {EntryKind.SHIPPING_REIMBURSEMENT}
    assert refund_posting("c1", "p1", "s1", "b1", Money(0, "RUB"), Money(15_000, "RUB")).entries == shipping_only.entries
    refund_only = refund_posting("c1", "p1", "s1", "b1", PRICE, Money(0, "RUB"))
    assert {e.kind for e in refund_only.entries} == {EntryKind.REFUND}
    with pytest.raises(ValueError):  # nothing to pay is no posting at all
        refund_posting("c1", "p1", "s1", "b1", None, None)


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(10.5, "RUB")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "RUB") + Money(1, "USD")


def test_a_posting_applied_again_is_refused():
    posting = refund_posting("c1", "p1", "s1", "b1", PRICE, None)
    require_not_posted(posting, already_posted=False)
    with pytest.raises(FailedPrecondition) as err:
        require_not_posted(posting, already_posted=True)
    assert err.value.reason == "REFUND_ALREADY_POSTED"


def test_balance_changes_are_told_for_shop_accounts_only():
    posting = refund_posting("c1", "p1", "s1", "b1", PRICE, None)
    entries = tuple(ledger_entry(posting, e, 1, e.amount, NOW) for e in posting.entries)
    changes = model.balance_changes(entries)
    assert changes == [events.BalanceChanged(Party.shop("s1"), -PRICE, -PRICE, "refund:c1", NOW)]


# --- opening ----------------------------------------------------------------------------------


def test_fourteen_day_rule_and_warranty_horizon():
    with pytest.raises(FailedPrecondition) as err:
        claim(purchase=purchase(days_ago=13))
    assert err.value.reason == "CLAIM_TOO_EARLY"
    with pytest.raises(FailedPrecondition) as err:
        claim(purchase=purchase(days_ago=800))
    assert err.value.reason == "CLAIM_TOO_LATE"
    assert claim(purchase=purchase(days_ago=14)).status is ClaimStatus.AWAITING_SELLER


def test_one_open_claim_per_purchase():
    with pytest.raises(FailedPrecondition) as err:
        claim(open_claim_exists=True)
    assert err.value.reason == "CLAIM_ALREADY_OPEN"


def test_input_is_bounded():
    with pytest.raises(InvalidArgument) as err:
        claim(description="", photo_ids=tuple(f"p{i}" for i in range(11)), quantity=2, requested_form=None)
    assert {v.field for v in err.value.violations} == {"description", "photo_ids", "quantity", "requested_form"}


SERVICE = Identity("orders", Role.SERVICE)


def new_purchase(**kw):
    args = dict(caller=SERVICE, request_id="r1", order_id="o1", item_id="sku", item_name="Чайник", buyer_id="b1", shop_id="s1",
                price=PRICE, quantity=2, paid_at=NOW - dt.timedelta(days=1), delivered_at=None, now=NOW, policy=POLICY)
    args.update(kw)
    return model.new_purchase(**args)


def test_new_purchase_checks_price_currency_quantity_and_payment_time():
    with pytest.raises(InvalidArgument) as err:
        new_purchase(request_id="", price=Money(100, "USD"), quantity=-1, paid_at=NOW + dt.timedelta(hours=1))
    assert {v.field for v in err.value.violations} == {
        "request_id", "purchase.price.currency_code", "purchase.quantity", "purchase.paid_at"}
    p = new_purchase()
    assert p.purchase_id == model.purchase_id_for("o1", "sku") and p.sale().total_to(Account.shop("s1")) == PRICE.times(2)


def test_a_quantity_left_out_means_one_item_for_purchases_and_claims():
    assert new_purchase(quantity=0).quantity == 1 == model.DEFAULT_QUANTITY
    assert new_purchase(quantity=0).fingerprint == new_purchase(quantity=1).fingerprint
    assert claim(quantity=0).quantity == 1


def test_request_keys_are_per_caller_and_unambiguous():
    assert model.request_key(SERVICE, "r1") == model.request_key(Identity("orders", Role.SERVICE), "r1")
    assert model.request_key(SERVICE, "r1") != model.request_key(Identity("orders", Role.SUPPORT), "r1")
    # Ids may hold ':'; the key of ("a:b", "c") is not the key of ("a", "b:c").
    assert model.request_key(Identity("a:b", Role.SERVICE), "c") != model.request_key(Identity("a", Role.SERVICE), "b:c")


def test_recording_a_purchase_once_per_order_line():
    first = new_purchase()
    assert model.record_purchase(first, None, None, "r1") == (first, True, False)
    # A retry under the same request id gets what that request answered: created, replayed ...
    retry = new_purchase(paid_at=first.paid_at + dt.timedelta(microseconds=300))
    assert model.record_purchase(retry, first, None, "r1") == (first, True, True)
    assert model.record_purchase(retry, replace(first, refunded_minor=5, shipping_reimbursed_minor=7), None, "r1").purchase == first
    # ... and the same request id with another purchase is refused, naming what differs.
    with pytest.raises(IdempotencyKeyReused) as reused:
        model.record_purchase(new_purchase(quantity=3, shop_id="s9"), first, None, "r1")
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert [v.field for v in reused.value.violations] == ["purchase.shop_id", "purchase.quantity"]
    assert model.record_purchase(new_purchase(quantity=3), replace(first, fingerprint=()), None, "r1")[0].quantity == 2  # legacy: any
    # The same order line with the same values under another request id: the stored purchase.
    other_request = new_purchase(request_id="r2", paid_at=first.paid_at + dt.timedelta(microseconds=300))
    assert model.record_purchase(other_request, None, first, "r2") == (first, False, False)
    # ... with other values: ALREADY_EXISTS naming each field that differs.
    with pytest.raises(model.PurchaseAlreadyRecorded) as err:
        model.record_purchase(new_purchase(request_id="r2", quantity=3, price=Money(1, "RUB")), None, first, "r2")
    assert err.value.code == "ALREADY_EXISTS" and err.value.reason == "PURCHASE_ALREADY_RECORDED"
    assert err.value.metadata == {"purchase_id": first.purchase_id, "fields": "purchase.price,purchase.quantity"}


def test_a_purchase_stored_before_fingerprints_is_compared_by_its_fields():
    legacy = replace(new_purchase(), paid_at=dt.datetime(2026, 11, 1, 10, 0, 0, 123_000), request_key="", fingerprint=())
    again = new_purchase(request_id="r9", paid_at=dt.datetime(2026, 11, 1, 10, 0, 0, 123_456, tzinfo=dt.UTC))
    assert model.record_purchase(again, None, legacy, "r9") == (legacy, False, False)  # naive UTC, kept to the millisecond
    assert model.differing_fields(legacy, replace(again, item_name="Утюг", fingerprint=())) == ["item_name"]


# --- access -----------------------------------------------------------------------------------


def test_who_may_do_what():
    c = claim()
    other_buyer, other_seller = Identity("b2", Role.BUYER), Identity("u2", Role.SELLER, "s2")
    for action in ClaimAction:
        allowed = SELLER if action in access.SELLER_ACTIONS else BUYER
        denied = BUYER if allowed is SELLER else SELLER
        access.require_may(action, allowed, c)
        for caller in (denied, other_buyer, other_seller, Identity("a", Role.SUPPORT)):
            with pytest.raises(PermissionDenied):
                access.require_may(action, caller, c)
    for caller in (BUYER, SELLER, Identity("a", Role.SUPPORT), Identity("m", Role.MODERATOR)):
        access.require_claim_visible(caller, c)
        access.require_purchase_visible(caller, purchase())
    for caller in (other_buyer, other_seller):
        with pytest.raises(PermissionDenied):
            access.require_claim_visible(caller, c)
        with pytest.raises(PermissionDenied):
            access.require_purchase_visible(caller, purchase())
    with pytest.raises(PermissionDenied):
        access.require_may_open_claim(other_buyer, purchase())
    access.require_may_record_purchase(SERVICE, ("orders",))
    for caller in (BUYER, Identity("a", Role.SUPPORT), Identity("chat", Role.SERVICE)):
        with pytest.raises(PermissionDenied):
            access.require_may_record_purchase(caller, ("orders",))


def test_list_scope_and_balance_shop():
    assert access.claim_scope(BUYER) == access.ClaimScope(buyer_id="b1")
    assert access.claim_scope(SELLER) == access.ClaimScope(shop_id="s1")
    assert access.claim_scope(Identity("a", Role.SUPPORT)) == access.ClaimScope()
    assert access.balance_shop(SELLER, "") == "s1"
    with pytest.raises(PermissionDenied):
        access.balance_shop(SELLER, "s2")
    with pytest.raises(PermissionDenied):
        access.balance_shop(BUYER, "s1")
    with pytest.raises(InvalidArgument):
        access.balance_shop(Identity("a", Role.SUPPORT), "")


# --- the lifecycle ----------------------------------------------------------------------------


def test_full_refund_without_return_settles_at_once_with_the_price_paid():
    t = model.approve(claim(), SELLER, ApprovalMode.NO_RETURN, Offer(CompensationForm.FULL_REFUND, PRICE, None, None), NOW, POLICY, purchase())
    assert t.claim.status is ClaimStatus.SETTLED and t.claim.refunded == PRICE
    assert t.posting is not None and t.posting.posting_id == "refund:c1"
    emitted = t.emitted(())
    assert [type(e) for e in emitted] == [events.ClaimStatusChanged, events.RefundIssued]
    assert emitted[1] == events.RefundIssued("c1", "b1", "s1", PRICE, Money(0, "RUB"), "refund:c1", NOW)
    assert emitted[1].total == PRICE and t.claim.shipping_reimbursed is None


def test_refund_amount_is_checked_against_the_price():
    c = claim()
    for amount, field in ((Money(300_000, "RUB"), "approve.offer.refund_amount"), (Money(1, "USD"), "approve.offer.refund_amount.currency_code"),
                          (Money(100, "RUB"), "approve.offer.refund_amount")):
        with pytest.raises(InvalidArgument) as err:
            model.approve(c, SELLER, ApprovalMode.NO_RETURN, Offer(CompensationForm.FULL_REFUND, amount, None, None), NOW, POLICY, purchase())
        assert err.value.violations[0].field == field
    with pytest.raises(InvalidArgument) as err:
        model.approve(c, SELLER, None, None, NOW, POLICY, purchase())
    assert {v.field for v in err.value.violations} == {"approve.mode", "approve.offer.form"}


def test_take_back_goes_through_agreement_handover_and_receipt():
    c = claim(form=CompensationForm.REPLACEMENT)
    offer = Offer(CompensationForm.FULL_REFUND, PRICE, Money(25_000, "RUB"), HandoverMethod.PICKUP_POINT)
    t = model.approve(c, SELLER, ApprovalMode.TAKE_BACK, offer, NOW, POLICY, purchase())
    assert t.claim.status is ClaimStatus.AWAITING_BUYER and t.posting is None  # buyer asked for another form
    t = model.respond_to_offer(t.claim, BUYER, True, "Согласен", NOW)
    assert t.claim.status is ClaimStatus.AWAITING_HANDOVER
    with pytest.raises(InvalidArgument):
        model.hand_over(t.claim, BUYER, HandoverMethod.PICKUP_POINT, "", NOW)
    with pytest.raises(InvalidArgument) as bad:
        model.hand_over(t.claim, BUYER, HandoverMethod.DIRECT_TO_SELLER, "pvz-17", NOW)
    assert bad.value.violations[0].field == "pickup_point_id"
    with pytest.raises(FailedPrecondition) as err:  # agreed: a pickup point
        model.hand_over(t.claim, BUYER, HandoverMethod.DIRECT_TO_SELLER, "", NOW)
    assert err.value.reason == "HANDOVER_NOT_AS_AGREED" and err.value.metadata == {"agreed": "PICKUP_POINT"}
    t = model.hand_over(t.claim, BUYER, HandoverMethod.PICKUP_POINT, "pvz-17", NOW)
    assert t.claim.status is ClaimStatus.ITEM_IN_TRANSIT and t.claim.pickup_point_id == "pvz-17"
    t = model.confirm_receipt(t.claim, SELLER, True, "", NOW)
    assert t.claim.status is ClaimStatus.SETTLED and t.claim.refunded == PRICE
    assert t.claim.shipping_reimbursed == Money(25_000, "RUB")
    issued = [e for e in t.emitted(()) if isinstance(e, events.RefundIssued)]
    assert [(e.refund, e.shipping, e.total) for e in issued] == [(PRICE, Money(25_000, "RUB"), Money(274_990, "RUB"))]
    assert [n.text for n in t.claim.notes] == ["Согласен"]


def test_shipping_alone_is_reimbursed_for_a_replacement():
    c = claim(form=CompensationForm.REPLACEMENT)
    offer = Offer(CompensationForm.REPLACEMENT, None, Money(15_000, "RUB"), HandoverMethod.DIRECT_TO_SELLER)
    t = model.approve(c, SELLER, ApprovalMode.TAKE_BACK, offer, NOW, POLICY, purchase())
    assert t.claim.status is ClaimStatus.AWAITING_HANDOVER
    t = model.hand_over(t.claim, BUYER, HandoverMethod.DIRECT_TO_SELLER, "", NOW)
    t = model.confirm_receipt(t.claim, SELLER, True, "", NOW)
    assert t.claim.refunded is None and t.claim.shipping_reimbursed == Money(15_000, "RUB")
    assert t.posting is not None and {e.kind for e in t.posting.entries} == {EntryKind.SHIPPING_REIMBURSEMENT}
    assert t.posting.total_to(Account.buyer_refunds("b1")) == Money(15_000, "RUB")
    issued = [e for e in t.emitted(()) if isinstance(e, events.RefundIssued)]
    assert [(e.refund, e.shipping) for e in issued] == [(Money(0, "RUB"), Money(15_000, "RUB"))]


def test_a_missing_part_settles_with_the_shipping_alone_and_no_refund():
    c = claim(form=CompensationForm.MISSING_PART)
    offer = Offer(CompensationForm.MISSING_PART, None, Money(9_000, "RUB"), None)
    with pytest.raises(InvalidArgument) as err:  # the default policy: nothing comes back, no shipping to reimburse
        model.approve(c, SELLER, ApprovalMode.NO_RETURN, offer, NOW, POLICY, purchase())
    assert err.value.violations[0].field == "approve.offer.shipping_reimbursement"
    t = model.approve(c, SELLER, ApprovalMode.NO_RETURN, offer, NOW, SHIPS_WITHOUT_RETURN, purchase())
    assert t.claim.status is ClaimStatus.SETTLED
    assert t.claim.refunded is None and t.claim.shipping_reimbursed == Money(9_000, "RUB")
    assert t.posting is not None and [(e.account.key, e.kind, e.amount.amount_minor) for e in t.posting.entries] == [
        ("shop:s1", EntryKind.SHIPPING_REIMBURSEMENT, -9_000), ("buyer_refunds:b1", EntryKind.SHIPPING_REIMBURSEMENT, 9_000)]
    # Without shipping a missing part moves no money at all.
    plain = model.approve(c, SELLER, ApprovalMode.NO_RETURN, Offer(CompensationForm.MISSING_PART, None, None, None), NOW, POLICY, purchase())
    assert plain.posting is None and plain.claim.refunded is None and plain.claim.shipping_reimbursed is None
    assert [type(e) for e in plain.emitted(())] == [events.ClaimStatusChanged]


def test_defect_check_that_finds_nothing_rejects_without_money():
    c = claim()
    offer = Offer(CompensationForm.FULL_REFUND, PRICE, None, HandoverMethod.DIRECT_TO_SELLER)
    t = model.approve(c, SELLER, ApprovalMode.DEFECT_CHECK, offer, NOW, POLICY, purchase())
    t = model.hand_over(t.claim, BUYER, HandoverMethod.DIRECT_TO_SELLER, "", NOW)
    t = model.confirm_receipt(t.claim, SELLER, False, "Дефект не подтвердился", NOW)
    assert t.claim.status is ClaimStatus.REJECTED and t.posting is None
    assert t.claim.rejection_reason is RejectionReason.DEFECT_NOT_FOUND
    assert t.claim.notes[-1].author == Party.shop("s1") and t.comment == "Дефект не подтвердился"


def test_rejection_reconsideration_and_its_limit():
    c = claim()
    with pytest.raises(InvalidArgument):
        model.reject(c, SELLER, RejectionReason.OTHER, " ", NOW)
    t = model.reject(c, SELLER, RejectionReason.NEED_PHOTO_OR_VIDEO, "", NOW)
    for _ in range(POLICY.max_reconsiderations):
        t = model.reconsider(t.claim, BUYER, "Вот фото", ("photo1",), "", NOW, POLICY)
        assert t.claim.status is ClaimStatus.AWAITING_SELLER
        t = model.reject(t.claim, SELLER, RejectionReason.GO_TO_SERVICE_CENTRE, "", NOW)
    with pytest.raises(FailedPrecondition) as err:
        model.reconsider(t.claim, BUYER, "", (), "", NOW, POLICY)
    assert err.value.reason == "RECONSIDERATION_LIMIT"


def test_comments_are_kept_as_notes_bounded_and_carried_in_the_event():
    c = claim()
    with pytest.raises(InvalidArgument) as err:
        model.cancel(c, BUYER, "x" * (model.MAX_COMMENT_CHARS + 1), NOW)
    assert err.value.violations[0].field == "reason"
    t = model.cancel(c, BUYER, "  Передумал  ", NOW)
    assert t.claim.notes == (model.ClaimNote(Party.user("b1"), "Передумал", ClaimStatus.CANCELLED, NOW),)
    changed = t.emitted()[0]
    assert isinstance(changed, events.ClaimStatusChanged) and changed.comment == "Передумал"
    assert changed.previous is ClaimStatus.AWAITING_SELLER and changed.changed_by == BUYER
    # Only the last notes are kept.
    many = c
    for i in range(model.NOTES_KEPT + 5):
        many = model._move(many, BUYER, NOW, f"n{i}").claim
    assert len(many.notes) == model.NOTES_KEPT and many.notes[-1].text == f"n{model.NOTES_KEPT + 4}"


def test_wrong_status_and_cancellation():
    c = claim()
    with pytest.raises(FailedPrecondition) as err:
        model.respond_to_offer(c, BUYER, True, "", NOW)
    assert err.value.reason == "CLAIM_WRONG_STATUS"
    t = model.cancel(c, BUYER, "", NOW)
    assert t.claim.status is ClaimStatus.CANCELLED and not t.claim.is_open
    with pytest.raises(FailedPrecondition):
        model.cancel(t.claim, BUYER, "", NOW)


def test_version_check_and_applied_requests():
    c = claim()
    c.require_version(0)
    t = model.stamp_move(c, model.cancel(c, BUYER, "", NOW))
    assert t.claim.version == 1 and not t.claim.has_applied("buyer:b1:r1")
    assert replace(c, applied_requests=("buyer:b1:r1",)).has_applied("buyer:b1:r1")  # kept by earlier versions
    t.claim.require_version(1)
    with pytest.raises(Aborted) as err:
        t.claim.require_version(5)
    assert err.value.reason == "CLAIM_VERSION_MISMATCH"


def test_decide_checks_the_version_the_seller_saw_then_approves_or_rejects():
    c = claim()
    with pytest.raises(InvalidArgument) as bad:
        model.decide(c, SELLER, None, 0, NOW, POLICY, purchase())
    assert bad.value.violations[0].field == "decision"
    with pytest.raises(Aborted) as err:
        model.decide(c, SELLER, model.Reject(RejectionReason.DEFECT_NOT_FOUND), 3, NOW, POLICY, purchase())
    assert err.value.reason == "CLAIM_VERSION_MISMATCH" and err.value.metadata == {"version": "0"}
    rejected = model.decide(c, SELLER, model.Reject(RejectionReason.DEFECT_NOT_FOUND), 0, NOW, POLICY, purchase())
    assert rejected.claim.status is ClaimStatus.REJECTED and rejected.posting is None
    approved = model.decide(c, SELLER, model.Approve(ApprovalMode.NO_RETURN, Offer(CompensationForm.FULL_REFUND, PRICE, None, None)),
                            c.version, NOW, POLICY, purchase())
    assert approved.claim.status is ClaimStatus.SETTLED and approved.claim.refunded == PRICE


def test_each_claim_command_is_one_move_for_one_side():
    c = claim()
    cases = [
        (commands.DecideClaim(SELLER, "r", "c1", model.Reject(RejectionReason.OTHER, "Нет")), ClaimAction.DECIDE, ClaimStatus.REJECTED),
        (commands.CancelClaim(BUYER, "r", "c1", "Передумал"), ClaimAction.CANCEL, ClaimStatus.CANCELLED),
    ]
    for cmd, action, status in cases:
        assert moves.action(cmd) is action
        assert moves.apply(c, cmd, NOW, POLICY, purchase()).claim.status is status
    assert moves.action(commands.ConfirmReceipt(SELLER, "r", "c1", True)) is ClaimAction.CONFIRM_RECEIPT
    assert moves.action(commands.HandOverItem(BUYER, "r", "c1", HandoverMethod.PICKUP_POINT)) is ClaimAction.HAND_OVER
    with pytest.raises(FailedPrecondition):  # a rejected claim is reconsidered, an open one is not
        moves.apply(c, commands.RequestReconsideration(BUYER, "r", "c1"), NOW, POLICY)
    with pytest.raises(FailedPrecondition):
        moves.apply(c, commands.RespondToOffer(BUYER, "r", "c1", True), NOW, POLICY)


# --- money limits -----------------------------------------------------------------------------


def test_what_is_left_to_refund_on_an_order_line_and_the_error_that_names_it():
    line = replace(purchase(quantity=2), refunded_minor=300_000)
    assert line.paid == PRICE.times(2) and line.refundable == Money(199_980, "RUB")
    err = model.RefundLimitExceeded(line, Money(200_000, "RUB"))
    assert err.code == "FAILED_PRECONDITION" and err.reason == "REFUND_LIMIT_EXCEEDED"
    assert err.metadata == {"purchase_id": "p1", "remaining_minor": "199980", "currency_code": "RUB", "paid_minor": "499980"}
    assert "1999.80 RUB left to refund" in err.message and "2000.00 RUB" in err.message
    assert replace(line, refunded_minor=600_000).refundable == Money(0, "RUB")  # never negative
    with pytest.raises(FailedPrecondition) as refused:
        claim(purchase=replace(purchase(), refunded_minor=PRICE.amount_minor))
    assert refused.value.reason == "REFUND_LIMIT_EXCEEDED" and refused.value.metadata["remaining_minor"] == "0"


def test_the_policy_caps_shipping_by_tariff_and_maximum_and_refuses_bad_tariffs():
    base = {"version": "v", "currency_code": "RUB", "claim_min_days_after_payment": 14, "claim_max_days_after_payment": 730,
            "max_photos": 10, "max_description_chars": 2000, "max_reconsiderations": 3}
    policy = ReturnsPolicy.from_dict({**base, "max_shipping_reimbursement_minor": 70_000,
                                      "shipping_tariff_minor": {"PICKUP_POINT": 30_000, "DIRECT_TO_SELLER": 90_000}})
    assert [policy.shipping_cap_minor(h) for h in ("PICKUP_POINT", "DIRECT_TO_SELLER", None)] == [30_000, 70_000, 0]
    assert ReturnsPolicy.from_dict(base).shipping_cap_minor("PICKUP_POINT") == 50_000  # defaults
    # The maximum per order line: as set, else the maximum per claim.
    assert policy.max_shipping_per_order_line_minor == 70_000
    assert ReturnsPolicy.from_dict(base).max_shipping_per_order_line_minor == 100_000
    assert ReturnsPolicy.from_dict({**base, "max_shipping_per_order_line_minor": 250_000}).shipping_per_order_line == Money(250_000, "RUB")
    with pytest.raises(ValueError, match="max_shipping_per_order_line_minor"):
        ReturnsPolicy.from_dict({**base, "max_shipping_per_order_line_minor": -1})
    assert ReturnsPolicy.from_dict(base).purchase_recorders == ("orders",)
    assert ReturnsPolicy.from_dict({**base, "purchase_recorders": ["orders", " orders-eu "]}).purchase_recorders == ("orders", "orders-eu")
    for bad in ({"shipping_tariff_minor": {"COURIER": 1}}, {"shipping_tariff_minor": {"PICKUP_POINT": -1}},
                {"max_shipping_reimbursement_minor": "много"}, {"claim_max_days_after_payment": 7},
                {"purchase_recorders": "orders"}, {"purchase_recorders": [""]}, {"max_overdraft_minor": -1}):
        with pytest.raises(ValueError):
            ReturnsPolicy.from_dict({**base, **bad})


# --- available actions ------------------------------------------------------------------------


def _command_for(action: ClaimAction, caller: Identity) -> commands.ClaimMove:
    return {
        ClaimAction.DECIDE: commands.DecideClaim(caller, "r", "c1", model.Reject(RejectionReason.OTHER, "Нет")),
        ClaimAction.RECONSIDER: commands.RequestReconsideration(caller, "r", "c1"),
        ClaimAction.RESPOND_TO_OFFER: commands.RespondToOffer(caller, "r", "c1", False),
        ClaimAction.HAND_OVER: commands.HandOverItem(caller, "r", "c1", HandoverMethod.PICKUP_POINT, "pvz-1"),
        ClaimAction.CONFIRM_RECEIPT: commands.ConfirmReceipt(caller, "r", "c1", True),
        ClaimAction.CANCEL: commands.CancelClaim(caller, "r", "c1"),
    }[action]


@pytest.mark.parametrize("status", list(ClaimStatus))
@pytest.mark.parametrize("reconsiderations", [0, POLICY.max_reconsiderations])
def test_available_actions_are_exactly_the_moves_that_succeed(status, reconsiderations):
    """Claim.available_actions lists a move iff access allows it and the move succeeds now;
    a move not listed is PERMISSION_DENIED or FAILED_PRECONDITION."""
    agreed = Offer(CompensationForm.REPLACEMENT, None, None, HandoverMethod.PICKUP_POINT)
    c = replace(claim(), status=status, reconsideration_count=reconsiderations, offer=agreed, approval_mode=ApprovalMode.TAKE_BACK)
    viewers = [BUYER, SELLER, Identity("b2", Role.BUYER), Identity("u2", Role.SELLER, "s2"), Identity("a", Role.SUPPORT)]
    for viewer in viewers:
        available = access.available_actions(viewer, c, POLICY.max_reconsiderations)
        assert list(available) == sorted(available, key=list(ClaimAction).index)
        for action in ClaimAction:
            cmd = _command_for(action, viewer)
            try:
                access.require_may(moves.action(cmd), viewer, c)
                moves.apply(c, cmd, NOW, POLICY, purchase())
                succeeded = True
            except (PermissionDenied, FailedPrecondition):
                succeeded = False
            assert succeeded == (action in available), (viewer, status, action)
    assert access.available_actions(SELLER, claim(), POLICY.max_reconsiderations) == (ClaimAction.DECIDE,)
    assert access.available_actions(BUYER, claim(), POLICY.max_reconsiderations) == (ClaimAction.CANCEL,)
