"""Money that holds, through the running suite: fines from moderation on the ledger, refund
and shipping limits, who may record purchases, request ids that check their payload, and bad
input on every money RPC answered with a status and details, never INTERNAL."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pymongo import MongoClient

from devstack.processes import REPO
from prilavok.chat.v1 import chat_pb2
from prilavok.common.v1 import common_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from prilavok_platform.replay import REPLAYED_HEADER
from tests.e2e.conftest import eventually, field_violations, fresh, md

pytestmark = pytest.mark.e2e
RUB = "RUB"
ORDERS = As(Role.SERVICE, "orders")  # the order system: the only recorder of purchases


def _suffix() -> str:
    return uuid.uuid4().hex[:8]


def test_a_seller_sharing_a_phone_number_is_fined_on_the_ledger(stubs):
    """The issue's reproduction: moderation fines 25,000 RUB for a contact exchange, and the
    fine reaches the shop's ledger and balance (as debt)."""
    chat, returns = stubs["chat"], stubs["returns"]
    seller, buyer = fresh(Role.SELLER, "fined"), fresh(Role.BUYER, "fined-b")
    thread = chat.CreateThread(chat_pb2.CreateThreadRequest(request_id="t", kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"o-{_suffix()}",
                                                            shop_id=seller.shop_id), metadata=md(buyer)).thread
    chat.SendMessage(chat_pb2.SendMessageRequest(request_id="b", thread_id=thread.thread_id, text="Здравствуйте! Когда отправите?"),
                     metadata=md(buyer))
    sent = chat.SendMessage(chat_pb2.SendMessageRequest(request_id="s", thread_id=thread.thread_id, text="Мой номер +7 912 345-67-89"),
                            metadata=md(seller))
    assert sent.message.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    entries = eventually(lambda: returns.ListLedgerEntries(returns_pb2.ListLedgerEntriesRequest(), metadata=md(seller)).entries,
                         lambda e: any(x.kind == returns_pb2.ENTRY_KIND_FINE for x in e), what="the fine in the shop's ledger")
    [fine] = [e for e in entries if e.kind == returns_pb2.ENTRY_KIND_FINE]
    assert (fine.amount.amount_minor, fine.amount.currency_code) == (-2_500_000, RUB)
    assert fine.posting_id == f"fine:{fine.penalty_id}" and fine.note, "the fine carries its penalty and reason"
    balance = returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(seller)).balance
    assert (balance.current.amount_minor, balance.debt.amount_minor, balance.available_for_withdrawal.amount_minor) == (
        -2_500_000, 2_500_000, 0)
    assert balance.available.amount_minor == -2_500_000  # the deprecated field keeps its meaning


def paid_days_ago(days: int):
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    for detail in rpc_status.from_call(error).details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError(f"no ErrorInfo in {error}")


def purchase_pb(buyer: As, seller: As, price: int = 100_000, quantity: int = 1, **kw) -> returns_pb2.Purchase:
    purchase = returns_pb2.Purchase(order_id=kw.get("order_id", f"o-{_suffix()}"), item_id=kw.get("item_id", "sku"),
                                    buyer_id=buyer.user_id, shop_id=seller.shop_id,
                                    price=common_pb2.Money(currency_code=RUB, amount_minor=price), quantity=quantity)
    purchase.paid_at.FromDatetime(paid_days_ago(kw.get("days", 30)))
    return purchase


def test_only_the_order_system_records_purchases(stubs):
    """The issue's reproduction: support could record purchases, i.e. credit any shop."""
    returns = stubs["returns"]
    seller, buyer = fresh(Role.SELLER, "rec"), fresh(Role.BUYER, "rec-b")
    for caller in (As(Role.SUPPORT, "agent-1"), As(Role.SERVICE, "chat"), buyer, seller):
        with pytest.raises(grpc.RpcError) as err:
            returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="r", purchase=purchase_pb(buyer, seller)), metadata=md(caller))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, caller
        info = error_info(err.value)
        assert info.reason == "NOT_A_PURCHASE_RECORDER" and info.metadata["purchase_recorders"] == "orders"
    assert returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(seller)).balance.current.amount_minor == 0
    recorded = returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="r", purchase=purchase_pb(buyer, seller)),
                                      metadata=md(ORDERS))
    assert recorded.created
    support_view = returns.GetPurchase(returns_pb2.GetPurchaseRequest(purchase_id=recorded.purchase.purchase_id),
                                       metadata=md(As(Role.SUPPORT, "agent-1")))
    assert support_view.purchase == recorded.purchase  # support reads


