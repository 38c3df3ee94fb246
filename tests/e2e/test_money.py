"""Money that holds, through the running suite: fines from moderation on the ledger, refund
and shipping limits, who may record purchases, request ids that check their payload, and bad
input on every money RPC answered with a status and details, never INTERNAL."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from prilavok.chat.v1 import chat_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_platform.auth import Role
from tests.e2e.conftest import eventually, fresh, md

pytestmark = pytest.mark.e2e
RUB = "RUB"


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
