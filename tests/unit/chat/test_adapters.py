"""The edges without I/O: domain events -> protobuf events (recipients, subjects, and what
moderation needs to record a violation), moderation's verdict -> a decision, the thread's
visible fields, the live feed's fan-out through the dispatcher, and policy loading."""
from __future__ import annotations

import datetime as dt

import pytest

from prilavok.chat.v1 import events_pb2
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok_platform.config import ConfigError
from prilavok_platform.errors import InvalidArgument, ResourceExhausted
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.live import LiveHub
from prilavok_platform.nats import EVENT_TYPE_HEADER
from services.chat.adapters.event_hub import ChatEventHub
from services.chat.adapters.event_mapper import map_event
from services.chat.adapters.moderation_client import decision_from_pb
from services.chat.adapters.protos import live_item_to_pb, message_from_pb, thread_from_pb, thread_to_pb
from services.chat.bootstrap import load_settings
from services.chat.domain import access, conversation
from services.chat.domain.commands import CreateThread
from services.chat.domain.live import MessageArrived, ReadReceipt, ThreadChanged
from services.chat.domain.model import Category, ModerationAction, ModerationDecision, Side, SupportTopic, ThreadKind
from services.chat.domain.threads import requested_thread
from tests.unit.chat.fakes import POLICY

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
BUYER, SELLER = Identity("b1", Role.BUYER), Identity("u1", Role.SELLER, "s1")
MODERATOR = Identity("m1", Role.MODERATOR)


def sent(decision=None, text="Здравствуйте", sender=BUYER, side=Side.BUYER):
    thread = requested_thread(CreateThread(BUYER, "", ThreadKind.ORDER, order_id="o1", shop_id="s1"), NOW, POLICY)
    message = conversation.moderated_message(message_id="m1", thread_id=thread.thread_id, sender=sender, side=side, text=text,
                                             attachment_ids=(), decision=decision or ModerationDecision(ModerationAction.ALLOW), at=NOW)
    return conversation.accept_message(thread, message, POLICY)


def test_events_map_to_their_subjects_with_recipients_and_participants():
    out = map_event(sent(), "e1")
    assert out.name == "message.delivered" and isinstance(out.message, events_pb2.MessageDelivered)
    assert out.message.event_id == "e1" and out.message.message.seq == 1
    assert [(r.kind, r.id) for r in out.message.recipients] == [(common_pb2.PARTY_KIND_SHOP, "s1")]
    assert {(p.kind, p.id) for p in out.message.thread.participants} == {(common_pb2.PARTY_KIND_USER, "b1"), (common_pb2.PARTY_KIND_SHOP, "s1")}
    closed = conversation.close(sent().thread, SELLER, "готово", NOW)
    out = map_event(closed, "e2")
    assert out.name == "thread.closed" and out.message.thread.close_reason == "готово"
    assert out.message.thread.closed_by.user_id == "u1"


@pytest.mark.parametrize(("action", "name", "delivered_text"), [
    (ModerationAction.MASK, "message.delivered", "мой номер ***"),
    (ModerationAction.REVIEW, "message.held", "мой номер 89001234567"),
    (ModerationAction.BLOCK, "message.blocked", ""),
])
def test_message_events_carry_what_moderation_records_from(action, name, delivered_text):
    """Moderation records strikes from these events, so each names the message, its thread, the
    sender and the outcome; only a held message (for its reviewer) carries the original text, once,
    in message.text: a delivered masked or a blocked message's event never holds the number."""
    decision = ModerationDecision(action, (Category.CONTACT_EXCHANGE,), "контакты", "мой номер ***", "p7")
    out = map_event(sent(decision, "мой номер 89001234567", SELLER, Side.SELLER), "e1")
    event = out.message
    assert out.name == name
    assert "moderated_text" not in event.DESCRIPTOR.fields_by_name, "the original travels once, as message.text"
    payload = event.SerializeToString()
    if action is ModerationAction.REVIEW:
        assert payload.count(b"89001234567") == 1
    else:
        assert b"89001234567" not in payload
    assert event.message.text == delivered_text
    assert event.message.message_id == "m1" and event.message.thread_id == event.thread.thread_id
    assert (event.message.sender.role, event.message.sender.user_id, event.message.sender.shop_id) == (common_pb2.ROLE_SELLER, "u1", "s1")
    outcome = event.message.moderation
    assert (outcome.action, list(outcome.categories), outcome.reason, outcome.policy_version) == (
        mpb.Action.Value(f"ACTION_{action.name}"), [mpb.CATEGORY_CONTACT_EXCHANGE], "контакты", "p7")


def test_a_verdict_maps_through_enum_mappings_and_fails_closed_on_an_unknown_action():
    verdict = mpb.Verdict(action=mpb.ACTION_MASK, reason="контакты", masked_text="***", policy_version="p1", violations=[
        mpb.Violation(category=mpb.CATEGORY_CONTACT_EXCHANGE), mpb.Violation(category=mpb.CATEGORY_CONTACT_EXCHANGE),
        mpb.Violation(category=mpb.CATEGORY_PERSONAL_DATA), mpb.Violation(category=99),
    ])
    decision = decision_from_pb(verdict)
    assert decision == ModerationDecision(ModerationAction.MASK, (Category.CONTACT_EXCHANGE, Category.PERSONAL_DATA), "контакты", "***", "p1")
    assert decision_from_pb(mpb.Verdict(action=42)).action is ModerationAction.BLOCK
    assert decision_from_pb(mpb.Verdict()).action is ModerationAction.BLOCK  # unspecified is no verdict to deliver on