INT64_MAX = 2**63 - 1


def rub(amount: int, currency: str = RUB) -> common_pb2.Money:
    return common_pb2.Money(currency_code=currency, amount_minor=amount)


def refused(call, code: grpc.StatusCode) -> grpc.RpcError:
    """The call fails with `code` (never INTERNAL) and says why in its details."""
    with pytest.raises(grpc.RpcError) as err:
        call()
    assert err.value.code() == code, f"{err.value.code()}: {err.value.details()}"
    details = rpc_status.from_call(err.value).details
    assert details, "an error carries google.rpc details (BadRequest or ErrorInfo)"
    return err.value


def bad_fields(call) -> dict[str, str]:
    return field_violations(refused(call, grpc.StatusCode.INVALID_ARGUMENT))


class Parties:
    def __init__(self, stubs):
        self.returns = stubs["returns"]
        self.seller, self.buyer = fresh(Role.SELLER, "money"), fresh(Role.BUYER, "money-b")
        self.other_seller, self.other_buyer = fresh(Role.SELLER, "money-x"), fresh(Role.BUYER, "money-xb")

    def record(self, price: int = 100_000, quantity: int = 1, request_id: str = "") -> returns_pb2.Purchase:
        purchase = purchase_pb(self.buyer, self.seller, price, quantity)
        request = returns_pb2.RecordPurchaseRequest(request_id=request_id or _suffix(), purchase=purchase)
        return self.returns.RecordPurchase(request, metadata=md(ORDERS)).purchase

    def open(self, purchase_id: str, form=returns_pb2.COMPENSATION_FORM_FULL_REFUND) -> returns_pb2.Claim:
        return self.returns.OpenClaim(returns_pb2.OpenClaimRequest(request_id=_suffix(), purchase_id=purchase_id, description="Сломался",
                                                                    requested_form=form), metadata=md(self.buyer)).claim

    def decide(self, claim_id: str, offer: returns_pb2.CompensationOffer, mode=returns_pb2.APPROVAL_MODE_NO_RETURN,
               request_id: str = "", who: As | None = None) -> returns_pb2.Claim:
        request = returns_pb2.DecideClaimRequest(request_id=request_id or _suffix(), claim_id=claim_id,
                                                 approve=returns_pb2.Approval(mode=mode, offer=offer))
        return self.returns.DecideClaim(request, metadata=md(who or self.seller)).claim


def full_refund(amount: int = 100_000, **kw) -> returns_pb2.CompensationOffer:
    return returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_FULL_REFUND, refund_amount=rub(amount), **kw)


def test_a_purchase_is_refunded_once_however_many_claims(stubs):
    """The issue's reproduction: a 2,499.90 RUB purchase refunded three times."""
    p = Parties(stubs)
    purchase = p.record(249_990)
    first = p.decide(p.open(purchase.purchase_id).claim_id, full_refund(249_990))
    assert first.status == returns_pb2.CLAIM_STATUS_SETTLED and first.refund_state == returns_pb2.REFUND_STATE_PAID
    error = refused(lambda: p.open(purchase.purchase_id), grpc.StatusCode.FAILED_PRECONDITION)
    info = error_info(error)
    assert info.reason == "REFUND_LIMIT_EXCEEDED" and (info.metadata["remaining_minor"], info.metadata["currency_code"]) == ("0", RUB)
    balance = p.returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(p.seller)).balance
    assert balance.current.amount_minor == 0


