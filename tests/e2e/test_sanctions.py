"""Sanctions across the suite, as a new user meets them: a request id reused with a phone number
added is refused and moderation records nothing; a shop with five strikes cannot send through
any of its sellers (the buyer still can); a held message approved after its thread closed is
not delivered into it, and its sender is told."""
from __future__ import annotations

import datetime as dt
import time
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from prilavok.chat.v1 import chat_pb2
from prilavok.moderation.v1 import moderation_pb2
from prilavok.notify.v1 import notify_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from prilavok_platform.replay import REPLAYED_HEADER
from tests.e2e.conftest import eventually, field_violations, fresh, md

pytestmark = pytest.mark.e2e
MODERATOR = As(Role.MODERATOR, "mod-sanctions")
PHONE = "+7 912 345-67-89"


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError(f"no ErrorInfo in {error}")


def open_order(chat, buyer: As, seller: As) -> str:
    request = chat_pb2.CreateThreadRequest(kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"o-{uuid.uuid4().hex[:8]}", shop_id=seller.shop_id)
    return chat.CreateThread(request, metadata=md(buyer)).thread.thread_id


def send(chat, who: As, thread_id: str, text: str, request_id: str | None = None) -> chat_pb2.SendMessageResponse:
    return send_with_call(chat, who, thread_id, text, request_id)[0]


def send_with_call(chat, who: As, thread_id: str, text: str, request_id: str | None = None) -> tuple[chat_pb2.SendMessageResponse, bool]:
    """The answer and whether it was marked replayed (the response metadata)."""
    request = chat_pb2.SendMessageRequest(request_id=request_id or uuid.uuid4().hex, thread_id=thread_id, text=text)
    reply, call = chat.SendMessage.with_call(request, metadata=md(who))
    return reply, dict(call.initial_metadata()).get(REPLAYED_HEADER) == "true"


def standing(moderation, seller: As) -> moderation_pb2.GetSenderStandingResponse:
    return moderation.GetSenderStanding(moderation_pb2.GetSenderStandingRequest(shop_id=seller.shop_id), metadata=md(MODERATOR))


def test_a_request_id_reused_with_a_phone_number_added_is_refused_and_records_no_strike(stubs):
    chat, moderation = stubs["chat"], stubs["moderation"]
    buyer, seller, witness = fresh(Role.BUYER, "b-idem"), fresh(Role.SELLER, "s-idem"), fresh(Role.SELLER, "s-witness")
    thread_id = open_order(chat, buyer, seller)
    first = send(chat, seller, thread_id, "Здравствуйте! Отправим заказ завтра.", "R")
    assert first.created and first.message.status == chat_pb2.MESSAGE_STATUS_DELIVERED
    with pytest.raises(grpc.RpcError) as err:
        send(chat, seller, thread_id, f"Здравствуйте! Отправим заказ завтра. {PHONE}", "R")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(err.value).reason == "IDEMPOTENCY_KEY_REUSED" and list(field_violations(err.value)) == ["text"]
    again, replayed = send_with_call(chat, seller, thread_id, "Здравствуйте! Отправим заказ завтра.", "R")
    assert again == first and again.created and replayed  # the first answer, marked as a replay
    # Let the events settle: another shop's blocked message, stored after all of the above, is
    # recorded once moderation has consumed everything the chat published before it.
    witness_thread = open_order(chat, buyer, witness)
    assert send(chat, witness, witness_thread, f"Звоните: {PHONE}").message.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    eventually(lambda: standing(moderation, witness), lambda r: r.strikes_total == 1, what="the witness's strike")
    mine = standing(moderation, seller)
    assert (mine.strikes_total, list(mine.penalties)) == (0, []), "no strike and no fine for a text that was never stored"
    listed = chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id), metadata=md(seller)).messages
    assert [m.text for m in listed] == ["Здравствуйте! Отправим заказ завтра."]


def suspended_or_sent(chat, who: As, thread_id: str) -> str:
    try:
        send(chat, who, thread_id, "Здравствуйте! Уточните, пожалуйста, удобное время доставки.")
    except grpc.RpcError as error:
        return f"{error.code().name} {error_info(error).reason}"
    return "sent"


