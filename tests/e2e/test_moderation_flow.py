"""Held messages go through the moderators' queue (an approval takes the strike back); strikes
come from the messages the chat stored; bad bytes get INVALID_ARGUMENT."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import grpc
import nats
import pytest

from prilavok.chat.v1 import chat_pb2
from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2
from prilavok.notify.v1 import notify_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from prilavok_platform.nats import event_headers, inbox_prefix
from prilavok_platform.protobuf import timestamp
from tests.e2e.conftest import eventually, field_violations, md

pytestmark = pytest.mark.e2e
MODERATOR = As(Role.MODERATOR, "mod-1")


def _suffix() -> str:
    """Identities of their own per test, so strikes never leak into another test or file."""
    return uuid.uuid4().hex[:8]


def test_held_message_is_delivered_on_approval_and_stays_blocked_on_rejection(stubs):
    chat, moderation, notify = stubs["chat"], stubs["moderation"], stubs["notify"]
    suffix = _suffix()
    seller = As(Role.SELLER, f"u-rev-{suffix}", f"shop-rev-{suffix}")
    buyer = As(Role.BUYER, f"b-rev-{suffix}")
    thread = chat.CreateThread(chat_pb2.CreateThreadRequest(request_id="r", kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"o-rev-{suffix}",
                                                            shop_id=seller.shop_id), metadata=md(buyer)).thread
    chat.SendMessage(chat_pb2.SendMessageRequest(request_id="b1", thread_id=thread.thread_id, text="Здравствуйте! Почему так долго?"),
                     metadata=md(buyer))
    held = []
    for n, text in enumerate(["Здравствуйте! Это ПВЗ криворукие, задержали посылку", "Склад маркетплейса дно, сами виноваты, не мы"]):
        sent = chat.SendMessage(chat_pb2.SendMessageRequest(request_id=f"h{n}", thread_id=thread.thread_id, text=text), metadata=md(seller))
        assert sent.message.status == chat_pb2.MESSAGE_STATUS_HELD and sent.moderation.action == moderation_pb2.ACTION_REVIEW
        held.append(sent.message)
    assert [m.seq for m in chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread.thread_id), metadata=md(buyer)).messages] == [1]

    with pytest.raises(grpc.RpcError) as err:
        moderation.ListReviewQueue(moderation_pb2.ListReviewQueueRequest(), metadata=md(seller))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    queue = eventually(lambda: moderation.ListReviewQueue(moderation_pb2.ListReviewQueueRequest(page_size=100), metadata=md(MODERATOR)),
                       lambda r: {m.message_id for m in held} <= {i.message_id for i in r.items})
    items = {i.message_id: i for i in queue.items}
    approve, reject = items[held[0].message_id], items[held[1].message_id]
    assert moderation_pb2.CATEGORY_DISPARAGEMENT in [v.category for v in approve.verdict.violations]

    moderation.ResolveReview(moderation_pb2.ResolveReviewRequest(review_id=approve.review_id, decision=moderation_pb2.REVIEW_DECISION_APPROVE),
                             metadata=md(MODERATOR))
    moderation.ResolveReview(moderation_pb2.ResolveReviewRequest(review_id=reject.review_id, decision=moderation_pb2.REVIEW_DECISION_REJECT,
                                                                 comment="Не обсуждайте работу маркетплейса в чате"), metadata=md(MODERATOR))
    with pytest.raises(grpc.RpcError) as err:
        moderation.ResolveReview(moderation_pb2.ResolveReviewRequest(review_id=approve.review_id, decision=moderation_pb2.REVIEW_DECISION_REJECT),
                                 metadata=md(MODERATOR))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    # the approved message was no violation: only the rejected one still counts against the shop
    standing = moderation.GetSenderStanding(moderation_pb2.GetSenderStandingRequest(), metadata=md(seller))
    assert (standing.standing, standing.strikes_total) == (moderation_pb2.STANDING_WARNING, 1)

    buyer_view = eventually(lambda: chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread.thread_id), metadata=md(buyer)),
                            lambda r: len(r.messages) == 2)
    assert [m.message_id for m in buyer_view.messages] == [held[0].message_id, buyer_view.messages[1].message_id]
    assert buyer_view.messages[0].status == chat_pb2.MESSAGE_STATUS_DELIVERED
    def rejected_status(reply):
        return {m.message_id: m.status for m in reply.messages}[held[1].message_id]

    seller_view = eventually(lambda: chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread.thread_id), metadata=md(seller)),
                             lambda r: rejected_status(r) != chat_pb2.MESSAGE_STATUS_HELD)
    assert rejected_status(seller_view) == chat_pb2.MESSAGE_STATUS_BLOCKED
    told = eventually(lambda: notify.ListNotifications(notify_pb2.ListNotificationsRequest(), metadata=md(seller)),
                      lambda r: any("Не обсуждайте" in n.body for n in r.notifications))
    assert any(n.kind == notify_pb2.NOTIFICATION_KIND_MESSAGE_BLOCKED and "Не обсуждайте" in n.body for n in told.notifications)


def test_invalid_utf8_and_unknown_role_are_invalid_argument(suite):
    request = moderation_pb2.CheckMessageRequest(sender_role=common_pb2.ROLE_BUYER, sender_id="b", text="zzzz").SerializeToString()
    broken = request.replace(b"zzzz", b"\xff\xfe\xfd\xfc")
    with grpc.insecure_channel(suite.address("moderation")) as channel:
        call = channel.unary_unary("/prilavok.moderation.v1.ModerationService/CheckMessage",
                                   request_serializer=lambda raw: raw, response_deserializer=moderation_pb2.CheckMessageResponse.FromString)
        with pytest.raises(grpc.RpcError) as err:
            call(broken, metadata=md(MODERATOR))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field_violations(err.value) == {"text": "is not valid UTF-8"}
        with pytest.raises(grpc.RpcError) as err:
            call(moderation_pb2.CheckMessageRequest(sender_role=99, text="привет").SerializeToString(), metadata=md(MODERATOR))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "sender_role" in field_violations(err.value)
        with pytest.raises(grpc.RpcError) as err:
            call(moderation_pb2.CheckMessageRequest(sender_role=common_pb2.ROLE_BUYER, text="я" * 4001).SerializeToString(), metadata=md(MODERATOR))
        assert "4000" in field_violations(err.value)["text"]


def test_an_unknown_review_status_is_invalid_argument_naming_status(stubs):
    with pytest.raises(grpc.RpcError) as err:
        stubs["moderation"].ListReviewQueue(moderation_pb2.ListReviewQueueRequest(status=42), metadata=md(MODERATOR))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "status" in field_violations(err.value)


def test_a_blocked_message_is_a_strike_of_the_shop_and_a_check_records_nothing(stubs):
    chat, moderation, suffix = stubs["chat"], stubs["moderation"], _suffix()
    seller = As(Role.SELLER, f"u-st-{suffix}", f"shop-st-{suffix}")
    buyer = As(Role.BUYER, f"b-st-{suffix}")
    contact = "Пишите в телеграм @shop_st, там дешевле"
    # a seller may check a draft of their own (nothing is recorded), not another shop's
    draft = moderation_pb2.CheckMessageRequest(sender_role=common_pb2.ROLE_SELLER, sender_id=seller.user_id, shop_id=seller.shop_id, text=contact)
    assert moderation.CheckMessage(draft, metadata=md(seller)).verdict.action == moderation_pb2.ACTION_BLOCK
    with pytest.raises(grpc.RpcError) as err:
        moderation.CheckMessage(moderation_pb2.CheckMessageRequest(sender_role=common_pb2.ROLE_SELLER, shop_id="someone-else", text=contact),
                                metadata=md(seller))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    thread = chat.CreateThread(chat_pb2.CreateThreadRequest(kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"o-st-{suffix}", shop_id=seller.shop_id),
                               metadata=md(buyer)).thread
    sent = chat.SendMessage(chat_pb2.SendMessageRequest(request_id="c1", thread_id=thread.thread_id, text=contact), metadata=md(seller))
    assert sent.message.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    standing = eventually(lambda: moderation.GetSenderStanding(moderation_pb2.GetSenderStandingRequest(), metadata=md(seller)),
                          lambda r: r.strikes_total >= 1, what="the strike recorded from the chat's event")
    assert (standing.shop_id, standing.standing, standing.strikes_in_window, standing.strikes_total) == (
        seller.shop_id, moderation_pb2.STANDING_WARNING, 1, 1), "one strike: the message the chat stored, not the draft"
    assert [(p.message_id, p.fine.amount_minor) for p in standing.penalties] == [(sent.message.message_id, 2_500_000)]
    with pytest.raises(grpc.RpcError) as err:
        moderation.GetSenderStanding(moderation_pb2.GetSenderStandingRequest(shop_id="someone-else"), metadata=md(seller))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:  # a seller's standing is the shop's: sender_id is refused, not ignored
        moderation.GetSenderStanding(moderation_pb2.GetSenderStandingRequest(sender_id=seller.user_id), metadata=md(seller))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "sender_id" in err.value.details()


def _publish_as_chat(suite, event: chat_events.MessageBlocked, name: str) -> None:
    """Publishes onto the chat's stream as the chat's outbox relay would (as the chat's NATS user,
    with the type and producer headers and the message id)."""
    async def publish() -> None:
        nc = await nats.connect(suite.nats_client_url("chat"), inbox_prefix=inbox_prefix("chat"))
        try:
            headers = {**event_headers(event, "chat"), "Nats-Msg-Id": event.event_id}
            await nc.jetstream().publish(f"{suite.config.subject_prefix}.chat.message.{name}", event.SerializeToString(), headers=headers)
        finally:
            await nc.close()

    asyncio.run(publish())


def test_a_message_the_chat_stored_is_recorded_from_its_event_once(suite, stubs):
    """Moderation records what the chat stored (its message events), whatever the chat asked of it
    before storing: a blocked contact exchange is one strike and one fine, also when told again."""
    moderation, suffix = stubs["moderation"], _suffix()
    seller = As(Role.SELLER, f"u-ev-{suffix}", f"shop-ev-{suffix}")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    shop = common_pb2.Party(kind=common_pb2.PARTY_KIND_SHOP, id=seller.shop_id)
    thread = chat_pb2.Thread(thread_id=f"t-ev-{suffix}", kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"o-ev-{suffix}",
                             shop_id=seller.shop_id, buyer_id=f"b-ev-{suffix}")

    def blocked(message_id: str, event_id: str) -> chat_events.MessageBlocked:
        message = chat_pb2.Message(
            message_id=message_id, thread_id=thread.thread_id, seq=2, text="Пишите в телеграм @shop_ev",
            sender=common_pb2.Actor(role=common_pb2.ROLE_SELLER, user_id=seller.user_id, shop_id=seller.shop_id),
            status=chat_pb2.MESSAGE_STATUS_BLOCKED, created_at=timestamp(now),
            moderation=chat_pb2.ModerationOutcome(action=moderation_pb2.ACTION_BLOCK, reason="Контакты вне площадки",
                                                  categories=[moderation_pb2.CATEGORY_CONTACT_EXCHANGE], policy_version="e2e"))
        return chat_events.MessageBlocked(event_id=event_id, occurred_at=timestamp(now), thread=thread, message=message,
                                          recipients=[shop])

    first, second = f"m-ev-{suffix}-1", f"m-ev-{suffix}-2"
    _publish_as_chat(suite, blocked(first, f"ev-{suffix}-1"), "blocked")
    eventually(lambda: moderation.GetSenderStanding(moderation_pb2.GetSenderStandingRequest(), metadata=md(seller)),
               lambda r: r.strikes_total >= 1, what="the strike recorded from the chat's event")
    # the same message told again (another event id), then another message: the consumer takes them in order
    _publish_as_chat(suite, blocked(first, f"ev-{suffix}-1-again"), "blocked")
    _publish_as_chat(suite, blocked(second, f"ev-{suffix}-2"), "blocked")
    standing = eventually(lambda: moderation.GetSenderStanding(moderation_pb2.GetSenderStandingRequest(), metadata=md(seller)),
                          lambda r: r.strikes_total >= 2, what="the second message's strike")
    assert (standing.standing, standing.strikes_total) == (moderation_pb2.STANDING_WARNING, 2)
    assert sorted((p.message_id, p.fine.amount_minor) for p in standing.penalties) == [(first, 2_500_000), (second, 2_500_000)]
    assert standing.updated_at.ToDatetime(tzinfo=dt.UTC) == now