def test_an_offer_above_what_is_left_on_the_line_is_a_failed_precondition_naming_the_rest(stubs):
    """The review's finding: an offer within the claim's price but above what earlier claims
    left on the order line answered INVALID_ARGUMENT prose; the issue asks FAILED_PRECONDITION
    with the remaining refundable amount in the details."""
    p = Parties(stubs)
    purchase = p.record(100_000, quantity=2)
    partial = returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND
    first = p.open(purchase.purchase_id, partial)
    p.decide(first.claim_id, returns_pb2.CompensationOffer(form=partial, refund_amount=rub(100_000)))
    p.returns.RespondToOffer(returns_pb2.RespondToOfferRequest(request_id="acc", claim_id=first.claim_id, accept=True),
                             metadata=md(p.buyer))
    second = p.returns.OpenClaim(returns_pb2.OpenClaimRequest(request_id=_suffix(), purchase_id=purchase.purchase_id, description="Снова",
                                                              requested_form=partial, quantity=2), metadata=md(p.buyer)).claim
    error = refused(lambda: p.decide(second.claim_id, returns_pb2.CompensationOffer(form=partial, refund_amount=rub(150_000))),
                    grpc.StatusCode.FAILED_PRECONDITION)
    info = error_info(error)
    assert info.reason == "REFUND_LIMIT_EXCEEDED"
    assert {k: info.metadata[k] for k in ("remaining_minor", "currency_code", "paid_minor", "purchase_id")} == {
        "remaining_minor": "100000", "currency_code": RUB, "paid_minor": "200000", "purchase_id": purchase.purchase_id}
    # Above the claim's own price (2 × 1,000.00 RUB) it is a bad field.
    fields = bad_fields(lambda: p.decide(second.claim_id, returns_pb2.CompensationOffer(form=partial, refund_amount=rub(200_001))))
    assert "approve.offer.refund_amount" in fields


def test_shipping_reimbursement_is_bounded_by_the_policy(stubs):
    """The issue's reproduction: 50,000,000 RUB of "shipping" on a 1,000 RUB purchase."""
    p = Parties(stubs)
    claim = p.open(p.record(100_000).purchase_id, returns_pb2.COMPENSATION_FORM_REPLACEMENT)
    offer = returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_REPLACEMENT, shipping_reimbursement=rub(5_000_000_000),
                                          handover_method=returns_pb2.HANDOVER_METHOD_PICKUP_POINT)
    fields = bad_fields(lambda: p.decide(claim.claim_id, offer, returns_pb2.APPROVAL_MODE_TAKE_BACK))
    assert "500.00 RUB" in fields["approve.offer.shipping_reimbursement"]
    offer.shipping_reimbursement.amount_minor = 50_000
    assert p.decide(claim.claim_id, offer, returns_pb2.APPROVAL_MODE_TAKE_BACK).status == returns_pb2.CLAIM_STATUS_AWAITING_HANDOVER


