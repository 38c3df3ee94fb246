"""The walking skeleton end to end: four service processes on real NATS and SecantusDB."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from devstack.processes import REPO
from prilavok.chat.v1 import chat_pb2
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2
from prilavok.notify.v1 import notify_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from prilavok_platform.replay import REPLAYED_HEADER
from tests.e2e.conftest import SERVICE, eventually, field_violations, fresh, md

pytestmark = pytest.mark.e2e


def test_every_service_answers_health_and_reflection_and_refuses_anonymous_calls(stubs):
    expected = {"chat": "prilavok.chat.v1.ChatService", "moderation": "prilavok.moderation.v1.ModerationService",
                "returns": "prilavok.returns.v1.ReturnsService", "notify": "prilavok.notify.v1.NotifyService"}
    for name, channel in stubs["channels"].items():
        health = health_pb2_grpc.HealthStub(channel)
        assert health.Check(health_pb2.HealthCheckRequest(service=expected[name])).status == health_pb2.HealthCheckResponse.SERVING
        reply = next(reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
        assert expected[name] in {s.name for s in reply.list_services_response.service}
    with pytest.raises(grpc.RpcError) as err:
        stubs["chat"].ListThreads(chat_pb2.ListThreadsRequest())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as err:
        stubs["returns"].GetBalance(returns_pb2.GetBalanceRequest(), metadata=[("authorization", "Bearer not-a-jwt")])
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_thread_message_notification(stubs):
    chat, notify = stubs["chat"], stubs["notify"]
    buyer, seller = fresh(Role.BUYER, "buyer"), fresh(Role.SELLER, "seller")
    order = f"order-{uuid.uuid4().hex[:6]}"
    create = chat_pb2.CreateThreadRequest(request_id="r1", kind=chat_pb2.THREAD_KIND_ORDER, order_id=order, shop_id=seller.shop_id)
    # A retry under the same request id gets the first answer, `created` included (Stripe's
    # semantics, the item 6); the response metadata says it is a replay.
    thread, first_call = chat.CreateThread.with_call(create, metadata=md(buyer))
    assert thread.created and REPLAYED_HEADER not in dict(first_call.initial_metadata())
    again, call = chat.CreateThread.with_call(create, metadata=md(buyer))
    assert again == thread and (REPLAYED_HEADER, "true") in call.initial_metadata()
    thread_id = thread.thread.thread_id

    send = chat_pb2.SendMessageRequest(request_id="m1", thread_id=thread_id, text="Здравствуйте! Когда отправите заказ?")
    sent, first_call = chat.SendMessage.with_call(send, metadata=md(buyer))
    assert sent.message.status == chat_pb2.MESSAGE_STATUS_DELIVERED and sent.moderation.action == moderation_pb2.ACTION_ALLOW
    assert sent.created and REPLAYED_HEADER not in dict(first_call.initial_metadata())
    retry, call = chat.SendMessage.with_call(send, metadata=md(buyer))
    assert retry == sent and (REPLAYED_HEADER, "true") in call.initial_metadata()

    seller_view = eventually(
        lambda: notify.ListNotifications(notify_pb2.ListNotificationsRequest(), metadata=md(seller)),
        lambda r: any(n.thread_id == thread_id for n in r.notifications),
    )
    mine = [n for n in seller_view.notifications if n.thread_id == thread_id]
    assert len(mine) == 1, "exactly one notification, even though the request was retried"
    assert mine[0].kind == notify_pb2.NOTIFICATION_KIND_NEW_MESSAGE and "Когда отправите" in mine[0].body
    assert chat.GetThread(chat_pb2.GetThreadRequest(thread_id=thread_id), metadata=md(seller)).thread.unread_count == 1

    contact = chat_pb2.SendMessageRequest(request_id="m2", thread_id=thread_id, text="Напишите мне в WhatsApp +7 912 345-67-89")
    blocked = chat.SendMessage(contact, metadata=md(seller))
    assert blocked.message.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    assert moderation_pb2.CATEGORY_CONTACT_EXCHANGE in blocked.moderation.categories and "контакт" in blocked.moderation.reason
    buyer_messages = chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id), metadata=md(buyer)).messages
    assert [m.text for m in buyer_messages] == ["Здравствуйте! Когда отправите заказ?"], "the buyer never sees a blocked message"
    penalties = eventually(
        lambda: stubs["moderation"].GetSenderStanding(moderation_pb2.GetSenderStandingRequest(), metadata=md(seller)),
        lambda r: r.penalties,
    )
    assert penalties.penalties[0].fine.amount_minor == 2_500_000 and penalties.standing == moderation_pb2.STANDING_WARNING

    assert chat.MarkRead(chat_pb2.MarkReadRequest(thread_id=thread_id), metadata=md(seller)).unread_count == 0


def test_bad_input_and_strangers_get_clear_errors(stubs):
    chat = stubs["chat"]
    buyer = fresh(Role.BUYER, "buyer")
    with pytest.raises(grpc.RpcError) as err:
        chat.CreateThread(chat_pb2.CreateThreadRequest(kind=chat_pb2.THREAD_KIND_ORDER), metadata=md(buyer))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(err.value)) == {"order_id", "shop_id"}  # an order chat is keyed by its order, not a request id
    create = chat_pb2.CreateThreadRequest(request_id="x", kind=chat_pb2.THREAD_KIND_ORDER, order_id="o-err", shop_id="shop-1")
    thread = chat.CreateThread(create, metadata=md(buyer)).thread
    with pytest.raises(grpc.RpcError) as err:
        chat.SendMessage(chat_pb2.SendMessageRequest(request_id="e", thread_id=thread.thread_id, text="x" * 5000), metadata=md(buyer))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "4000" in field_violations(err.value)["text"]
    with pytest.raises(grpc.RpcError) as err:
        chat.GetThread(chat_pb2.GetThreadRequest(thread_id=thread.thread_id), metadata=md(As(Role.BUYER, "someone-else")))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        chat.GetThread(chat_pb2.GetThreadRequest(thread_id="nope"), metadata=md(buyer))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        empty = moderation_pb2.CheckMessageRequest(sender_role=common_pb2.ROLE_SELLER, text="")
        stubs["moderation"].CheckMessage(empty, metadata=md(SERVICE))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "text" in field_violations(err.value)


def test_purchase_claim_refund_balance(stubs):
    returns, notify = stubs["returns"], stubs["notify"]
    buyer, seller = fresh(Role.BUYER, "buyer"), fresh(Role.SELLER, "seller")
    paid = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(microsecond=0)
    purchase = returns_pb2.Purchase(order_id=f"o-{uuid.uuid4().hex[:8]}", item_id="sku-1", buyer_id=buyer.user_id, shop_id=seller.shop_id,
                                    price=common_pb2.Money(currency_code="RUB", amount_minor=249_990), quantity=1)
    purchase.paid_at.FromDatetime(paid)
    recorded = returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="p1", purchase=purchase), metadata=md(SERVICE))
    assert recorded.created
    # A retry under the same request id gets the first answer, `created` included (Stripe's
    # semantics, the item 6); the response metadata says it is a replay.
    retry, call = returns.RecordPurchase.with_call(returns_pb2.RecordPurchaseRequest(request_id="p1", purchase=purchase),
                                                   metadata=md(SERVICE))
    assert retry == recorded and (REPLAYED_HEADER, "true") in call.initial_metadata()
    balance = returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(seller)).balance
    assert balance.available.amount_minor == 249_990
    with pytest.raises(grpc.RpcError) as err:
        returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id="p2", purchase=purchase), metadata=md(buyer))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    claim = returns.OpenClaim(returns_pb2.OpenClaimRequest(
        request_id="c1", purchase_id=recorded.purchase.purchase_id, description="Перестал включаться",
        requested_form=returns_pb2.COMPENSATION_FORM_FULL_REFUND), metadata=md(buyer)).claim
    assert claim.status == returns_pb2.CLAIM_STATUS_AWAITING_SELLER
    decide = returns_pb2.DecideClaimRequest(request_id="d1", claim_id=claim.claim_id, approve=returns_pb2.Approval(
        mode=returns_pb2.APPROVAL_MODE_NO_RETURN,
        offer=returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_FULL_REFUND,
                                            refund_amount=common_pb2.Money(currency_code="RUB", amount_minor=249_990))))
    settled = returns.DecideClaim(decide, metadata=md(seller)).claim
    assert settled.status == returns_pb2.CLAIM_STATUS_SETTLED and settled.refunded.amount_minor == 249_990
    assert returns.DecideClaim(decide, metadata=md(seller)).claim.version == settled.version, "a retried decision changes nothing"
    balance = returns.GetBalance(returns_pb2.GetBalanceRequest(), metadata=md(seller)).balance
    assert balance.available.amount_minor == 0
    entries = returns.ListLedgerEntries(returns_pb2.ListLedgerEntriesRequest(), metadata=md(seller)).entries
    assert [(e.kind, e.amount.amount_minor, e.balance_after.amount_minor) for e in entries] == [
        (returns_pb2.ENTRY_KIND_REFUND, -249_990, 0), (returns_pb2.ENTRY_KIND_SALE, 249_990, 249_990)]
    def this_refund(reply):
        return [n for n in reply.notifications if n.kind == notify_pb2.NOTIFICATION_KIND_REFUND and n.claim_id == claim.claim_id]

    refund_note = eventually(lambda: notify.ListNotifications(notify_pb2.ListNotificationsRequest(), metadata=md(buyer)), this_refund)
    assert [n.body for n in this_refund(refund_note)] == [f"Возврат 2\u00a0499,90\u00a0₽ по заявке {claim.claim_id} оформлен."]


def test_cli_jsonl_checks_every_line_over_one_connection(suite):
    lines = [
        {"role": "seller", "text": "Напишите мне в Telegram @shop_ivan"},
        {"role": "buyer", "text": "Здравствуйте, когда доставка?"},
        {"role": "pirate", "text": "arr"},
        {"role": "seller", "text": "Да."},
    ]
    env = {**os.environ, "PRILAVOK_MODERATION_ADDR": suite.address("moderation")}
    result = subprocess.run(
        [sys.executable, "-m", "prilavok_cli.main", "moderation", "check", "--jsonl", "--engine", "remote"],
        input="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", capture_output=True, text=True,
        env=env, cwd=REPO, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["action"] == "BLOCK" and {v["category"] for v in out[0]["violations"]} & {"CONTACT_EXCHANGE", "OFF_PLATFORM_LURE"}
    assert out[1]["action"] == "ALLOW"
    assert "error" in out[2]
    assert out[3]["action"] == "BLOCK" and out[3]["violations"][0]["category"] == "LOW_EFFORT_REPLY"
