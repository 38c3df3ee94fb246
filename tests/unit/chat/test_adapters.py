"""The edges without I/O: domain events -> protobuf events with their recipients and subjects, and
the live feed's fan-out by the thread's participants."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from prilavok.chat.v1 import chat_pb2, events_pb2
from prilavok.common.v1 import common_pb2
from prilavok_platform.config import ConfigError
from prilavok_platform.identity import Identity, Party, Role
from services.chat.adapters.event_hub import ChatEventHub, decode
from services.chat.adapters.event_mapper import map_event
from services.chat.bootstrap import load_settings
from services.chat.domain import conversation
from services.chat.domain.commands import CreateThread
from services.chat.domain.model import ModerationAction, ModerationDecision, Side, ThreadKind
from services.chat.domain.threads import open_thread
from tests.unit.chat.fakes import POLICY

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
BUYER, SELLER = Identity("b1", Role.BUYER), Identity("u1", Role.SELLER, "s1")


def delivered_event():
    thread, _ = open_thread(CreateThread(BUYER, "r", ThreadKind.ORDER, order_id="o1", shop_id="s1"), NOW, POLICY)
    message = conversation.moderated_message(message_id="m1", thread_id=thread.thread_id, sender=BUYER, side=Side.BUYER, text="Здравствуйте",
                                             attachment_ids=(), decision=ModerationDecision(ModerationAction.ALLOW), at=NOW)
    return conversation.accept_message(thread, message, POLICY)


def test_events_map_to_their_subjects_with_recipients_and_participants():
    out = map_event(delivered_event(), "e1")
    assert out.name == "message.delivered" and isinstance(out.message, events_pb2.MessageDelivered)
    assert out.message.event_id == "e1" and out.message.message.seq == 1
    assert [(r.kind, r.id) for r in out.message.recipients] == [(common_pb2.PARTY_KIND_SHOP, "s1")]
    assert {(p.kind, p.id) for p in out.message.thread.participants} == {(common_pb2.PARTY_KIND_USER, "b1"), (common_pb2.PARTY_KIND_SHOP, "s1")}
    closed = conversation.close(delivered_event().thread, SELLER, "готово", NOW)
    assert map_event(closed, "e2").name == "thread.closed"


async def test_the_live_feed_reaches_the_threads_parties_and_staff_following_it():
    event = map_event(delivered_event(), "e1").message
    item, thread_id, parties = decode(events_pb2.MessageDelivered.DESCRIPTOR.full_name, event.SerializeToString())
    assert parties == {Party.user("b1"), Party.shop("s1")}
    hub = ChatEventHub()
    seller = hub.subscribe(Party.shop("s1"), all_of_thread=False, thread_id="")
    stranger = hub.subscribe(Party.shop("s9"), all_of_thread=False, thread_id="")
    moderator = hub.subscribe(Party.user("m1"), all_of_thread=True, thread_id=thread_id)
    hub.publish_local(item, thread_id, parties)
    assert isinstance(await seller.next(0.1), chat_pb2.StreamEventsResponse)
    assert await stranger.next(0.01) is None
    assert (await moderator.next(0.1)).message_delivered.message_id == "m1"
    seller.close()
    hub.publish_local(item, thread_id, parties)
    await asyncio.sleep(0)
    assert seller.queue.empty()


def test_settings_load_the_shipped_policy_and_name_a_broken_one(tmp_path):
    env = {"MONGODB_URI": "mongodb://x", "NATS_URL": "nats://x"}
    assert load_settings(env).policy.current.seller_reply_hours == 240
    broken = tmp_path / "chat.yaml"
    broken.write_text("version: 1\nlimits: {}\n")
    with pytest.raises(ConfigError) as err:
        load_settings({**env, "PRILAVOK_POLICY_FILE": str(broken)})
    assert "chat.yaml" in str(err.value)