def test_bad_money_input_is_answered_with_details_never_internal(stubs):
    p = Parties(stubs)

    def record(price: common_pb2.Money, quantity: int = 1):
        purchase = purchase_pb(p.buyer, p.seller)
        purchase.price.CopyFrom(price)
        purchase.quantity = quantity
        return lambda: p.returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id=_suffix(), purchase=purchase), metadata=md(ORDERS))

    for price, field in [(rub(0), "purchase.price"), (rub(-100), "purchase.price"), (rub(INT64_MAX), "purchase.price"),
                         (rub(100, "XXX"), "purchase.price.currency_code"), (rub(100, ""), "purchase.price.currency_code")]:
        assert field in bad_fields(record(price)), price
    assert "purchase.quantity" in bad_fields(record(rub(100), -1))
    assert "purchase.price" in bad_fields(record(rub(INT64_MAX // 2), 4))  # the line's total would overflow int64

    claim = p.open(p.record(100_000).purchase_id)
    partial = returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND
    cases = [
        (returns_pb2.CompensationOffer(form=partial, refund_amount=rub(0)), "approve.offer.refund_amount"),
        (returns_pb2.CompensationOffer(form=partial, refund_amount=rub(-1)), "approve.offer.refund_amount"),
        (returns_pb2.CompensationOffer(form=partial, refund_amount=rub(INT64_MAX)), "approve.offer.refund_amount"),
        (returns_pb2.CompensationOffer(form=partial, refund_amount=rub(100, "USD")), "approve.offer.refund_amount.currency_code"),
        (returns_pb2.CompensationOffer(form=partial, refund_amount=rub(100), shipping_reimbursement=rub(-1)),
         "approve.offer.shipping_reimbursement"),
        (returns_pb2.CompensationOffer(form=partial, refund_amount=rub(100), shipping_reimbursement=rub(INT64_MAX)),
         "approve.offer.shipping_reimbursement"),
        (returns_pb2.CompensationOffer(form=partial, refund_amount=rub(100), shipping_reimbursement=rub(1, "XXX")),
         "approve.offer.shipping_reimbursement.currency_code"),
        (returns_pb2.CompensationOffer(form=99, refund_amount=rub(100)), "approve.offer.form"),
    ]
    for offer, field in cases:
        assert field in bad_fields(lambda offer=offer: p.decide(claim.claim_id, offer)), (offer, field)
    # An int64 that does not fit on the wire (an 11-byte varint): the request is undecodable, not a crash.
    channel = stubs["channels"]["returns"]
    call = channel.unary_unary("/prilavok.returns.v1.ReturnsService/RecordPurchase")
    money = b"\x0a\x03RUB" + b"\x10" + b"\xff" * 10 + b"\x01"
    purchase = b"\x12\x02o1\x1a\x01i\x2a\x01b\x32\x01s" + b"\x3a" + bytes([len(money)]) + money
    payload = b"\x0a\x01r" + b"\x12" + bytes([len(purchase)]) + purchase
    with pytest.raises(grpc.RpcError) as err:
        call(payload, metadata=md(ORDERS))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    # Someone else's claim: PERMISSION_DENIED for every move.
    claim_id = claim.claim_id
    returns = p.returns
    others = [
        lambda: p.decide(claim_id, full_refund(), who=p.other_seller),
        lambda: returns.ConfirmReceipt(returns_pb2.ConfirmReceiptRequest(request_id="x", claim_id=claim_id), metadata=md(p.other_seller)),
        lambda: returns.RespondToOffer(returns_pb2.RespondToOfferRequest(request_id="x", claim_id=claim_id, accept=True),
                                       metadata=md(p.other_buyer)),
        lambda: returns.HandOverItem(returns_pb2.HandOverItemRequest(request_id="x", claim_id=claim_id, method=1, pickup_point_id="p"),
                                     metadata=md(p.other_buyer)),
        lambda: returns.CancelClaim(returns_pb2.CancelClaimRequest(request_id="x", claim_id=claim_id), metadata=md(p.other_buyer)),
        lambda: returns.RequestReconsideration(returns_pb2.RequestReconsiderationRequest(request_id="x", claim_id=claim_id),
                                               metadata=md(p.other_buyer)),
        lambda: returns.GetClaim(returns_pb2.GetClaimRequest(claim_id=claim_id), metadata=md(p.other_buyer)),
        lambda: returns.GetBalance(returns_pb2.GetBalanceRequest(shop_id=p.seller.shop_id), metadata=md(p.other_seller)),
        lambda: returns.ListLedgerEntries(returns_pb2.ListLedgerEntriesRequest(shop_id=p.seller.shop_id), metadata=md(p.buyer)),
    ]
    for call_other in others:
        refused(call_other, grpc.StatusCode.PERMISSION_DENIED)
    assert "shop_id" in bad_fields(lambda: returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(As(Role.SUPPORT, "a"))))
    assert "page_size" in bad_fields(lambda: returns.ListLedgerEntries(returns_pb2.ListLedgerEntriesRequest(page_size=-1),
                                                                        metadata=md(p.seller)))

    # An action not among the claim's available_actions: FAILED_PRECONDITION saying which are.
    seen = {who.user_id: list(returns.GetClaim(returns_pb2.GetClaimRequest(claim_id=claim_id), metadata=md(who)).claim.available_actions)
            for who in (p.seller, p.buyer, As(Role.SUPPORT, "a"))}
    assert seen == {p.seller.user_id: [returns_pb2.CLAIM_ACTION_DECIDE], p.buyer.user_id: [returns_pb2.CLAIM_ACTION_CANCEL], "a": []}
    for unavailable in (
        lambda: returns.HandOverItem(returns_pb2.HandOverItemRequest(request_id="h", claim_id=claim_id, method=1, pickup_point_id="p"),
                                     metadata=md(p.buyer)),
        lambda: returns.ConfirmReceipt(returns_pb2.ConfirmReceiptRequest(request_id="c", claim_id=claim_id), metadata=md(p.seller)),
        lambda: returns.RequestReconsideration(returns_pb2.RequestReconsiderationRequest(request_id="r", claim_id=claim_id),
                                               metadata=md(p.buyer)),
    ):
        info = error_info(refused(unavailable, grpc.StatusCode.FAILED_PRECONDITION))
        assert info.reason == "CLAIM_WRONG_STATUS" and "available_actions" in info.metadata


def test_request_ids_check_their_payload(stubs):
    """The issue's reproductions: a used request id with another payload was answered with the
    first result (RecordPurchase with another buyer, shop and price; DecideClaim with another amount)."""
    p = Parties(stubs)
    first = p.record(100_000, request_id="same-id")
    other = purchase_pb(p.other_buyer, p.other_seller, 555_00)
    fields = bad_fields(lambda: p.returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="same-id", purchase=other),
                                                         metadata=md(ORDERS)))
    assert {"purchase.order_id", "purchase.buyer_id", "purchase.shop_id", "purchase.price"} <= fields.keys()
    assert p.returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(p.other_seller)).balance.current.amount_minor == 0
    claim = p.open(first.purchase_id, returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND)
    offer = returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND, refund_amount=rub(30_000))
    decided = p.decide(claim.claim_id, offer, request_id="d-1")
    assert p.decide(claim.claim_id, offer, request_id="d-1") == decided  # the retry: the same claim
    # After the buyer accepted, the retry still answers as the decision did (AWAITING_BUYER),
    # marked as a replay; it changes nothing.
    accepted = p.returns.RespondToOffer(returns_pb2.RespondToOfferRequest(request_id="acc", claim_id=claim.claim_id, accept=True),
                                        metadata=md(p.buyer)).claim
    assert accepted.status == returns_pb2.CLAIM_STATUS_SETTLED
    request = returns_pb2.DecideClaimRequest(request_id="d-1", claim_id=claim.claim_id,
                                             approve=returns_pb2.Approval(mode=returns_pb2.APPROVAL_MODE_NO_RETURN, offer=offer))
    replay, call = p.returns.DecideClaim.with_call(request, metadata=md(p.seller))
    assert replay.claim == decided and decided.status == returns_pb2.CLAIM_STATUS_AWAITING_BUYER
    assert (REPLAYED_HEADER, "true") in call.initial_metadata()
    _, first_call = p.returns.DecideClaim.with_call(returns_pb2.DecideClaimRequest(
        request_id="d-2", claim_id=p.open(p.record(100_000).purchase_id).claim_id,
        approve=returns_pb2.Approval(mode=returns_pb2.APPROVAL_MODE_NO_RETURN, offer=full_refund())), metadata=md(p.seller))
    assert REPLAYED_HEADER not in dict(first_call.initial_metadata())
    offer.refund_amount.amount_minor = 90_000
    error = refused(lambda: p.decide(claim.claim_id, offer, request_id="d-1"), grpc.StatusCode.INVALID_ARGUMENT)
    assert field_violations(error).keys() == {"approve.offer.refund_amount"} and error_info(error).reason == "IDEMPOTENCY_KEY_REUSED"