def test_a_shop_with_five_strikes_cannot_send_through_any_of_its_sellers_while_the_buyer_still_can(stubs):
    chat, moderation = stubs["chat"], stubs["moderation"]
    buyer, seller = fresh(Role.BUYER, "b-susp"), fresh(Role.SELLER, "s-susp")
    colleague = As(Role.SELLER, f"{seller.user_id}-colleague", seller.shop_id)
    thread_id = open_order(chat, buyer, seller)
    for n in range(5):
        sent = send(chat, seller, thread_id, f"Позвоните мне по номеру +7 912 345-67-8{n}")
        assert sent.message.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    suspended_at = eventually(lambda: standing(moderation, seller), lambda r: r.standing == moderation_pb2.STANDING_SUSPENDED,
                              what="the shop's suspension after five strikes")
    assert suspended_at.strikes_in_window == 5
    seen_suspended = time.monotonic()
    eventually(lambda: suspended_or_sent(chat, seller, thread_id), lambda r: r == "FAILED_PRECONDITION SENDER_SUSPENDED",
               timeout=10, what="the chat refusing the suspended shop's seller")
    took = time.monotonic() - seen_suspended
    assert took < 5, f"the suspension took {took:.1f} s to reach the chat"

    with pytest.raises(grpc.RpcError) as err:
        send(chat, colleague, thread_id, "Здравствуйте! Это другой менеджер магазина.")
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(err.value)
    assert info.reason == "SENDER_SUSPENDED" and info.metadata["suspended_party"] == f"shop:{seller.shop_id}"
    until = dt.datetime.fromisoformat(info.metadata["suspended_until"].replace("Z", "+00:00"))
    assert until > dt.datetime.now(dt.UTC) and info.metadata["suspended_until"] in err.value.details()

    sent = send(chat, buyer, thread_id, "Здравствуйте! Когда будет доставка?")
    assert sent.message.status == chat_pb2.MESSAGE_STATUS_DELIVERED


def test_a_held_message_approved_after_its_thread_closed_stays_undelivered_and_its_sender_sees_why(stubs):
    chat, moderation, notify = stubs["chat"], stubs["moderation"], stubs["notify"]
    buyer, seller = fresh(Role.BUYER, "b-late"), fresh(Role.SELLER, "s-late")
    thread_id = open_order(chat, buyer, seller)
    text, request_id = "Здравствуйте! Склад маркетплейса дно, сами виноваты, не вы", uuid.uuid4().hex
    first, replayed = send_with_call(chat, buyer, thread_id, text, request_id)
    assert first.created and not replayed
    held = first.message
    assert held.status == chat_pb2.MESSAGE_STATUS_HELD
    item = eventually(lambda: moderation.ListReviewQueue(moderation_pb2.ListReviewQueueRequest(page_size=100), metadata=md(MODERATOR)),
                      lambda r: any(i.message_id == held.message_id for i in r.items), what="the held message in the queue")
    review_id = next(i.review_id for i in item.items if i.message_id == held.message_id)
    chat.CloseThread(chat_pb2.CloseThreadRequest(thread_id=thread_id, reason="Вопрос решен"), metadata=md(seller))
    moderation.ResolveReview(moderation_pb2.ResolveReviewRequest(review_id=review_id, decision=moderation_pb2.REVIEW_DECISION_APPROVE),
                             metadata=md(MODERATOR))

    def status_of(reply):
        return {m.message_id: m for m in reply.messages}[held.message_id]

    mine = eventually(lambda: chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id), metadata=md(buyer)),
                      lambda r: status_of(r).status != chat_pb2.MESSAGE_STATUS_HELD, what="the decision reaching the chat")
    assert status_of(mine).status == chat_pb2.MESSAGE_STATUS_UNDELIVERED and "закрыт" in status_of(mine).status_reason
    assert not chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id), metadata=md(seller)).messages
    thread = chat.GetThread(chat_pb2.GetThreadRequest(thread_id=thread_id), metadata=md(seller)).thread
    assert thread.unread_count == 0 and thread.status == chat_pb2.THREAD_STATUS_CLOSED
    # a retry of the send is answered as the send was (HELD), whatever became of the message since
    retry, replayed = send_with_call(chat, buyer, thread_id, text, request_id)
    assert retry == first and retry.created and replayed
    # the sender's party is told (notify reads chat's message.undelivered)
    told = eventually(lambda: notify.ListNotifications(notify_pb2.ListNotificationsRequest(page_size=100), metadata=md(buyer)),
                      lambda r: any(n.kind == notify_pb2.NOTIFICATION_KIND_MESSAGE_UNDELIVERED for n in r.notifications),
                      what="the undelivered message told to its sender")
    [note] = [n for n in told.notifications if n.kind == notify_pb2.NOTIFICATION_KIND_MESSAGE_UNDELIVERED]
    assert note.thread_id == thread_id and note.recipient == f"user:{buyer.user_id}" and "закрыт" in note.body
    seller_inbox = notify.ListNotifications(notify_pb2.ListNotificationsRequest(page_size=100), metadata=md(seller)).notifications
    assert not [n for n in seller_inbox if n.kind == notify_pb2.NOTIFICATION_KIND_MESSAGE_UNDELIVERED]