def test_the_thread_shows_its_rating_comment_and_why_and_by_whom_it_was_closed():
    thread = sent().thread
    conversation.close(thread, SELLER, "Вопрос решен", NOW)
    thread.rating_comment = "Спасибо"
    out = thread_to_pb(thread, Side.BUYER)
    assert (out.close_reason, out.closed_by.user_id, out.closed_by.shop_id, out.rating_comment) == ("Вопрос решен", "u1", "s1", "Спасибо")
    assert not thread_to_pb(sent().thread).HasField("closed_by")


def test_events_read_back_into_the_live_items_the_stream_shows_unchanged():
    """The live stream decodes chat's events into domain items and the entry point encodes them
    again: what a client sees is exactly what the event carried."""
    topic = SupportTopic("Приемка товара", "Акт", {"supply": "WB-1"})
    support = requested_thread(CreateThread(SELLER, "r1", ThreadKind.SUPPORT, support=topic, linked_thread_id="t-0"), NOW, POLICY)
    conversation.close(support, Identity("agent", Role.SUPPORT), "Решено", NOW)
    for thread in (sent().thread, support):
        wire = thread_to_pb(thread)
        assert live_item_to_pb(ThreadChanged(thread_from_pb(wire))).thread_changed == wire
    decision = ModerationDecision(ModerationAction.MASK, (Category.CONTACT_EXCHANGE,), "контакты", "мой номер ***", "p7")
    event = map_event(sent(decision, "мой номер 89001234567"), "e1").message
    message = message_from_pb(event.message, thread_from_pb(event.thread))
    assert message.sender_side is Side.BUYER and message.text == "мой номер ***"
    assert live_item_to_pb(MessageArrived(message)).message_delivered == event.message
    broken = thread_to_pb(sent().thread)
    del broken.participants[1]
    with pytest.raises(InvalidArgument):
        thread_from_pb(broken)
    stranger = map_event(sent(sender=Identity("b9", Role.BUYER)), "e2").message
    with pytest.raises(InvalidArgument):
        message_from_pb(stranger.message, thread_from_pb(stranger.thread))


class Msg:
    def __init__(self, event=None, *, data: bytes | None = None, event_type: str | None = None):
        # As chat's outbox relay sends them: the type and the producer (prilavok_platform.nats.PRODUCER_HEADER).
        self.headers = {EVENT_TYPE_HEADER: event.DESCRIPTOR.full_name if event_type is None else event_type, "Prilavok-Producer": "chat"}
        self.data = event.SerializeToString() if data is None else data
        self.subject = "t.chat.x"


async def test_the_live_feed_reaches_recipients_the_senders_party_and_staff_following_the_thread():
    event = map_event(sent(), "e1").message
    thread = sent().thread
    hub = ChatEventHub()
    seller = hub.follow(access.may_follow(SELLER, None))
    buyer_here = hub.follow(access.may_follow(BUYER, thread))
    buyer_elsewhere = hub.follow(access.Following(Party.user("b1"), "another-thread"))
    stranger = hub.follow(access.Following(Party.shop("s9")))
    moderator = hub.follow(access.may_follow(MODERATOR, thread))
    await hub.on_message(Msg(event))
    assert (await seller.next(0.1)).message.message_id == "m1"
    assert (await buyer_here.next(0.1)).message.message_id == "m1"  # the sender's other sessions
    assert (await moderator.next(0.1)).message.message_id == "m1"
    assert await buyer_elsewhere.next(0.01) is None and await stranger.next(0.01) is None
    read = map_event(conversation.mark_read(thread, SELLER, Side.SELLER, 1, 0, NOW) or pytest.fail("no receipt"), "e2").message
    seller.close()
    await hub.on_message(Msg(read))
    receipt = await buyer_here.next(0.1)
    assert isinstance(receipt, ReadReceipt) and (receipt.reader, receipt.up_to_seq) == (SELLER, 1)
    # Undecodable data and events without a type header are logged, never raised into NATS.
    await hub.on_message(Msg(data=b"\xff\xff", event_type=events_pb2.MessageDelivered.DESCRIPTOR.full_name))
    await hub.on_message(Msg(event, event_type=""))
    assert await stranger.next(0.01) is None
    # A close reaches the other side as the thread changed, closer named.
    await hub.on_message(Msg(map_event(conversation.close(thread, SELLER, "Готово", NOW), "e3").message))
    changed = await buyer_here.next(0.1)
    assert isinstance(changed, ThreadChanged) and (changed.thread.closed_by, changed.thread.close_reason) == (SELLER, "Готово")


async def test_a_stream_that_falls_behind_is_told_to_reconnect():
    hub = ChatEventHub(LiveHub(queue_limit=1))
    feed = hub.follow(access.Following(Party.shop("s1")))
    event = map_event(sent(), "e1").message
    await hub.on_message(Msg(event))
    await hub.on_message(Msg(event))
    with pytest.raises(ResourceExhausted) as err:
        await feed.next(0.1)
    assert err.value.reason == "STREAM_OVERFLOW"


def test_settings_load_the_shipped_policy_and_name_a_broken_one(tmp_path):
    env = {"MONGODB_URI": "mongodb://x", "NATS_URL": "nats://x"}
    assert load_settings(env).policy.current.seller_reply_hours == 240
    broken = tmp_path / "chat.yaml"
    broken.write_text("version: 1\nlimits: {}\n")
    with pytest.raises(ConfigError) as err:
        load_settings({**env, "PRILAVOK_POLICY_FILE": str(broken)})
    assert "PRILAVOK_POLICY_FILE" in str(err.value) and "chat.yaml" in str(err.value)
