"""Money that holds, through the running suite: fines from moderation on the ledger, refund
and shipping limits, who may record purchases, request ids that check their payload, and bad
input on every money RPC answered with a status and details, never INTERNAL."""
from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from prilavok.chat.v1 import chat_pb2
from prilavok.common.v1 import common_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from tests.e2e.conftest import eventually, fresh, md

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