def test_a_moderator_lifting_the_suspension_lets_the_shop_write_again_within_seconds(stubs):
    chat, moderation = stubs["chat"], stubs["moderation"]
    buyer, seller = fresh(Role.BUYER, "b-lift"), fresh(Role.SELLER, "s-lift")
    thread_id = open_order(chat, buyer, seller)
    for n in range(5):
        send(chat, seller, thread_id, f"Мой телефон +7 912 345-67-8{n}, звоните")
    eventually(lambda: suspended_or_sent(chat, seller, thread_id), lambda r: r == "FAILED_PRECONDITION SENDER_SUSPENDED",
               what="the suspension reaching the chat")
    moderation.LiftSuspension(moderation_pb2.LiftSuspensionRequest(request_id="lift-1", shop_id=seller.shop_id,
                                                                   reason="Продавец исправился"), metadata=md(MODERATOR))
    lifted = time.monotonic()
    eventually(lambda: suspended_or_sent(chat, seller, thread_id), lambda r: r == "sent", timeout=10, what="the early end reaching the chat")
    assert time.monotonic() - lifted < 5


def appeal_and_reverse(moderation, seller: As, message_id: str) -> None:
    appeal = moderation.AppealDecision(moderation_pb2.AppealDecisionRequest(
        request_id=f"ap-{message_id}", message_id=message_id, reason="Это номер заказа, а не телефон"), metadata=md(seller)).appeal
    moderation.ResolveReview(moderation_pb2.ResolveReviewRequest(review_id=appeal.review_id, decision=moderation_pb2.REVIEW_DECISION_REVERSE,
                                                                 comment="Блокировка ошибочна"), metadata=md(MODERATOR))


def test_a_block_reversed_on_appeal_is_delivered_into_an_open_thread_and_not_into_a_closed_one(stubs):
    chat, moderation = stubs["chat"], stubs["moderation"]
    buyer, seller = fresh(Role.BUYER, "b-appeal"), fresh(Role.SELLER, "s-appeal")
    open_thread, closed_thread = open_order(chat, buyer, seller), open_order(chat, buyer, seller)
    text = f"Здравствуйте! Позвоните мне: {PHONE}"
    in_open, in_closed = (send(chat, seller, t, text).message for t in (open_thread, closed_thread))
    assert in_open.status == in_closed.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    eventually(lambda: standing(moderation, seller), lambda r: r.strikes_total == 2, what="both strikes recorded")
    chat.CloseThread(chat_pb2.CloseThreadRequest(thread_id=closed_thread), metadata=md(buyer))
    for message in (in_open, in_closed):
        appeal_and_reverse(moderation, seller, message.message_id)

    delivered = eventually(lambda: chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=open_thread), metadata=md(buyer)).messages,
                           lambda ms: len(ms) == 1, what="the reversed block delivered to the buyer")
    assert (delivered[0].message_id, delivered[0].status, delivered[0].text) == (in_open.message_id, chat_pb2.MESSAGE_STATUS_DELIVERED, text)
    assert chat.GetThread(chat_pb2.GetThreadRequest(thread_id=open_thread), metadata=md(buyer)).thread.unread_count == 1

    def seller_view():
        return chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=closed_thread), metadata=md(seller)).messages[0]

    undelivered = eventually(seller_view, lambda m: m.status != chat_pb2.MESSAGE_STATUS_BLOCKED, what="the reversal in the closed thread")
    assert undelivered.status == chat_pb2.MESSAGE_STATUS_UNDELIVERED and "Обжалование" in undelivered.status_reason
    assert not chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=closed_thread), metadata=md(buyer)).messages
    assert standing(moderation, seller).strikes_total == 0