def _cli(suite, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **{f"PRILAVOK_{name.upper()}_ADDR": suite.address(name) for name in ("chat", "moderation", "returns", "notify")}}
    return subprocess.run([sys.executable, "-m", "prilavok_cli.main", *args], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=120)


def test_verify_ledger_passes_on_the_suites_ledger_and_reports_damage(stubs, suite, infra):
    """Everything the end-to-end tests did so far is consistent; a balance changed behind the
    ledger's back is reported (exit code 1), and who may run the check is checked."""
    p = Parties(stubs)
    p.decide(p.open(p.record(100_000).purchase_id).claim_id, full_refund())
    responses = list(p.returns.VerifyLedger(returns_pb2.VerifyLedgerRequest(), metadata=md(ORDERS)))
    *progress, report = responses
    assert progress and not any(r.done for r in progress) and report.done
    assert report.ok, report.problems
    assert report.entries_checked >= 4 and report.claims_checked >= 1 and report.purchases_checked >= 1
    refused(lambda: list(p.returns.VerifyLedger(returns_pb2.VerifyLedgerRequest(), metadata=md(p.seller))),
            grpc.StatusCode.PERMISSION_DENIED)
    assert "max_problems" in bad_fields(lambda: list(p.returns.VerifyLedger(returns_pb2.VerifyLedgerRequest(max_problems=-1),
                                                                            metadata=md(ORDERS))))

    ok = _cli(suite, "returns", "verify-ledger", "--as", "support:auditor", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["ok"] is True and "checked" in ok.stderr

    client = MongoClient(infra["mongodb_uri"])
    balances = client[f"{suite.config.database_prefix}_returns"].balances
    shop = f"shop:{p.seller.shop_id}"
    try:
        balances.update_one({"_id": shop}, {"$inc": {"amounts.RUB": 1}})
        damaged = _cli(suite, "returns", "verify-ledger", "--as", "support:auditor")
        assert damaged.returncode == 1, damaged.stdout + damaged.stderr
        assert "NOT OK" in damaged.stdout and "BALANCE_MISMATCH" in damaged.stdout and shop in damaged.stdout
    finally:
        balances.update_one({"_id": shop}, {"$inc": {"amounts.RUB": -1}})
        client.close()
    assert _cli(suite, "returns", "verify-ledger", "--as", "service:orders").returncode == 0


def test_a_refund_beyond_the_overdraft_is_held_and_paid_when_a_sale_comes(stubs):
    """Three fines put the shop 65,000.00 RUB in debt, beyond the 50,000.00 RUB overdraft limit:
    a refund settles but is held; the next sale lets the background payer pay it."""
    chat, returns = stubs["chat"], stubs["returns"]
    p = Parties(stubs)
    first = p.record(1_000_000)
    thread = chat.CreateThread(chat_pb2.CreateThreadRequest(request_id="t", kind=chat_pb2.THREAD_KIND_ORDER, order_id=first.order_id,
                                                            shop_id=p.seller.shop_id), metadata=md(p.buyer)).thread
    chat.SendMessage(chat_pb2.SendMessageRequest(request_id="b", thread_id=thread.thread_id, text="Здравствуйте! Где заказ?"),
                     metadata=md(p.buyer))
    for n, phone in enumerate(("+7 912 345-67-89", "+7 913 222-33-44", "+7 914 555-66-77")):
        chat.SendMessage(chat_pb2.SendMessageRequest(request_id=f"s{n}", thread_id=thread.thread_id, text=f"Мой номер {phone}"),
                         metadata=md(p.seller))

    def balance():
        return returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(p.seller)).balance

    eventually(balance, lambda b: b.current.amount_minor == 1_000_000 - 3 * 2_500_000, what="three fines on the balance")
    claim = p.decide(p.open(first.purchase_id).claim_id, full_refund(1_000_000))
    assert claim.status == returns_pb2.CLAIM_STATUS_SETTLED and claim.refund_state == returns_pb2.REFUND_STATE_PENDING_FUNDS
    assert claim.refund_held.amount_minor == 1_000_000
    held = balance()
    assert (held.held_refunds.amount_minor, held.debt.amount_minor, held.available_for_withdrawal.amount_minor) == (1_000_000, 6_500_000, 0)
    p.record(10_000_000)  # 100,000.00 RUB of sales: 3,500,000 before the refund

    def stored_claim():
        return returns.GetClaim(returns_pb2.GetClaimRequest(claim_id=claim.claim_id), metadata=md(p.buyer)).claim

    paid = eventually(stored_claim, lambda c: c.refund_state == returns_pb2.REFUND_STATE_PAID, timeout=30, what="the held refund paid")
    assert paid.HasField("refund_paid_at") and not paid.HasField("refund_held")
    after = balance()
    assert (after.current.amount_minor, after.held_refunds.amount_minor, after.available_for_withdrawal.amount_minor) == (
        2_500_000, 0, 2_500_000)
