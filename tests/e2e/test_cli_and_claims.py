"""The CLI walks the skeleton against the running suite; a take-back claim goes its whole way."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devstack.processes import REPO
from prilavok.common.v1 import common_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from tests.e2e.conftest import SERVICE, field_violations, md

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(suite):
    env = {**os.environ, **{f"PRILAVOK_{name.upper()}_ADDR": suite.address(name) for name in ("chat", "moderation", "returns", "notify")}}

    def run(*args: str) -> dict:
        result = subprocess.run([sys.executable, "-m", "prilavok_cli.main", *args, "--json"], capture_output=True, text=True,
                                env=env, cwd=REPO, timeout=60)
        assert result.returncode == 0, f"prilavok {' '.join(args)}: {result.stderr}"
        return json.loads(result.stdout)

    return run


def test_cli_walks_thread_message_notification_and_purchase_claim_refund_balance(cli):
    buyer, seller = f"cli-b-{uuid.uuid4().hex[:4]}", f"cli-u@cli-s-{uuid.uuid4().hex[:4]}"
    shop = seller.split("@")[1]
    thread = cli("chat", "create-thread", "--as", f"buyer:{buyer}", "--shop", shop, "--order", "o-cli")["thread"]
    sent = cli("chat", "send", "--as", f"buyer:{buyer}", "--thread", thread["thread_id"], "--text", "Здравствуйте! Где мой заказ?")
    assert sent["message"]["status"] == "MESSAGE_STATUS_DELIVERED"
    deadline = time.monotonic() + 15
    while True:
        notes = cli("notify", "list", "--as", f"seller:{seller}")
        if notes.get("notifications") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert notes["notifications"][0]["thread_id"] == thread["thread_id"]

    paid = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    purchase = cli("returns", "record-purchase", "--as", "service:orders", "--order", f"o-cli-{buyer}", "--item", "sku-1", "--buyer", buyer,
                   "--shop", shop, "--price", "1299.90", "--paid-at", paid)["purchase"]
    assert purchase["price"]["amount_minor"] == "129990"
    claim = cli("returns", "open-claim", "--as", f"buyer:{buyer}", "--purchase", purchase["purchase_id"], "--description", "Сломалась ручка")["claim"]
    settled = cli("returns", "decide", "--as", f"seller:{seller}", "--claim", claim["claim_id"], "--refund", "1299.90")["claim"]
    assert settled["status"] == "CLAIM_STATUS_SETTLED"
    assert cli("returns", "balance", "--as", f"seller:{seller}")["balance"]["available"].get("amount_minor", "0") == "0"

    # A second purchase: the buyer withdraws the claim with a reason, which the seller then reads.
    other = cli("returns", "record-purchase", "--as", "service:orders", "--order", f"o-cli-2-{buyer}", "--item", "sku-2", "--buyer", buyer,
                "--shop", shop, "--price", "10", "--paid-at", paid)["purchase"]
    claim = cli("returns", "open-claim", "--as", f"buyer:{buyer}", "--purchase", other["purchase_id"], "--description", "Не тот цвет")["claim"]
    cancelled = cli("returns", "cancel", "--as", f"buyer:{buyer}", "--claim", claim["claim_id"], "--reason", "Разобралась сама")["claim"]
    assert cancelled["status"] == "CLAIM_STATUS_CANCELLED"
    seen = cli("returns", "claim", "--as", f"seller:{seller}", "--claim", claim["claim_id"])["claim"]
    assert [(n["text"], n["author"]["id"]) for n in seen["notes"]] == [("Разобралась сама", buyer)]


def test_take_back_claim_with_shipping_reimbursement(stubs):
    returns = stubs["returns"]
    suffix = uuid.uuid4().hex[:6]
    seller, buyer = As(Role.SELLER, "u-tb", f"shop-tb-{suffix}"), As(Role.BUYER, f"buyer-tb-{suffix}")
    purchase = returns_pb2.Purchase(order_id=f"o-tb-{suffix}", item_id="sku-tb", buyer_id=buyer.user_id, shop_id=seller.shop_id,
                                    price=common_pb2.Money(currency_code="RUB", amount_minor=100_000), quantity=2)
    purchase.paid_at.FromDatetime(dt.datetime.now(dt.UTC) - dt.timedelta(days=20))
    recorded = returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="tb", purchase=purchase), metadata=md(SERVICE))
    claim = returns.OpenClaim(returns_pb2.OpenClaimRequest(request_id="tb", purchase_id=recorded.purchase.purchase_id,
                                                           description="Не хватает кнопки",
                                                           requested_form=returns_pb2.COMPENSATION_FORM_MISSING_PART), metadata=md(buyer)).claim
    offer = returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND,
                                          refund_amount=common_pb2.Money(currency_code="RUB", amount_minor=30_000),
                                          shipping_reimbursement=common_pb2.Money(currency_code="RUB", amount_minor=15_000),
                                          handover_method=returns_pb2.HANDOVER_METHOD_PICKUP_POINT)
    claim = returns.DecideClaim(returns_pb2.DecideClaimRequest(request_id="d", claim_id=claim.claim_id, approve=returns_pb2.Approval(
        mode=returns_pb2.APPROVAL_MODE_TAKE_BACK, offer=offer)), metadata=md(seller)).claim
    assert claim.status == returns_pb2.CLAIM_STATUS_AWAITING_BUYER
    claim = returns.RespondToOffer(returns_pb2.RespondToOfferRequest(
        request_id="r", claim_id=claim.claim_id, accept=True, comment="Согласна на частичный возврат"), metadata=md(buyer)).claim
    assert claim.status == returns_pb2.CLAIM_STATUS_AWAITING_HANDOVER
    assert [n.text for n in claim.notes] == ["Согласна на частичный возврат"]
    claim = returns.HandOverItem(returns_pb2.HandOverItemRequest(
        request_id="h", claim_id=claim.claim_id, method=returns_pb2.HANDOVER_METHOD_PICKUP_POINT, pickup_point_id="pvz-1"),
        metadata=md(buyer)).claim
    claim = returns.ConfirmReceipt(returns_pb2.ConfirmReceiptRequest(
        request_id="c", claim_id=claim.claim_id, defect_confirmed=True), metadata=md(seller)).claim
    assert claim.status == returns_pb2.CLAIM_STATUS_SETTLED and claim.refunded.amount_minor == 30_000
    stored = returns.GetClaim(returns_pb2.GetClaimRequest(claim_id=claim.claim_id), metadata=md(buyer)).claim
    assert (stored.refunded.amount_minor, stored.shipping_reimbursed.amount_minor) == (30_000, 15_000)
    balance = returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(seller)).balance.available.amount_minor
    assert balance == 200_000 - 45_000
    support_view = returns.GetBalance(returns_pb2.GetBalanceRequest(shop_id=seller.shop_id), metadata=md(As(Role.SUPPORT, "a"))).balance
    assert support_view.available.amount_minor == 155_000


def test_record_purchase_answers_a_retry_and_refuses_another_version_of_the_order_line(stubs):
    returns = stubs["returns"]
    suffix = uuid.uuid4().hex[:6]
    purchase = returns_pb2.Purchase(order_id=f"o-idem-{suffix}", item_id="sku", buyer_id=f"buyer-{suffix}", shop_id=f"shop-{suffix}",
                                    price=common_pb2.Money(currency_code="RUB", amount_minor=50_000))
    purchase.paid_at.FromDatetime(dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    first = returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="r1", purchase=purchase), metadata=md(SERVICE))
    assert first.created and first.purchase.quantity == 1
    again = returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="r2", purchase=purchase), metadata=md(SERVICE))
    assert not again.created and again.purchase == first.purchase
    purchase.quantity = 3
    with pytest.raises(grpc.RpcError) as err:
        returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="r3", purchase=purchase), metadata=md(SERVICE))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    [info] = [d for d in rpc_status.from_call(err.value).details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
    unpacked = error_details_pb2.ErrorInfo()
    info.Unpack(unpacked)
    assert unpacked.reason == "PURCHASE_ALREADY_RECORDED" and unpacked.metadata["fields"] == "purchase.quantity"
    # The same request id with another purchase: IDEMPOTENCY_KEY_REUSED naming what differs.
    with pytest.raises(grpc.RpcError) as reused:
        returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="r1", purchase=purchase), metadata=md(SERVICE))
    assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field_violations(reused.value).keys() == {"purchase.quantity"}
    purchase.quantity = 1
    retry = returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="r1", purchase=purchase), metadata=md(SERVICE))
    assert retry == first  # the same request: its first answer (created), replayed


def test_the_cli_says_when_a_purchase_is_answered_by_replaying_its_request(suite):
    env = {**os.environ, "PRILAVOK_RETURNS_ADDR": suite.address("returns")}
    suffix = uuid.uuid4().hex[:6]
    args = [sys.executable, "-m", "prilavok_cli.main", "returns", "record-purchase", "--as", "service:orders", "--order", f"o-rp-{suffix}",
            "--item", "sku", "--buyer", f"b-{suffix}", "--shop", f"s-{suffix}", "--price", "10", "--request-id", f"rp-{suffix}",
            "--paid-at", dt.date.today().isoformat()]  # the same paid_at: it defaults to now, which a retry would change
    first, again = (subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, timeout=60) for _ in range(2))
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert first.stdout.startswith("recorded purchase") and "replayed" not in first.stdout
    assert again.stdout.startswith("recorded purchase") and f"the first answer to request rp-{suffix}, replayed" in again.stdout
