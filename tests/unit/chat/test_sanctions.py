"""Sanctions in chat, over fakes: suspensions from moderation's StandingChanged (chat's own read
model, looked up in memory on each send), request ids that check their payload, and messages a
moderator cleared (a held message approved, a block reversed on appeal) after their thread closed."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import pathlib
import uuid

import pytest
import yaml

from prilavok.chat.v1 import chat_pb2
from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.errors import FailedPrecondition, InvalidArgument
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage, TransientError
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.protobuf import timestamp
from services.chat.adapters.event_mapper import map_event
from services.chat.domain import commands as c
from services.chat.domain import conversation
from services.chat.domain import events as e
from services.chat.domain.model import (
    AttachmentMeta,
    Category,
    ChatPolicy,
    InitiationReason,
    Message,
    MessageStatus,
    ModerationAction,
    ModerationDecision,
    Side,
    Standing,
    SupportTopic,
    ThreadKind,
)
from services.chat.domain.standing import ActiveSuspensions, Suspension, rfc3339, writer_parties
from services.chat.domain.threads import requested_thread
from services.chat.entrypoints.consumers import appeal_dispatcher, moderation_dispatcher, standing_dispatcher
from services.chat.service_layer.handlers import ChatHandlers
from tests.unit.chat.fakes import POLICY, world

BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u1", Role.SELLER, "s1")
COLLEAGUE = Identity("u2", Role.SELLER, "s1")
DEFAULT_POLICY = pathlib.Path(__file__).resolve().parents[3] / "services" / "chat" / "default_policy.yaml"


def rid() -> str:
    return uuid.uuid4().hex


async def order_thread(w, order_id="o1"):
    view, *_ = await w.handlers.create_thread(c.CreateThread(BUYER, rid(), ThreadKind.ORDER, order_id=order_id, shop_id="s1"))
    return view.thread


async def send(w, who, thread_id, text="Здравствуйте", request_id=None):
    return await w.handlers.send_message(c.SendMessage(who, thread_id, request_id or rid(), text))


def suspended(w, party: Party, days: int = 7, *, ago: dt.timedelta = dt.timedelta(0), event_id: str = "ev-s",
              version: int = 0) -> c.NoteStanding:
    at = w.clock.now() - ago
    return c.NoteStanding(event_id, at, party, Standing.RESTRICTED, Standing.SUSPENDED, at + dt.timedelta(days=days), version)


def released(w, party: Party, *, ago: dt.timedelta = dt.timedelta(0), event_id: str = "ev-r", version: int = 0) -> c.NoteStanding:
    return c.NoteStanding(event_id, w.clock.now() - ago, party, Standing.SUSPENDED, Standing.RESTRICTED, standing_version=version)


async def refused(coroutine) -> FailedPrecondition:
    with pytest.raises(FailedPrecondition) as err:
        await coroutine
    assert err.value.reason == "SENDER_SUSPENDED"
    return err.value


# --- suspensions -----------------------------------------------------------------------------

async def test_a_suspended_shop_cannot_send_through_any_of_its_sellers_and_the_buyer_still_can():
    w = world()
    thread = await order_thread(w)
    notice = suspended(w, Party.shop("s1"))
    assert await w.handlers.note_standing(notice) is True
    for seller in (SELLER, COLLEAGUE):
        error = await refused(send(w, seller, thread.thread_id))
        assert error.metadata == {"suspended_until": "2026-11-09T09:00:00Z", "suspended_party": "shop:s1"}
        assert "2026-11-09T09:00:00Z" in error.message
    assert not w.moderation.calls and not w.messages.rows  # refused before moderation is asked: nothing stored, no strike
    message, *_ = await send(w, BUYER, thread.thread_id)
    assert message.status is MessageStatus.DELIVERED


async def test_a_suspension_of_the_writer_alone_leaves_the_shops_other_sellers_free():
    w = world()
    thread = await order_thread(w)
    await w.handlers.note_standing(suspended(w, Party.user("u1")))
    await refused(send(w, SELLER, thread.thread_id))
    assert (await send(w, COLLEAGUE, thread.thread_id))[0].status is MessageStatus.DELIVERED


async def test_the_send_path_reads_suspensions_from_memory_and_another_replica_learns_them_at_its_refresh():
    """No round trip per message: a second process (handlers over the same storage) knows nothing
    until its periodic refresh, then refuses too."""
    w = world()
    thread = await order_thread(w)
    other = ChatHandlers(w.uow, PolicyHolder.fixed(POLICY), w.clock, w.moderation, w.attachments, w.live)
    await w.handlers.note_standing(suspended(w, Party.shop("s1")))
    reads = w.suspensions.reads
    await refused(send(w, SELLER, thread.thread_id))
    assert (await other.send_message(c.SendMessage(SELLER, thread.thread_id, rid(), "Здравствуйте")))[0].seq == 1
    assert w.suspensions.reads == reads  # neither send read the suspensions
    assert await other.refresh_suspensions() == 1
    await refused(other.send_message(c.SendMessage(SELLER, thread.thread_id, rid(), "Здравствуйте")))


async def test_a_refresh_that_started_before_the_last_applied_one_is_dropped_when_it_ends_late():
    """The periodic refresh reads the suspensions (none yet) and stalls; meanwhile the consumer
    stores a suspension and its own refresh applies it; the stale read ends last and used to put
    back the old set, letting the suspended shop write until the next refresh."""
    w = world()
    thread = await order_thread(w)
    original = w.suspensions.in_force
    stalled, resume = asyncio.Event(), asyncio.Event()

    async def first_read_stalls(now):
        found = await original(now)  # what the database held when this read ran
        if not stalled.is_set():
            stalled.set()
            await resume.wait()
        return found

    w.suspensions.in_force = first_read_stalls
    periodic = asyncio.create_task(w.handlers.refresh_suspensions())
    await stalled.wait()
    assert await w.handlers.note_standing(suspended(w, Party.shop("s1"))) is True  # its refresh applies at once
    await refused(send(w, SELLER, thread.thread_id))
    resume.set()
    assert await periodic == 1  # ended last, started first: dropped
    await refused(send(w, SELLER, thread.thread_id))
    # a read that starts after it is applied as usual
    w.clock.advance(dt.timedelta(minutes=1))
    assert await w.handlers.note_standing(released(w, Party.shop("s1"))) is True
    assert (await send(w, SELLER, thread.thread_id))[0].status is MessageStatus.DELIVERED


async def test_a_suspension_that_ran_out_stops_applying_by_the_clock_without_an_event_or_a_refresh():
    w = world()
    thread = await order_thread(w)
    await w.handlers.note_standing(suspended(w, Party.shop("s1"), days=1))
    w.clock.advance(dt.timedelta(hours=23, minutes=59))
    await refused(send(w, SELLER, thread.thread_id))
    w.clock.advance(dt.timedelta(minutes=1))
    assert (await send(w, SELLER, thread.thread_id))[0].status is MessageStatus.DELIVERED
    assert await w.handlers.refresh_suspensions() == 0


async def test_an_early_end_lifts_the_suspension_and_older_or_repeated_news_never_undoes_newer():
    w = world()
    thread = await order_thread(w)
    shop = Party.shop("s1")
    assert await w.handlers.note_standing(released(w, shop, ago=dt.timedelta(minutes=1))) is True
    # the suspension it ended arrives late (redelivered after a failure): it stays ended
    assert await w.handlers.note_standing(suspended(w, shop, ago=dt.timedelta(minutes=5))) is False
    assert (await send(w, SELLER, thread.thread_id))[0].status is MessageStatus.DELIVERED
    # a new suspension, then its early end; each delivered twice
    w.clock.advance(dt.timedelta(hours=1))
    assert await w.handlers.note_standing(suspended(w, shop, event_id="ev-2")) is True
    assert await w.handlers.note_standing(suspended(w, shop, event_id="ev-2")) is False
    await refused(send(w, SELLER, thread.thread_id))
    w.clock.advance(dt.timedelta(hours=1))
    assert await w.handlers.note_standing(released(w, shop, event_id="ev-3")) is True
    assert await w.handlers.note_standing(released(w, shop, event_id="ev-3")) is False
    assert w.suspensions.rows[shop].suspended_until is None
    assert (await send(w, COLLEAGUE, thread.thread_id))[0].status is MessageStatus.DELIVERED


async def test_a_suspension_recorded_after_a_lift_but_dated_before_it_is_kept_by_its_standing_version():
    """The review's reproduction: a suspension, its lift (moderation's clock, a minute ago), then a
    new suspension recorded after the lift but dated with its message's time (two minutes ago).
    Moderation's per-party counter says the new suspension is the latest news: the shop may not
    send for seven days; a late redelivery of the lift (a lower version) does not free it."""
    w = world()
    thread = await order_thread(w)
    shop = Party.shop("s1")
    minute = dt.timedelta(minutes=1)
    assert await w.handlers.note_standing(suspended(w, shop, ago=10 * minute, event_id="ev-s1", version=5)) is True
    assert await w.handlers.note_standing(released(w, shop, ago=minute, event_id="ev-lift", version=6)) is True
    assert await w.handlers.note_standing(suspended(w, shop, ago=2 * minute, event_id="ev-s2", version=7)) is True
    error = await refused(send(w, SELLER, thread.thread_id))
    assert error.metadata["suspended_until"] == rfc3339(w.clock.now() - 2 * minute + dt.timedelta(days=7))
    for late in (released(w, shop, ago=minute, event_id="ev-lift", version=6), suspended(w, shop, ago=10 * minute, event_id="ev-s1", version=5)):
        assert await w.handlers.note_standing(late) is False
    assert w.suspensions.rows[shop].event_id == "ev-s2" and w.suspensions.rows[shop].standing_version == 7
    await refused(send(w, COLLEAGUE, thread.thread_id))


def test_news_without_a_standing_version_or_with_the_same_one_is_ordered_by_when_it_happened():
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    shop = Party.shop("s1")

    def news(minutes: int, event_id: str, version: int) -> Suspension:
        return Suspension(shop, None, now + dt.timedelta(minutes=minutes), event_id, version)

    assert news(0, "a", 3).supersedes(news(5, "b", 2))  # the counter decides, not the time
    assert not news(5, "b", 2).supersedes(news(0, "a", 3))
    for stored_version, new_version in ((0, 3), (3, 0), (0, 0), (3, 3)):  # it cannot decide: the later event wins
        assert news(5, "b", new_version).supersedes(news(0, "a", stored_version))
        assert not news(0, "a", new_version).supersedes(news(5, "b", stored_version))
    assert news(0, "b", 3).supersedes(news(0, "a", 3)) and not news(0, "a", 3).supersedes(news(0, "a", 3))  # a redelivery is no news
    assert news(0, "a", 1).supersedes(None)


async def test_a_standing_change_that_is_not_about_a_suspension_is_not_kept():
    w = world()
    at = w.clock.now()
    assert await w.handlers.note_standing(c.NoteStanding("ev", at, Party.shop("s1"), Standing.GOOD, Standing.WARNING)) is False
    assert await w.handlers.note_standing(c.NoteStanding("ev", at, Party.shop("s1"), None, Standing.RESTRICTED)) is False
    assert not w.suspensions.rows


async def test_a_suspended_writer_cannot_upload_or_open_a_chat_but_may_find_one_and_write_to_support():
    w = world()
    thread = await order_thread(w)
    await w.handlers.note_standing(suspended(w, Party.shop("s1")))
    content = b"jpeg"
    meta = AttachmentMeta(thread.thread_id, "defect.jpg", "image/jpeg", len(content), hashlib.sha256(content).hexdigest())

    async def chunks():
        yield content

    await refused(w.handlers.upload_attachment(c.UploadAttachment(SELLER, meta), chunks()))
    assert not w.attachments.files
    await refused(w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.ORDER, order_id="o2", buyer_id="b1",
                                                          initiation_reason=InitiationReason.ORDER_DETAILS)))
    found = await w.handlers.create_thread(c.CreateThread(SELLER, "", ThreadKind.ORDER, order_id="o1", buyer_id="b1"))
    assert not found.created and found.view.thread.thread_id == thread.thread_id  # finding a chat writes nothing
    # a buyer opens a chat with the suspended shop; the shop may ask the marketplace's support
    assert (await order_thread(w, order_id="o3")).participants
    topic = SupportTopic("Блокировка", "Приостановка отправки сообщений")
    support, *_ = await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.SUPPORT, support=topic))
    assert (await send(w, SELLER, support.thread.thread_id))[0].status is MessageStatus.DELIVERED


async def test_the_policy_may_stop_a_suspended_party_writing_to_support_too():
    w = world(dataclasses.replace(POLICY, suspended_may_write_to_support=False))
    await w.handlers.note_standing(suspended(w, Party.shop("s1")))
    topic = SupportTopic("Блокировка", "Приостановка отправки сообщений")
    await refused(w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.SUPPORT, support=topic)))


async def test_a_retry_of_a_message_stored_before_the_suspension_gets_it_back():
    w = world()
    thread = await order_thread(w)
    first, *_ = await send(w, SELLER, thread.thread_id, request_id="r1")
    await w.handlers.note_standing(suspended(w, Party.shop("s1")))
    again = await send(w, SELLER, thread.thread_id, request_id="r1")
    assert again.replayed and again.created and again.message == first


def test_who_a_writer_writes_as_and_which_suspension_binds():
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    assert writer_parties(SELLER) == (Party.shop("s1"), Party.user("u1"))
    assert writer_parties(BUYER) == (Party.user("b1"),)
    assert writer_parties(Identity("a1", Role.SUPPORT)) == (Party.support(), Party.user("a1"))
    later, sooner = now + dt.timedelta(days=9), now + dt.timedelta(days=2)
    active = ActiveSuspensions.of([Suspension(Party.shop("s1"), sooner, now, "a"), Suspension(Party.user("u1"), later, now, "b"),
                                   Suspension(Party.user("b1"), None, now, "c")])
    assert active.binding(SELLER, now) == (Party.user("u1"), later)  # the one that ends last
    assert active.binding(COLLEAGUE, now) == (Party.shop("s1"), sooner)
    assert active.binding(BUYER, now) is None
    assert active.binding(COLLEAGUE, sooner) is None
    assert rfc3339(dt.datetime(2026, 11, 2, 9, 0, 0, 250000, tzinfo=dt.UTC)) == "2026-11-02T09:00:00.250Z"


def test_the_default_policy_refreshes_suspensions_every_second_and_refuses_nonsense():
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    policy = ChatPolicy.from_dict(data)
    assert (policy.suspensions_refresh_seconds, policy.suspended_may_write_to_support) == (1.0, True)
    without = {k: v for k, v in data.items() if k != "suspensions"}
    assert ChatPolicy.from_dict(without).suspensions_refresh_seconds == 1.0  # an older policy file still loads
    for bad in ({"refresh_seconds": 0}, {"refresh_seconds": 3600}, {"may_write_to_support": "yes"}):
        with pytest.raises(ValueError):
            ChatPolicy.from_dict({**data, "suspensions": bad})


class Msg:
    def __init__(self, event):
        self.headers = {EVENT_TYPE_HEADER: event.DESCRIPTOR.full_name, "Prilavok-Producer": "moderation"}
        self.data = event.SerializeToString()
        self.subject = "t.moderation.standing.changed"


def standing_changed(previous: int, current: int, *, until: dt.datetime | None, party: Party | None = None,
                     at: dt.datetime, event_id: str = "ev-1", version: int = 0) -> moderation_events.StandingChanged:
    event = moderation_events.StandingChanged(
        event_id=event_id, occurred_at=timestamp(at), previous=previous, current=current, standing_version=version,
        sender=common_pb2.Actor(role=common_pb2.ROLE_SELLER, user_id="u1", shop_id="s1"),
        offender=common_pb2.Party(kind=common_pb2.PARTY_KIND_SHOP, id="s1"))
    if until is not None:
        event.suspended_until.CopyFrom(timestamp(until))
    if party is not None:
        event.suspended_party.CopyFrom(common_pb2.Party(kind=common_pb2.PARTY_KIND_USER, id=party.id))
    return event


async def test_standing_changed_events_through_the_dispatcher():
    w = world()
    thread = await order_thread(w)
    dispatch = standing_dispatcher(w.handlers)
    now, until = w.clock.now(), w.clock.now() + dt.timedelta(days=7)
    with pytest.raises(PoisonMessage):  # a suspension without its end can never be applied
        await dispatch(Msg(standing_changed(moderation_pb2.STANDING_RESTRICTED, moderation_pb2.STANDING_SUSPENDED, until=None, at=now)))
    with pytest.raises(TransientError):  # a standing of a newer moderation: left for a newer chat
        await dispatch(Msg(standing_changed(moderation_pb2.STANDING_SUSPENDED, 9, until=until, at=now)))
    # suspended_party names the writer alone
    await dispatch(Msg(standing_changed(moderation_pb2.STANDING_RESTRICTED, moderation_pb2.STANDING_SUSPENDED, until=until,
                                        party=Party.user("u1"), at=now)))
    await refused(send(w, SELLER, thread.thread_id))
    assert (await send(w, COLLEAGUE, thread.thread_id))[0].seq == 1
    # an event that names no suspended_party suspends the offender (the shop)
    await dispatch(Msg(standing_changed(moderation_pb2.STANDING_RESTRICTED, moderation_pb2.STANDING_SUSPENDED, until=until,
                                        at=now, event_id="ev-2")))
    await refused(send(w, COLLEAGUE, thread.thread_id))
    w.clock.advance(dt.timedelta(minutes=1))
    await dispatch(Msg(standing_changed(moderation_pb2.STANDING_SUSPENDED, moderation_pb2.STANDING_RESTRICTED, until=None,
                                        at=w.clock.now(), event_id="ev-3")))
    assert (await send(w, COLLEAGUE, thread.thread_id))[0].seq == 2
    assert set(w.suspensions.rows) == {Party.user("u1"), Party.shop("s1")}
    assert not [x for x in w.uow.published if isinstance(x, e.MessageBlocked)]


async def test_the_dispatcher_orders_a_partys_news_by_the_events_standing_version():
    w = world()
    thread = await order_thread(w)
    dispatch = standing_dispatcher(w.handlers)
    now = w.clock.now()
    with pytest.raises(PoisonMessage):
        await dispatch(Msg(standing_changed(moderation_pb2.STANDING_SUSPENDED, moderation_pb2.STANDING_RESTRICTED, until=None,
                                            at=now, version=-1)))
    await dispatch(Msg(standing_changed(moderation_pb2.STANDING_SUSPENDED, moderation_pb2.STANDING_RESTRICTED, until=None,
                                        at=now, event_id="ev-lift", version=8)))
    # recorded after the lift, dated two minutes before it (its message's time)
    earlier = now - dt.timedelta(minutes=2)
    await dispatch(Msg(standing_changed(moderation_pb2.STANDING_RESTRICTED, moderation_pb2.STANDING_SUSPENDED,
                                        until=earlier + dt.timedelta(days=7), at=earlier, event_id="ev-s", version=9)))
    await refused(send(w, SELLER, thread.thread_id))
    assert w.suspensions.rows[Party.shop("s1")].standing_version == 9


# --- request ids with Stripe semantics -------------------------------------------------------

def reused(err) -> list[str]:
    assert err.value.reason == "IDEMPOTENCY_KEY_REUSED"
    return [v.field for v in err.value.violations]


async def test_a_request_id_reused_with_another_text_is_refused_before_moderation_is_asked():
    """The issue's reproduction: clean text under R, then R again with a phone number added. The
    retry is refused naming `text`; moderation is not asked and nothing is stored, so no event
    reaches moderation and no strike or fine can be recorded."""
    w = world()
    thread = await order_thread(w)
    first, *_ = await send(w, SELLER, thread.thread_id, "Здравствуйте! Отправим завтра.", request_id="R")
    with pytest.raises(InvalidArgument) as err:
        await send(w, SELLER, thread.thread_id, "Здравствуйте! Отправим завтра. +7 912 345-67-89", request_id="R")
    assert reused(err) == ["text"] and err.value.metadata == {"request_id": "R", "fields": "text"}
    assert w.moderation.calls == ["Здравствуйте! Отправим завтра."]
    assert list(w.messages.rows) == [first.message_id]
    assert [type(x) for x in w.uow.published if isinstance(x, e.MessageEvent)] == [e.MessageDelivered]
    again = await send(w, SELLER, thread.thread_id, "Здравствуйте! Отправим завтра.", request_id="R")
    assert again == (first, True, True)  # the identical retry is replayed


async def test_a_request_id_reused_with_other_attachments_names_them():
    w = world()
    thread = await order_thread(w)
    content = b"jpeg"
    ids = []
    for name in ("a.jpg", "b.jpg"):
        meta = AttachmentMeta(thread.thread_id, name, "image/jpeg", len(content), hashlib.sha256(content).hexdigest())

        async def chunks():
            yield content

        ids.append((await w.handlers.upload_attachment(c.UploadAttachment(BUYER, meta), chunks())).attachment_id)
    await w.handlers.send_message(c.SendMessage(BUYER, thread.thread_id, "R", "Фото брака", (ids[0],)))
    with pytest.raises(InvalidArgument) as err:
        await w.handlers.send_message(c.SendMessage(BUYER, thread.thread_id, "R", "Фото брака", (ids[0], ids[1])))
    assert reused(err) == ["attachment_ids"]
    with pytest.raises(InvalidArgument) as err:
        await w.handlers.send_message(c.SendMessage(BUYER, thread.thread_id, "R", "Другое фото", (ids[1],)))
    assert reused(err) == ["text", "attachment_ids"]
    assert len(w.messages.rows) == 1


async def test_the_same_request_id_sent_twice_at_once_with_different_texts_stores_one_and_refuses_the_other():
    """Both pass the duplicate check before either is stored; the second insert finds the id
    taken, and its payload is compared with what the first stored."""
    w = world()
    thread = await order_thread(w)
    first, *_ = await send(w, BUYER, thread.thread_id, "Здравствуйте", request_id="R")
    original_get = w.messages.get
    calls = 0

    async def not_yet_stored(message_id):
        nonlocal calls
        calls += 1
        return None if calls == 1 else await original_get(message_id)

    w.messages.get = not_yet_stored
    with pytest.raises(InvalidArgument) as err:
        await send(w, BUYER, thread.thread_id, "Здравствуйте, мой телефон 89121234567", request_id="R")
    assert reused(err) == ["text"]
    assert w.threads.rows[thread.thread_id].last_seq == 1 and list(w.messages.rows) == [first.message_id]
    assert len([x for x in w.uow.published if isinstance(x, e.MessageEvent)]) == 1  # the refused one's event was never committed


async def test_a_message_stored_before_fingerprints_existed_replays_for_any_payload():
    w = world()
    thread = await order_thread(w)
    first, *_ = await send(w, BUYER, thread.thread_id, "Здравствуйте", request_id="R")
    w.messages.rows[first.message_id].request_fingerprint = ()
    again = await send(w, BUYER, thread.thread_id, "Иначе", request_id="R")
    assert again.replayed and again.message.message_id == first.message_id


async def test_a_retry_answers_what_the_first_send_answered_whatever_moderators_decided_since():
    """Stripe's semantics: the first result is replayed. A message first answered HELD is HELD on
    the retry after its approval and after its rejection (with moderation's first reason, not the
    moderator's comment); a block stays BLOCKED after a reversed appeal; a held message approved
    after its thread closed is HELD again, not UNDELIVERED. The stored message (ListMessages)
    shows what became of it; every retry answers `created` true, as the first send did, and is
    marked replayed."""
    w = world()
    thread = await order_thread(w)
    w.clock.advance(dt.timedelta(microseconds=123456))  # stored at the database's precision: the first answer says so too
    review = ModerationDecision(ModerationAction.REVIEW, (Category.DISPARAGEMENT,), "на проверке", "", "m1")
    w.moderation.by_text.update({"Склад дно": review, "Склад дно, сами виноваты": review, "Пишите в телеграм @shop": ModerationDecision(
        ModerationAction.BLOCK, (Category.CONTACT_EXCHANGE,), "контакты", "", "m1")})
    sends = {"R-app": (BUYER, "Склад дно"), "R-rej": (BUYER, "Склад дно, сами виноваты"), "R-blk": (SELLER, "Пишите в телеграм @shop")}
    first = {r: (await send(w, who, thread.thread_id, text, request_id=r))[0] for r, (who, text) in sends.items()}
    assert [m.status for m in first.values()] == [MessageStatus.HELD, MessageStatus.HELD, MessageStatus.BLOCKED]
    assert {m.created_at.microsecond for m in first.values()} == {123000}
    w.clock.advance(dt.timedelta(hours=1))
    await w.handlers.release_held(c.ReleaseHeld(first["R-app"].message_id, approved=True, comment="Можно"))
    await w.handlers.release_held(c.ReleaseHeld(first["R-rej"].message_id, approved=False, comment="Оскорбление склада"))
    await w.handlers.deliver_on_appeal(c.DeliverOnAppeal(first["R-blk"].message_id, "ap-1", "Ошибка"))
    stored = {r: w.messages.rows[m.message_id] for r, m in first.items()}
    assert [m.status for m in stored.values()] == [MessageStatus.DELIVERED, MessageStatus.BLOCKED, MessageStatus.DELIVERED]
    assert stored["R-rej"].moderation_reason == "Оскорбление склада"
    for request_id, (who, text) in sends.items():
        again = await send(w, who, thread.thread_id, text, request_id=request_id)
        assert again == (first[request_id], True, True), request_id
    # the sender's own words, as first answered
    assert again.message.text == "Пишите в телеграм @shop" and again.message.moderation_reason == "контакты"
    # approved after its thread closed: UNDELIVERED now, HELD as answered
    other = await order_thread(w, order_id="o2")
    late = (await send(w, BUYER, other.thread_id, "Склад дно", request_id="R-late"))[0]
    await w.handlers.close_thread(c.CloseThread(SELLER, other.thread_id))
    await w.handlers.release_held(c.ReleaseHeld(late.message_id, approved=True))
    assert w.messages.rows[late.message_id].status is MessageStatus.UNDELIVERED
    assert await send(w, BUYER, other.thread_id, "Склад дно", request_id="R-late") == (late, True, True)


async def test_a_message_stored_before_its_answer_was_kept_replays_as_it_is_now():
    w = world()
    thread = await order_thread(w)
    w.moderation.by_text["Склад дно"] = ModerationDecision(ModerationAction.REVIEW, (Category.DISPARAGEMENT,), "на проверке", "", "m1")
    first, *_ = await send(w, BUYER, thread.thread_id, "Склад дно", request_id="R")
    await w.handlers.release_held(c.ReleaseHeld(first.message_id, approved=True))
    w.messages.rows[first.message_id].answered_status = None
    again, created, replayed = await send(w, BUYER, thread.thread_id, "Склад дно", request_id="R")
    assert created and replayed and again.status is MessageStatus.DELIVERED and again.released_at == w.clock.now()


async def test_a_support_request_id_reused_with_another_topic_or_link_is_refused_naming_the_fields():
    w = world()
    topic = SupportTopic("Приемка товара", "Возражения по актам приемки", {"Номер поставки": "123"})
    first, created, _ = await w.handlers.create_thread(c.CreateThread(SELLER, "S", ThreadKind.SUPPORT, support=topic))
    # a colleague under the shop's request id finds the shop's ticket, which they did not open: not a replay
    again, created_again, replayed = await w.handlers.create_thread(c.CreateThread(COLLEAGUE, "S", ThreadKind.SUPPORT, support=topic))
    assert created and not created_again and not replayed and again.thread.thread_id == first.thread.thread_id
    with pytest.raises(InvalidArgument) as err:
        await w.handlers.create_thread(c.CreateThread(SELLER, "S", ThreadKind.SUPPORT, support=dataclasses.replace(topic, topic="Другое")))
    assert reused(err) == ["support.topic"]
    with pytest.raises(InvalidArgument) as err:
        await w.handlers.create_thread(c.CreateThread(SELLER, "S", ThreadKind.SUPPORT, support=dataclasses.replace(
            topic, category="Финансы", references={"Номер поставки": "124"}), linked_thread_id=first.thread.thread_id))
    assert reused(err) == ["support.category", "support.references", "linked_thread_id"]
    # a thread stored before fingerprints (and its opening request) were kept is compared on the
    # values it holds, and found again rather than replayed
    w.threads.rows[first.thread.thread_id].request_fingerprint = ()
    w.threads.rows[first.thread.thread_id].opening_request = ""
    with pytest.raises(InvalidArgument) as err:
        await w.handlers.create_thread(c.CreateThread(SELLER, "S", ThreadKind.SUPPORT, support=dataclasses.replace(topic, topic="Другое")))
    assert reused(err) == ["support.topic"]
    found = await w.handlers.create_thread(c.CreateThread(SELLER, "S", ThreadKind.SUPPORT, support=topic))
    assert (found.created, found.replayed) == (False, False)
    assert len(w.uow.events_of(e.ThreadCreated)) == 1


async def test_a_claim_chat_asked_for_with_another_order_names_the_field():
    w = world()
    await w.handlers.create_thread(c.CreateThread(BUYER, "", ThreadKind.CLAIM, order_id="o1", claim_id="c1", shop_id="s1"))
    # the other side opens it under its own request id: the same thread
    found, created, replayed = await w.handlers.create_thread(
        c.CreateThread(SELLER, "x", ThreadKind.CLAIM, order_id="o1", claim_id="c1", buyer_id="b1"))
    assert not created and not replayed and found.thread.claim_id == "c1"
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.create_thread(c.CreateThread(BUYER, "", ThreadKind.CLAIM, order_id="o2", claim_id="c1", shop_id="s1"))
    assert err.value.reason == "CLAIM_OF_ANOTHER_ORDER" and err.value.metadata == {"fields": "order_id", "order_id": "o1"}


# --- messages cleared after their thread closed, and appeals ------------------------------

async def held(w, thread, who=BUYER, text="Склад маркетплейса дно"):
    w.moderation.by_text[text] = ModerationDecision(ModerationAction.REVIEW, (Category.DISPARAGEMENT,), "на проверке", "", "m1")
    return (await send(w, who, thread.thread_id, text))[0]


async def blocked(w, thread, who=SELLER, text="Пишите в телеграм @shop"):
    w.moderation.by_text[text] = ModerationDecision(ModerationAction.BLOCK, (Category.CONTACT_EXCHANGE,), "контакты", "", "m1")
    return (await send(w, who, thread.thread_id, text))[0]


def cleared_events(w):
    return [x for x in w.uow.published if isinstance(x, e.MessageDelivered | e.MessageUndelivered)]


async def test_a_held_message_approved_after_its_thread_closed_is_not_delivered_and_its_sender_is_told():
    w = world()
    thread = await order_thread(w)
    message = await held(w, thread)
    await w.handlers.close_thread(c.CloseThread(SELLER, thread.thread_id, "Вопрос решен"))
    before = w.threads.rows[thread.thread_id]
    w.clock.advance(dt.timedelta(hours=1))
    assert await w.handlers.release_held(c.ReleaseHeld(message.message_id, approved=True, review_id="rv-1")) is True
    stored = w.messages.rows[message.message_id]
    assert stored.status is MessageStatus.UNDELIVERED and stored.status_reason == conversation.UNDELIVERED_AFTER_REVIEW
    after = w.threads.rows[thread.thread_id]
    assert (after.unread, after.reply_due_at, after.last_message_at) == (before.unread, None, before.last_message_at)
    [told] = cleared_events(w)
    assert isinstance(told, e.MessageUndelivered) and told.recipients == (Party.user("b1"),) and told.review_id == "rv-1"
    assert told.message.text == "" and told.message.status is MessageStatus.UNDELIVERED
    # its sender sees it, with the reason; the other side never does
    mine = (await w.handlers.list_messages(c.ListMessages(BUYER, thread.thread_id))).messages
    assert [(m.status, m.text, m.status_reason) for m in mine] == [
        (MessageStatus.UNDELIVERED, "Склад маркетплейса дно", conversation.UNDELIVERED_AFTER_REVIEW)]
    assert not (await w.handlers.list_messages(c.ListMessages(SELLER, thread.thread_id))).messages
    # redelivered: nothing more
    assert await w.handlers.release_held(c.ReleaseHeld(message.message_id, approved=True)) is False
    assert len(cleared_events(w)) == 1


async def test_a_close_committed_while_the_approval_was_decided_wins():
    """The approval read the thread open; the close committed first: the thread's versioned save
    fails, the decision is made again on the closed thread and nothing is delivered."""
    w = world()
    thread = await order_thread(w)
    message = await held(w, thread)
    open_copy = await w.threads.get(thread.thread_id)
    await w.handlers.close_thread(c.CloseThread(SELLER, thread.thread_id))
    original_get = w.threads.get
    reads = 0

    async def stale_first(thread_id):
        nonlocal reads
        reads += 1
        return open_copy if reads == 1 else await original_get(thread_id)

    w.threads.get = stale_first
    assert await w.handlers.release_held(c.ReleaseHeld(message.message_id, approved=True)) is True
    assert reads == 2 and w.messages.rows[message.message_id].status is MessageStatus.UNDELIVERED
    assert [type(x) for x in cleared_events(w)] == [e.MessageUndelivered]


async def test_a_block_reversed_on_appeal_is_delivered_like_an_approved_held_message_once():
    w = world()
    thread = await order_thread(w)
    message = await blocked(w, thread)
    w.clock.advance(dt.timedelta(days=1))
    cmd = c.DeliverOnAppeal(message.message_id, "ap-1", "Ошибка модерации")
    assert await w.handlers.deliver_on_appeal(cmd) is True
    stored = w.messages.rows[message.message_id]
    assert (stored.status, stored.released_at, stored.review_comment) == (MessageStatus.DELIVERED, w.clock.now(), "Ошибка модерации")
    assert w.threads.rows[thread.thread_id].unread[Side.BUYER] == 1
    [delivered] = cleared_events(w)
    assert isinstance(delivered, e.MessageDelivered) and delivered.recipients == (Party.user("b1"),)
    assert delivered.message.text == "Пишите в телеграм @shop" and delivered.message.moderation_action is ModerationAction.BLOCK
    assert [m.seq for m in (await w.handlers.list_messages(c.ListMessages(BUYER, thread.thread_id))).messages] == [message.seq]
    assert await w.handlers.deliver_on_appeal(cmd) is False  # redelivered
    assert len(cleared_events(w)) == 1


async def test_a_block_reversed_on_appeal_after_its_thread_closed_stays_undelivered():
    w = world()
    thread = await order_thread(w)
    message = await blocked(w, thread)
    await w.handlers.close_thread(c.CloseThread(BUYER, thread.thread_id))
    assert await w.handlers.deliver_on_appeal(c.DeliverOnAppeal(message.message_id, "ap-2")) is True
    assert await w.handlers.deliver_on_appeal(c.DeliverOnAppeal(message.message_id, "ap-2")) is False
    stored = w.messages.rows[message.message_id]
    assert stored.status is MessageStatus.UNDELIVERED and stored.status_reason == conversation.UNDELIVERED_AFTER_APPEAL
    [told] = cleared_events(w)
    assert isinstance(told, e.MessageUndelivered) and told.appeal_id == "ap-2" and told.recipients == (Party.shop("s1"),)
    # a delivered or held message is no block to reverse
    other = await order_thread(w, order_id="o2")
    fine, *_ = await send(w, SELLER, other.thread_id, "Здравствуйте! Отправим сегодня.")
    assert await w.handlers.deliver_on_appeal(c.DeliverOnAppeal(fine.message_id, "ap-3")) is False
    assert await w.handlers.deliver_on_appeal(c.DeliverOnAppeal("unknown", "ap-4")) is False


def decided_events(w):
    return [x for x in w.uow.published if isinstance(x, e.MessageDelivered | e.MessageUndelivered | e.MessageBlocked)]


@pytest.mark.parametrize("reversal_first", [False, True], ids=["rejection-first", "reversal-first"])
async def test_a_held_message_rejected_then_reversed_on_appeal_is_delivered_whichever_outcome_chat_hears_first(reversal_first):
    """review.resolved and appeal.resolved come through separate durables in no fixed order. The
    review's reproduction: the reversal consumed while the message is still HELD used to be acked
    and forgotten, and the later rejection left the message BLOCKED for good. Either order now ends
    the same: blocked, then delivered, with the same events and the same stored message."""
    w = world()
    thread = await order_thread(w)
    message = await held(w, thread, who=SELLER)
    w.clock.advance(dt.timedelta(hours=1))
    rejection = c.ReleaseHeld(message.message_id, approved=False, comment="Оскорбление", review_id="rv-1")
    reversal = c.DeliverOnAppeal(message.message_id, "ap-1", "Оскорбления нет")
    if reversal_first:
        assert await w.handlers.deliver_on_appeal(reversal) is True  # kept on the message, nothing told yet
        assert await w.handlers.deliver_on_appeal(reversal) is False  # redelivered
        kept = w.messages.rows[message.message_id]
        assert (kept.status, kept.reversed_on_appeal, kept.appeal_comment) == (MessageStatus.HELD, "ap-1", "Оскорбления нет")
        assert not decided_events(w) and w.threads.rows[thread.thread_id].unread[Side.BUYER] == 0
        assert await w.handlers.release_held(rejection) is True
    else:
        assert await w.handlers.release_held(rejection) is True
        assert await w.handlers.deliver_on_appeal(reversal) is True
    for again in (w.handlers.release_held(rejection), w.handlers.deliver_on_appeal(reversal)):
        assert await again is False
    stored = w.messages.rows[message.message_id]
    assert (stored.status, stored.moderation_reason, stored.review_comment, stored.released_at) == (
        MessageStatus.DELIVERED, "Оскорбление", "Оскорбления нет", w.clock.now())
    assert [type(x) for x in decided_events(w)] == [e.MessageBlocked, e.MessageDelivered]
    assert decided_events(w)[1].recipients == (Party.user("b1"),) and w.threads.rows[thread.thread_id].unread[Side.BUYER] == 1
    assert [m.message_id for m in (await w.handlers.list_messages(c.ListMessages(BUYER, thread.thread_id))).messages] == [message.message_id]


async def test_a_reversal_heard_before_the_rejection_of_a_message_in_a_thread_closed_since_leaves_it_undelivered():
    w = world()
    thread = await order_thread(w)
    message = await held(w, thread, who=SELLER)
    assert await w.handlers.deliver_on_appeal(c.DeliverOnAppeal(message.message_id, "ap-1")) is True
    await w.handlers.close_thread(c.CloseThread(BUYER, thread.thread_id))
    assert await w.handlers.release_held(c.ReleaseHeld(message.message_id, approved=False)) is True
    stored = w.messages.rows[message.message_id]
    assert stored.status is MessageStatus.UNDELIVERED and stored.status_reason == conversation.UNDELIVERED_AFTER_APPEAL
    blocked_event, undelivered = decided_events(w)
    assert isinstance(blocked_event, e.MessageBlocked) and isinstance(undelivered, e.MessageUndelivered)
    assert undelivered.appeal_id == "ap-1" and undelivered.recipients == (Party.shop("s1"),)


async def test_a_reversal_heard_before_the_review_through_both_dispatchers():
    w = world()
    thread = await order_thread(w)
    message = await held(w, thread, who=SELLER)
    await appeal_dispatcher(w.handlers)(Msg(appeal_resolved(message.message_id, moderation_events.APPEAL_OUTCOME_REVERSED)))
    assert w.messages.rows[message.message_id].status is MessageStatus.HELD
    resolved = moderation_events.ReviewResolved(event_id="ev-r", item=moderation_pb2.ReviewItem(
        review_id="rv-1", message_id=message.message_id, status=moderation_pb2.REVIEW_STATUS_REJECTED))
    await moderation_dispatcher(w.handlers)(Msg(resolved))
    assert w.messages.rows[message.message_id].status is MessageStatus.DELIVERED


def appeal_resolved(message_id: str, outcome: int, *, was_blocked: bool = True) -> moderation_events.AppealResolved:
    return moderation_events.AppealResolved(
        event_id="ev-a", appeal_id="ap-9", message_id=message_id, thread_id="t", outcome=outcome, comment="Решение отменено",
        appellant=common_pb2.Party(kind=common_pb2.PARTY_KIND_SHOP, id="s1"), message_was_blocked=was_blocked)


async def test_appeal_resolved_events_through_the_dispatcher():
    w = world()
    thread = await order_thread(w)
    message = await blocked(w, thread)
    dispatch = appeal_dispatcher(w.handlers)
    with pytest.raises(PoisonMessage):
        await dispatch(Msg(appeal_resolved(message.message_id, moderation_events.APPEAL_OUTCOME_UNSPECIFIED)))
    with pytest.raises(PoisonMessage):
        await dispatch(Msg(appeal_resolved("", moderation_events.APPEAL_OUTCOME_REVERSED)))
    with pytest.raises(TransientError):  # an outcome of a newer moderation
        await dispatch(Msg(appeal_resolved(message.message_id, 7)))
    await dispatch(Msg(appeal_resolved(message.message_id, moderation_events.APPEAL_OUTCOME_UPHELD)))
    await dispatch(Msg(appeal_resolved(message.message_id, moderation_events.APPEAL_OUTCOME_REVERSED, was_blocked=False)))
    assert w.messages.rows[message.message_id].status is MessageStatus.BLOCKED  # a strike or fine reversed: chat has nothing to do
    await dispatch(Msg(appeal_resolved(message.message_id, moderation_events.APPEAL_OUTCOME_REVERSED)))
    await dispatch(Msg(appeal_resolved(message.message_id, moderation_events.APPEAL_OUTCOME_REVERSED)))
    assert w.messages.rows[message.message_id].status is MessageStatus.DELIVERED
    assert w.messages.rows[message.message_id].review_comment == "Решение отменено" and len(cleared_events(w)) == 1


def test_an_undelivered_message_maps_to_its_event_without_text():
    thread_id = "t1"
    message = Message("m1", thread_id, 3, BUYER, Side.BUYER, "", MessageStatus.UNDELIVERED, dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
                      status_reason=conversation.UNDELIVERED_AFTER_REVIEW)
    thread = requested_thread(c.CreateThread(BUYER, "", ThreadKind.ORDER, order_id="o1", shop_id="s1"), message.created_at, POLICY)
    out = map_event(e.MessageUndelivered(thread, message, (Party.user("b1"),), message.created_at, review_id="m1"), "ev")
    assert out.name == "message.undelivered" and isinstance(out.message, chat_events.MessageUndelivered)
    assert out.message.message.status == chat_pb2.MESSAGE_STATUS_UNDELIVERED and out.message.message.text == ""
    assert out.message.message.status_reason == conversation.UNDELIVERED_AFTER_REVIEW and out.message.review_id == "m1"
