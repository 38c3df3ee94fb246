"""Chat's MongoDB repositories under the MongoDB unit of work, against the embedded server:
reply deadlines are announced once, sends in one thread never share a seq, paging follows the
stored sort fields, the visibility and unread queries agree with the domain's definitions, the
close and the rating are stored, and documents written before versions existed still save."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from pymongo import AsyncMongoClient, monitoring

from prilavok.chat.v1 import events_pb2
from prilavok_platform import mongo
from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import FailedPrecondition
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.outbox import OUTBOX_COLLECTION
from prilavok_platform.policy_file import PolicyHolder
from services.chat.adapters.event_mapper import map_event
from services.chat.adapters.repository import INDEXES, repositories
from services.chat.domain import access, reading
from services.chat.domain import commands as c
from services.chat.domain.deadlines import deadlines_due
from services.chat.domain.model import (
    Category,
    DeadlineState,
    Direction,
    ModerationAction,
    ModerationDecision,
    Side,
    Standing,
    SupportTopic,
    ThreadKind,
)
from services.chat.service_layer.handlers import ChatHandlers
from services.chat.service_layer.ports import ThreadFilter
from tests.unit.chat.fakes import POLICY, FakeAttachmentStore, FakeLiveEvents, FakeModeration

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
BUYER, SELLER = Identity("b1", Role.BUYER), Identity("u1", Role.SELLER, "s1")
HOUR = dt.timedelta(hours=1)


@pytest.fixture
async def chat(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "test")
    db = client[unique]
    await mongo.ensure_indexes(db, INDEXES)
    clock = FixedClock(T0)
    uow = MongoUnitOfWork(client, db, repositories=repositories, map_event=map_event, subject_prefix=unique, producer="chat")
    moderation = FakeModeration()
    handlers = ChatHandlers(uow, PolicyHolder.fixed(POLICY), clock, moderation, FakeAttachmentStore(), FakeLiveEvents())
    yield handlers, db, clock, moderation, uow
    await client.drop_database(unique)
    await client.close()


async def open_order(handlers, order_id="o1"):
    view, *_ = await handlers.create_thread(c.CreateThread(BUYER, "", ThreadKind.ORDER, order_id=order_id, shop_id="s1"))
    return view.thread


async def send(handlers, who, thread_id, request_id, text="Здравствуйте"):
    return await handlers.send_message(c.SendMessage(who, thread_id, request_id, text))


async def outbox(db, part: str) -> list[dict]:
    return [d async for d in db[OUTBOX_COLLECTION].find({"subject": {"$regex": part}}).sort("ts", 1)]


async def test_the_deadlines_due_query_finds_what_the_domain_would_announce(chat):
    """deadlines_due_query is DeadlinesDue.matches, evaluated by the database."""
    handlers, db, _, _, uow = chat
    due_at = T0 + 240 * HOUR
    threads = []
    for i, state in enumerate((None, *DeadlineState)):
        thread = await open_order(handlers, order_id=f"o{i}")
        await db.threads.update_one({"_id": thread.thread_id}, {"$set": {
            "deadline_state": state.value if state else None, "reply_due_at": due_at if state else None}})
        threads.append(await uow.reader().threads.get(thread.thread_id))
    for offset in (-241, -240, -23, -1, 0, 1):
        due = deadlines_due(due_at + offset * HOUR, POLICY)
        found = {t.thread_id for t in await uow.reader().threads.with_deadline_due(due, 100)}
        assert found == {t.thread_id for t in threads if due.matches(t)}, offset


async def test_a_reply_deadline_is_reminded_once_breached_once_and_cleared_by_the_answer(chat):
    handlers, db, clock, _, uow = chat
    thread = await open_order(handlers)
    await send(handlers, BUYER, thread.thread_id, "m1")
    stored = await uow.reader().threads.get(thread.thread_id)
    assert stored.reply_due_at == T0 + 240 * HOUR
    scan = c.AnnounceDeadlines()
    for hours, expected in ((100, 0), (220, 1), (221, 0), (241, 1), (300, 0)):
        clock.set(T0 + hours * HOUR)
        assert await handlers.announce_deadlines(scan) == expected, hours
    events = [(d["subject"].rsplit(".", 1)[-1], events_pb2.ReplyDeadline.FromString(bytes(d["payload"]))) for d in await outbox(db, r"\.deadline\.")]
    assert [(name, e.breached) for name, e in events] == [("approaching", False), ("breached", True)]
    assert all([(r.kind, r.id) for r in e.recipients] == [(2, "s1")] for _, e in events)  # PARTY_KIND_SHOP

    # A second buyer message does not restart the clock; the seller's answer stops it.
    clock.set(T0 + 250 * HOUR)
    await send(handlers, BUYER, thread.thread_id, "m2")
    assert (await uow.reader().threads.get(thread.thread_id)).reply_due_at == T0 + 240 * HOUR
    await send(handlers, SELLER, thread.thread_id, "m3", "Здравствуйте! Отправили.")
    answered = await uow.reader().threads.get(thread.thread_id)
    assert answered.reply_due_at is None and answered.unread == {Side.BUYER: 1, Side.SELLER: 2}
    delivered = events_pb2.MessageDelivered.FromString(bytes((await outbox(db, r"\.message\.delivered"))[-1]["payload"]))
    assert [(r.kind, r.id) for r in delivered.recipients] == [(1, "b1")] and len(delivered.thread.participants) == 2


async def test_concurrent_sends_in_one_thread_take_distinct_seqs_and_a_retry_is_recognised(chat):
    handlers, db, _, _, uow = chat
    thread = await open_order(handlers)
    sent = await asyncio.gather(*(send(handlers, BUYER if i % 2 else SELLER, thread.thread_id, f"c{i}") for i in range(6)))
    assert sorted(s.message.seq for s in sent) == [1, 2, 3, 4, 5, 6] and not any(s.replayed for s in sent)
    again = await send(handlers, BUYER, thread.thread_id, "c1")
    assert again.created and again.replayed and again.message == sent[1].message
    assert (await uow.reader().threads.get(thread.thread_id)).last_seq == 6
    assert len(await outbox(db, r"\.message\.delivered")) == 6


async def test_a_thread_keeps_the_request_that_started_it_and_a_retry_of_it_is_replayed(chat):
    """`opening_request` is written with the thread and never by a save: the opener's retry after
    messages and the close is answered with the thread as it was started (created, replayed); the
    other side finds it as it is now; a document written before it was kept is found, not replayed."""
    handlers, db, clock, _, uow = chat
    clock.set(T0 + dt.timedelta(microseconds=123456))  # stored at the database's precision: the first answer says so too
    cmd = c.CreateThread(BUYER, "t1", ThreadKind.ORDER, order_id="o1", shop_id="s1")
    first = await handlers.create_thread(cmd)
    thread_id = first.view.thread.thread_id
    clock.advance(HOUR)
    await send(handlers, BUYER, thread_id, "m1")
    await handlers.close_thread(c.CloseThread(BUYER, thread_id, "Решено"))
    doc = await db.threads.find_one({"_id": thread_id})
    assert doc["opening_request"] == first.view.thread.opening_request != "" and doc["status"] == "CLOSED"
    replay = await handlers.create_thread(cmd)
    assert (replay.created, replay.replayed) == (True, True) and first.view.thread.created_at.microsecond == 123000
    assert dataclasses.replace(replay.view.thread, version=0) == first.view.thread  # the first answer, field by field
    seller = await handlers.create_thread(c.CreateThread(SELLER, "t1", ThreadKind.ORDER, order_id="o1", buyer_id="b1"))
    assert (seller.created, seller.replayed, seller.view.thread.status.value) == (False, False, "CLOSED")
    await db.threads.update_one({"_id": thread_id}, {"$unset": {"opening_request": ""}})
    old = await handlers.create_thread(cmd)
    assert (old.created, old.replayed, old.view.thread.last_seq) == (False, False, 1)
    assert len(await outbox(db, r"\.thread\.created")) == 1


async def test_mark_read_never_moves_back_and_counts_unread_after_the_marker(chat):
    handlers, _, _, _, uow = chat
    thread = await open_order(handlers)
    for i in range(3):
        await send(handlers, BUYER, thread.thread_id, f"r{i}")
    assert await handlers.mark_read(c.MarkRead(SELLER, thread.thread_id, 2)) == 1
    assert await handlers.mark_read(c.MarkRead(SELLER, thread.thread_id, 1)) == 1
    stored = await uow.reader().threads.get(thread.thread_id)
    assert stored.read_seq[Side.SELLER] == 2 and stored.unread[Side.SELLER] == 1


async def test_held_release_and_message_visibility(chat):
    handlers, _, _, moderation, uow = chat
    thread = await open_order(handlers)
    moderation.by_text["Пишите в телеграм"] = ModerationDecision(ModerationAction.REVIEW, (Category.CONTACT_EXCHANGE,), "на проверке")
    held, *_ = await send(handlers, SELLER, thread.thread_id, "h1", "Пишите в телеграм")
    await send(handlers, BUYER, thread.thread_id, "h2")
    as_buyer = await handlers.list_messages(c.ListMessages(BUYER, thread.thread_id))
    as_seller = await handlers.list_messages(c.ListMessages(SELLER, thread.thread_id, direction=Direction.NEWER, page_size=1))
    assert [m.seq for m in as_buyer.messages] == [2] and [m.seq for m in as_seller.messages] == [1] and as_seller.next_page_token
    rest = await handlers.list_messages(c.ListMessages(SELLER, thread.thread_id, direction=Direction.NEWER, page_token=as_seller.next_page_token))
    assert [m.seq for m in rest.messages] == [2] and not rest.next_page_token
    assert await handlers.release_held(c.ReleaseHeld(held.message_id, approved=True)) is True
    assert await handlers.release_held(c.ReleaseHeld(held.message_id, approved=True)) is False
    assert [m.seq for m in (await handlers.list_messages(c.ListMessages(BUYER, thread.thread_id))).messages] == [2, 1]
    assert (await uow.reader().threads.get(thread.thread_id)).unread[Side.BUYER] == 1


async def test_thread_pages_follow_last_activity_and_a_closed_thread_is_not_listed_twice(chat):
    handlers, _, clock, _, uow = chat
    ids = []
    for i in range(4):
        ids.append((await open_order(handlers, f"o{i}")).thread_id)
        clock.set(clock.now() + HOUR)
    seen, token = [], ""
    while True:
        page = await handlers.list_threads(c.ListThreads(SELLER, page_size=1, page_token=token))
        seen.extend(v.thread.thread_id for v in page.threads)
        clock.set(clock.now() + HOUR)
        if len(seen) == 1:
            await handlers.close_thread(c.CloseThread(SELLER, seen[0]))  # moves it to the top: not again
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(ids))
    unread = await uow.reader().threads.page(ThreadFilter(Party.shop("s1"), unread_only=True), 10, "")
    assert unread == ([], "")


async def test_a_document_written_before_versions_existed_still_saves(chat):
    handlers, db, _, _, uow = chat
    thread = await open_order(handlers)
    await db.threads.update_one({"_id": thread.thread_id}, {"$unset": {"version": ""}})
    message, *_ = await send(handlers, BUYER, thread.thread_id, "v1")
    assert message.seq == 1 and (await uow.reader().threads.get(thread.thread_id)).version == 1


async def test_the_visibility_and_unread_queries_agree_with_the_domain_on_the_same_data(chat):
    """MessageAudience.admits and UnreadMessages.matches are the definitions; the repository runs
    them as queries. Both are asked about the same stored messages: every status, both sides,
    two sellers of one shop, a released and a rejected held message."""
    handlers, _, _, moderation, uow = chat
    thread = await open_order(handlers)
    colleague = Identity("u2", Role.SELLER, "s1")
    moderation.by_text["Пишите в телеграм"] = ModerationDecision(ModerationAction.REVIEW, (Category.CONTACT_EXCHANGE,), "на проверке")
    moderation.by_text["Ок"] = ModerationDecision(ModerationAction.BLOCK, (Category.LOW_EFFORT_REPLY,), "односложный ответ")
    script = [(BUYER, "Здравствуйте"), (SELLER, "Ок"), (colleague, "Пишите в телеграм"), (BUYER, "Пишите в телеграм"),
              (SELLER, "Здравствуйте! Отправим сегодня."), (BUYER, "Ок"), (BUYER, "Спасибо"), (SELLER, "Пишите в телеграм")]
    sent = [(await send(handlers, who, thread.thread_id, f"v{i}", text))[0] for i, (who, text) in enumerate(script)]
    await handlers.release_held(c.ReleaseHeld(sent[2].message_id, approved=True))
    await handlers.release_held(c.ReleaseHeld(sent[3].message_id, approved=False))
    repos = uow.reader()
    stored = [await repos.messages.get(m.message_id) for m in sent]
    thread = await repos.threads.get(thread.thread_id)
    viewers = (BUYER, SELLER, colleague, Identity("m1", Role.MODERATOR))
    for viewer in viewers:
        audience = access.message_audience(thread, viewer)
        listed, _ = await repos.messages.page(thread.thread_id, audience, direction=Direction.NEWER, start_seq=0, size=100, token="")
        assert [m.seq for m in listed] == [m.seq for m in stored if audience.admits(m)], viewer
    for side in (Side.BUYER, Side.SELLER):
        for after in range(thread.last_seq + 1):
            unread = reading.unread_for(thread, side, after)
            assert await repos.messages.count_unread(unread) == sum(unread.matches(m) for m in stored), (side, after)
    # The count kept on the thread follows the same definition.
    for side in (Side.BUYER, Side.SELLER):
        assert thread.unread[side] == sum(reading.unread_for(thread, side).matches(m) for m in stored)


async def test_the_close_and_the_rating_are_stored_with_the_thread(chat):
    handlers, _, _, _, uow = chat
    agent = Identity("agent-1", Role.SUPPORT)
    topic_thread, *_ = await handlers.create_thread(c.CreateThread(
        SELLER, "s-1", ThreadKind.SUPPORT, support=SupportTopic("Приемка товара", "Акт")))
    thread_id = topic_thread.thread.thread_id
    await send(handlers, SELLER, thread_id, "q1", "Здравствуйте! Не согласны с актом.")
    await send(handlers, agent, thread_id, "a1", "Здравствуйте! Акт исправлен.")
    await handlers.rate_thread(c.RateThread(SELLER, thread_id, 4, "Долго, но решили"))
    await handlers.close_thread(c.CloseThread(agent, thread_id, "Вопрос решен"))
    stored = await uow.reader().threads.get(thread_id)
    assert (stored.rating, stored.rating_comment, stored.close_reason, stored.closed_by) == (4, "Долго, но решили", "Вопрос решен", agent)
    assert stored.answered_at == T0  # the fact the rating rests on is stored


async def test_the_suspension_read_model_keeps_the_newest_news_per_party_and_every_replica_refreshes_it(chat):
    """StandingChanged out of order and redelivered: the event that happened last wins per party;
    the in-force query (suspended_until > now) is what a refresh loads; another replica over the
    same database refuses the suspended shop once it refreshed."""
    handlers, db, clock, moderation, uow = chat
    thread = await open_order(handlers)
    shop, writer, other_shop = Party.shop("s1"), Party.user("u1"), Party.shop("s2")

    def note(party, minutes_ago, current, days=7, event_id="e"):
        at = clock.now() - dt.timedelta(minutes=minutes_ago)
        until = at + dt.timedelta(days=days) if current is Standing.SUSPENDED else None
        previous = Standing.RESTRICTED if current is Standing.SUSPENDED else Standing.SUSPENDED
        return c.NoteStanding(f"{event_id}-{party.key}-{minutes_ago}", at, party, previous, current, until)

    # the early end (1 min ago) is consumed before the suspension it ended (5 min ago)
    assert await handlers.note_standing(note(shop, 1, Standing.RESTRICTED)) is True
    assert await handlers.note_standing(note(shop, 5, Standing.SUSPENDED)) is False
    assert await handlers.note_standing(note(writer, 2, Standing.SUSPENDED, days=1)) is True
    assert await handlers.note_standing(note(writer, 2, Standing.SUSPENDED, days=1)) is False  # redelivered
    assert await handlers.note_standing(note(other_shop, 3, Standing.SUSPENDED, days=30)) is True
    stored = {d["_id"]: d async for d in db.suspensions.find()}
    assert set(stored) == {"shop:s1", "user:u1", "shop:s2"} and stored["shop:s1"]["suspended_until"] is None
    in_force = await uow.reader().suspensions.in_force(clock.now())
    assert sorted(s.party.key for s in in_force) == ["shop:s2", "user:u1"]
    # at the very end of the writer's day it no longer counts (suspended_until > now, not >=)
    writer_ends = clock.now() + dt.timedelta(days=1) - dt.timedelta(minutes=2)
    assert [s.party.key for s in await uow.reader().suspensions.in_force(writer_ends)] == ["shop:s2"]

    replica = ChatHandlers(uow, PolicyHolder.fixed(POLICY), clock, moderation, FakeAttachmentStore(), FakeLiveEvents())
    message, *_ = await send(replica, SELLER, thread.thread_id, "before-refresh")  # it has not read them yet
    assert message.seq == 1
    assert await replica.refresh_suspensions() == 2
    with pytest.raises(FailedPrecondition) as err:
        await send(replica, SELLER, thread.thread_id, "after-refresh")
    assert err.value.reason == "SENDER_SUSPENDED" and err.value.metadata["suspended_party"] == "user:u1"
    colleague = Identity("u2", Role.SELLER, "s1")
    assert (await send(replica, colleague, thread.thread_id, "colleague"))[0].seq == 2  # the shop itself was released


async def test_the_read_model_keeps_the_standing_version_and_orders_by_it(chat):
    """A suspension recorded after a lift but dated before it (its message's time) is kept by its
    higher standing_version; a document written before chat kept the version reads as 0."""
    handlers, db, clock, _, uow = chat
    shop = Party.shop("s-version")
    now = clock.now()
    lift = c.NoteStanding("ev-lift", now - dt.timedelta(minutes=1), shop, Standing.SUSPENDED, Standing.RESTRICTED, standing_version=4)
    late = c.NoteStanding("ev-s", now - dt.timedelta(minutes=2), shop, Standing.RESTRICTED, Standing.SUSPENDED,
                          now + dt.timedelta(days=7), standing_version=5)
    assert await handlers.note_standing(lift) is True
    assert await handlers.note_standing(late) is True
    assert await handlers.note_standing(lift) is False  # redelivered late: an older version
    doc = await db.suspensions.find_one({"_id": shop.key})
    assert (doc["event_id"], doc["standing_version"]) == ("ev-s", 5)
    assert [(s.party, s.standing_version) for s in await uow.reader().suspensions.in_force(now)] == [(shop, 5)]
    await db.suspensions.update_one({"_id": shop.key}, {"$unset": {"standing_version": ""}})
    assert (await uow.reader().suspensions.get(shop)).standing_version == 0


async def test_concurrent_news_about_one_party_leave_the_newest(chat):
    handlers, db, clock, _, _ = chat
    shop = Party.shop("s-race")
    base = clock.now()
    notes = [c.NoteStanding(f"e{i}", base + dt.timedelta(seconds=i), shop, Standing.RESTRICTED, Standing.SUSPENDED,
                            base + dt.timedelta(days=1, seconds=i)) for i in range(8)]
    await asyncio.gather(*(handlers.note_standing(n) for n in reversed(notes)))
    doc = await db.suspensions.find_one({"_id": shop.key})
    assert doc["event_id"] == "e7" and doc["suspended_until"] == base + dt.timedelta(days=1, seconds=7)


async def test_messages_cleared_after_their_thread_closed_are_stored_undelivered_and_announced(chat):
    """A held message approved, and a blocked one reversed on appeal, after the thread closed:
    stored UNDELIVERED with the reason for the sender, one message.undelivered event each (no
    text), nothing delivered; redelivered decisions change nothing."""
    handlers, db, _, moderation, uow = chat
    thread = await open_order(handlers)
    moderation.by_text["Склад дно"] = ModerationDecision(ModerationAction.REVIEW, (Category.DISPARAGEMENT,), "на проверке")
    moderation.by_text["Пишите в телеграм @shop"] = ModerationDecision(ModerationAction.BLOCK, (Category.CONTACT_EXCHANGE,), "контакты")
    held, *_ = await send(handlers, BUYER, thread.thread_id, "u1", "Склад дно")
    blocked, *_ = await send(handlers, SELLER, thread.thread_id, "u2", "Пишите в телеграм @shop")
    await handlers.close_thread(c.CloseThread(BUYER, thread.thread_id))
    for _ in range(2):
        await handlers.release_held(c.ReleaseHeld(held.message_id, approved=True, review_id=held.message_id))
        await handlers.deliver_on_appeal(c.DeliverOnAppeal(blocked.message_id, "ap-1"))
    docs = {d["_id"]: d async for d in db.messages.find()}
    assert {d["status"] for d in docs.values()} == {"UNDELIVERED"} and all(d["status_reason"] for d in docs.values())
    events = [events_pb2.MessageUndelivered.FromString(bytes(d["payload"])) for d in await outbox(db, r"\.message\.undelivered")]
    assert sorted((x.message.message_id, x.review_id, x.appeal_id, x.message.text) for x in events) == sorted(
        [(held.message_id, held.message_id, "", ""), (blocked.message_id, "", "ap-1", "")])
    assert not await outbox(db, r"\.message\.delivered")
    stored = await uow.reader().messages.get(held.message_id)
    assert stored.status_reason and stored.released_at is not None


class _Commands(monitoring.CommandListener):
    """Every command the client sends: (name, collection)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen.append((event.command_name, str(event.command.get(event.command_name, ""))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_send_costs_the_same_round_trips_with_suspensions_in_force_and_never_reads_them(infra, unique):
    """The suspension check is a look-up in memory: a send makes the same database commands
    whether or not suspensions are in force, none of them on the suspensions collection."""
    listener = _Commands()
    client = AsyncMongoClient(infra["mongodb_uri"], tz_aware=True, event_listeners=[listener])
    db = client[unique]
    await mongo.ensure_indexes(db, INDEXES)
    clock = FixedClock(T0)
    uow = MongoUnitOfWork(client, db, repositories=repositories, map_event=map_event, subject_prefix=unique, producer="chat")
    handlers = ChatHandlers(uow, PolicyHolder.fixed(POLICY), clock, FakeModeration(), FakeAttachmentStore(), FakeLiveEvents())
    try:
        thread = await open_order(handlers)

        async def commands_of_one_send(request_id: str) -> list[tuple[str, str]]:
            listener.seen.clear()
            await send(handlers, BUYER, thread.thread_id, request_id)
            return list(listener.seen)

        without = await commands_of_one_send("rt-1")
        for i in range(20):
            await handlers.note_standing(c.NoteStanding(f"e{i}", T0, Party.shop(f"other-{i}"), Standing.RESTRICTED, Standing.SUSPENDED,
                                                        T0 + dt.timedelta(days=7)))
        assert await handlers.refresh_suspensions() == 20
        with_suspensions = await commands_of_one_send("rt-2")
        assert with_suspensions == without, (with_suspensions, without)
        assert not [cmd for cmd in with_suspensions if cmd[1] == "suspensions"]
        # the hot path of docs/architecture.md: two reads, then one transaction of three writes
        assert [name for name, _ in without] == ["find", "find", "update", "insert", "insert", "commitTransaction"]
    finally:
        await client.drop_database(unique)
        await client.close()


async def test_a_reversal_consumed_before_the_rejection_is_kept_on_the_message_and_applied_with_it(chat):
    """The appeal's reversal reaches chat while the message is still HELD: it is stored on the
    message (no event); the rejection then blocks it and delivers it in one transaction, with
    both events."""
    handlers, db, _, moderation, uow = chat
    thread = await open_order(handlers)
    moderation.by_text["Склад дно"] = ModerationDecision(ModerationAction.REVIEW, (Category.DISPARAGEMENT,), "на проверке")
    held, *_ = await send(handlers, SELLER, thread.thread_id, "h1", "Склад дно")
    assert await handlers.deliver_on_appeal(c.DeliverOnAppeal(held.message_id, "ap-1", "Ошибка")) is True
    doc = await db.messages.find_one({"_id": held.message_id})
    assert doc["status"] == "HELD" and (doc["moderation"]["reversed_on_appeal"], doc["moderation"]["appeal_comment"]) == ("ap-1", "Ошибка")
    assert not await outbox(db, r"\.message\.(blocked|delivered)")
    assert await handlers.release_held(c.ReleaseHeld(held.message_id, approved=False, review_id="rv-1")) is True
    stored = await uow.reader().messages.get(held.message_id)
    assert (stored.status.value, stored.review_comment) == ("DELIVERED", "Ошибка")
    assert sorted(d["subject"].rsplit(".", 1)[-1] for d in await outbox(db, r"\.message\.(blocked|delivered)")) == [
        "blocked", "delivered"]


async def test_a_message_keeps_what_its_send_answered_through_later_decisions(chat):
    """`answered` is written with the message and never by a save: a retry after the approval of
    a held message is answered HELD with moderation's first reason, while the stored message is
    DELIVERED; a document written before `answered` existed replays as it is."""
    handlers, db, _, moderation, uow = chat
    thread = await open_order(handlers)
    moderation.by_text["Склад дно"] = ModerationDecision(ModerationAction.REVIEW, (Category.DISPARAGEMENT,), "на проверке")
    first, *_ = await send(handlers, BUYER, thread.thread_id, "r-held", "Склад дно")
    await handlers.release_held(c.ReleaseHeld(first.message_id, approved=True, comment="Можно"))
    doc = await db.messages.find_one({"_id": first.message_id})
    assert (doc["status"], doc["answered"]) == ("DELIVERED", {"status": "HELD", "reason": "на проверке"})
    again, created, replayed = await send(handlers, BUYER, thread.thread_id, "r-held", "Склад дно")
    assert created and replayed and (again.status.value, again.moderation_reason, again.released_at) == ("HELD", "на проверке", None)
    await db.messages.update_one({"_id": first.message_id}, {"$unset": {"answered": ""}})
    assert (await send(handlers, BUYER, thread.thread_id, "r-held", "Склад дно"))[0].status.value == "DELIVERED"
