"""Notify's repositories against the embedded server: a notification stored once per id, inboxes
paged by one to the end (ties on created_at, unread_only, writes while paging), mark read
confined to the caller's inbox, versioned preferences (old e-mail/webhook fields ignored,
concurrent updates over the MongoDB unit of work all landing), and the declared indexes
answering the list query. Then the running service (its own process, as the `notify` NATS user):
events each producer publishes (as its own user) reach it through its durables and are told."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import pathlib
import signal
import subprocess
import sys
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from devstack.nats_config import NatsAccounts, admin_user
from prilavok.chat.v1 import chat_pb2
from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok.returns.v1 import events_pb2 as returns_events
from prilavok.returns.v1 import returns_pb2
from prilavok_platform import mongo
from prilavok_platform import nats as platform_nats
from prilavok_platform.clock import FixedClock
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.protobuf import party_to_pb, timestamp
from services.notify.adapters.preferences_cache import TtlPreferencesCache
from services.notify.adapters.repository import INDEXES, repositories
from services.notify.bootstrap import no_events
from services.notify.domain.commands import GetPreferences, MarkNotificationsRead, UpdatePreferences
from services.notify.domain.model import Kind, Notification, Preferences, PreferencesChange
from services.notify.service_layer.handlers import NotifyHandlers
from services.notify.service_layer.ports import StoredPreferences
from tests.unit.notify.fakes import FakeFanout

pytestmark = pytest.mark.integration
ROOT = pathlib.Path(__file__).resolve().parents[2]
BUYER = Party.user("b1")
SHOP = Party.shop("s1")
DESK = Party.support()
T0 = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


class FindRecorder(monitoring.CommandListener):
    """The find commands the repository sends, to explain them as they were sent."""

    def __init__(self) -> None:
        self.finds: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.finds.append({k: event.command[k] for k in ("find", "filter", "sort", "limit") if k in event.command})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def world(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "test")
    db = client[unique]
    await mongo.ensure_indexes(db, INDEXES)  # as bootstrap does through open_infrastructure
    uow = MongoUnitOfWork(client, db, repositories=repositories, map_event=no_events, subject_prefix="test", producer="notify")
    yield uow.reader(), db, NotifyHandlers(uow, FakeFanout(), TtlPreferencesCache(FixedClock(T0)))
    await client.drop_database(unique)
    await client.close()


def note(n: str, recipient: Party = BUYER, at: dt.datetime = T0, kind: Kind = Kind.NEW_MESSAGE, **extra: Any) -> Notification:
    return Notification(n, recipient, kind, f"title {n}", f"body {n}", at, **extra)


def newest_first(notifications: list[Notification]) -> list[str]:
    return [n.notification_id for n in sorted(notifications, key=lambda n: (n.created_at, n.notification_id), reverse=True)]


async def page_by_one(repo, recipient: Party, unread_only: bool = False, between=None) -> list[Notification]:
    seen: list[Notification] = []
    token = ""
    while True:
        page, token = await repo.page(recipient, unread_only, 1, token)
        assert len(page) <= 1
        seen += page
        if between is not None:
            await between(seen)
        if not token:
            return seen


async def test_adding_stores_only_new_ids_and_never_overwrites(world):
    repos, db, h = world
    repo = repos.notifications
    first = [note("n1", at=T0, thread_id="t1"), note("n2", SHOP, T0 + dt.timedelta(seconds=1), Kind.CLAIM_UPDATE, claim_id="c1"),
             note("n3", DESK, T0, Kind.PENALTY)]
    assert await repo.add_new(first) == first
    assert await repo.add_new(first) == []  # a redelivered event adds nothing
    n4 = note("n4", at=T0 + dt.timedelta(seconds=2))
    assert await repo.add_new([first[1], n4, first[0]]) == [n4]
    # The same id twice in one batch: the first is stored, the second is not new.
    n5, n5_again = note("n5"), note("n5", SHOP, kind=Kind.REFUND)
    assert await repo.add_new([n5, n5_again]) == [n5]
    assert await db.notifications.count_documents({}) == 5
    assert (await db.notifications.find_one({"_id": "n5"}))["recipient"] == "user:b1"

    # A read notification stays read when its event is delivered again.
    await repo.mark_read(BUYER, ["n1"])
    assert await repo.add_new([first[0]]) == []
    assert (await db.notifications.find_one({"_id": "n1"}))["read"] is True

    # What was stored reads back field for field, in each recipient's inbox.
    assert [n.notification_id for n in (await repo.page(BUYER, False, 10, ""))[0]] == ["n4", "n5", "n1"]
    [shop_note], _ = await repo.page(SHOP, False, 10, "")
    assert shop_note == first[1]
    [desk_note], _ = await repo.page(DESK, False, 10, "")
    assert desk_note == first[2]


async def test_paging_by_one_returns_every_notification_once_newest_first_with_ties(world):
    repos, _, h = world
    repo = repos.notifications
    ties = [T0, T0, T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=1),
            T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=2)]
    # Ids out of insertion order, so the tie-break on _id is what orders a tie group (six at one second).
    ids = ["k", "b", "q", "a", "z", "m", "c", "x", "d"]
    mine = [note(i, at=at) for i, at in zip(ids, ties, strict=True)]
    others = [note(f"o{i}", SHOP, at) for i, at in enumerate(ties)] + [note("p", Party.user("b2"), T0 + dt.timedelta(seconds=1))]
    await repo.add_new(mine[:4] + others + mine[4:])
    await repo.mark_read(BUYER, ["q", "c", "k"])

    everything = await page_by_one(repo, BUYER)
    assert [n.notification_id for n in everything] == newest_first(mine)
    unread = await page_by_one(repo, BUYER, unread_only=True)
    assert [n.notification_id for n in unread] == [i for i in newest_first(mine) if i not in {"q", "c", "k"}]
    assert all(not n.read for n in unread)
    assert {n.notification_id for n in everything if n.read} == {"q", "c", "k"}
    assert [n.notification_id for n in await page_by_one(repo, SHOP)] == newest_first(others[:-1])

    # Larger pages give the same sequence.
    big, token = await repo.page(BUYER, False, 4, "")
    rest, token2 = await repo.page(BUYER, False, 100, token)
    assert token and not token2
    assert [n.notification_id for n in big + rest] == newest_first(mine)


async def test_ties_below_a_millisecond_are_paged_once(world):
    repos, _, h = world
    repo = repos.notifications
    # Event times carry microseconds; the server keeps milliseconds, so these become one tie.
    mine = [note(f"u{n}", at=T0 + dt.timedelta(microseconds=100 * n)) for n in range(5)]
    await repo.add_new(mine)
    listed = await page_by_one(repo, BUYER)
    assert sorted(n.notification_id for n in listed) == sorted(n.notification_id for n in mine)
    keys = [(n.created_at, n.notification_id) for n in listed]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("unread_only", [False, True])
async def test_writes_while_paging_do_not_repeat_anything(world, unread_only):
    repos, _, h = world
    repo = repos.notifications
    mine = [note(f"w{n}", at=T0 + dt.timedelta(seconds=n // 2)) for n in range(8)]  # pairs share created_at
    await repo.add_new(mine)

    async def meanwhile(seen: list[Notification]) -> None:
        if len(seen) == 3:
            await repo.add_new([note("newer", at=T0 + dt.timedelta(hours=1)), note("older", at=T0 - dt.timedelta(hours=1))])
            await repo.mark_read(BUYER, [seen[0].notification_id, "w2"])  # one already listed, one still ahead

    seen = [n.notification_id for n in await page_by_one(repo, BUYER, unread_only, meanwhile)]
    assert len(seen) == len(set(seen))
    # "newer" sorts before the token (the next listing from the start shows it); "older" comes once, last;
    # "w2", read meanwhile, drops out of an unread listing only.
    expected = newest_first(mine) + ["older"]
    assert seen == ([i for i in expected if i != "w2"] if unread_only else expected)
    again = [n.notification_id for n in await page_by_one(repo, BUYER, unread_only)]
    assert again[0] == "newer" and len(again) == len(set(again))


async def test_mark_read_touches_only_the_callers_inbox(world):
    repos, _, h = world
    repo = repos.notifications
    await repo.add_new([note("a1"), note("a2"), note("a3"), note("s1", SHOP), note("s2", SHOP), note("d1", DESK),
                        note("x1", Party.user("s1"))])  # the same id string as the shop, but a user
    assert (await repo.unread_count(BUYER), await repo.unread_count(SHOP), await repo.unread_count(DESK)) == (3, 2, 1)

    await repo.mark_read(BUYER, ["a1", "s1", "d1", "x1", "nope"])  # other inboxes' ids match nothing
    assert (await repo.unread_count(BUYER), await repo.unread_count(SHOP), await repo.unread_count(DESK)) == (2, 2, 1)
    assert await repo.unread_count(Party.user("s1")) == 1
    await repo.mark_read(BUYER, ["a1"])  # again: nothing changes
    assert await repo.unread_count(BUYER) == 2

    await repo.mark_read(SHOP, None)  # all
    assert (await repo.unread_count(BUYER), await repo.unread_count(SHOP), await repo.unread_count(DESK)) == (2, 0, 1)
    assert await repo.unread_count(Party.user("s1")) == 1
    listed, _ = await repo.page(SHOP, False, 10, "")
    assert {(n.notification_id, n.read) for n in listed} == {("s1", True), ("s2", True)}
    assert (await repo.page(SHOP, True, 10, "")) == ([], "")

    # Through the handler: a buyer names ids (one of the desk's among them), a support agent marks all of the desk's.
    assert await h.mark_read(MarkNotificationsRead(Identity("b1", Role.BUYER), ("a2", "d1"))) == 1
    assert await h.mark_read(MarkNotificationsRead(Identity("agent", Role.SUPPORT), all=True)) == 0
    assert await repo.unread_count(BUYER) == 1 and await repo.unread_count(Party.user("s1")) == 1
    assert await repo.unread_count(Party.user("nobody")) == 0


async def test_preferences_default_until_saved_then_saved_by_version(world):
    repos, db, h = world
    prefs = repos.preferences
    assert await prefs.get(SHOP) is None
    assert await h.get_preferences(GetPreferences(Identity("u1", Role.SELLER, "s1"))) == Preferences()

    saved = Preferences(frozenset({Kind.PENALTY, Kind.NEW_MESSAGE}))
    assert await prefs.save(SHOP, saved, 0)
    assert not await prefs.save(SHOP, Preferences(), 0)  # someone saved first: nothing stored
    assert await prefs.get(SHOP) == StoredPreferences(saved, 1)
    assert await prefs.get(Party.user("s1")) is None  # same id, another party
    assert await h.get_preferences(GetPreferences(Identity("u1", Role.SELLER, "s1"))) == saved

    replaced = Preferences(frozenset({Kind.REFUND}))
    assert not await prefs.save(SHOP, replaced, 2)
    assert await prefs.save(SHOP, replaced, 1)
    assert await prefs.get(SHOP) == StoredPreferences(replaced, 2)
    assert await db.preferences.count_documents({}) == 1

    assert await prefs.save(DESK, Preferences(), 0)
    assert await prefs.get(DESK) == StoredPreferences(Preferences(), 1)
    # A kind written by a newer version is left out, the known ones kept.
    await db.preferences.update_one({"_id": "support"}, {"$set": {"muted_kinds": ["REFUND", "SOMETHING_NEW"]}})
    assert (await prefs.get(DESK)).preferences == Preferences(frozenset({Kind.REFUND}))


async def test_preferences_stored_before_versions_with_email_and_webhook_fields(world):
    repos, db, h = world
    # What an earlier notify stored: no version, and channel settings that were never used.
    await db.preferences.insert_one({"_id": "user:b1", "muted_kinds": ["PENALTY"], "email_enabled": True,
                                     "email_address": "b1@example.ru", "webhook_enabled": True, "webhook_url": "https://x"})
    assert await repos.preferences.get(BUYER) == StoredPreferences(Preferences(frozenset({Kind.PENALTY})), 1)
    buyer = Identity("b1", Role.BUYER)
    change = PreferencesChange(frozenset({"muted_kinds"}), Preferences(frozenset({Kind.REFUND})))
    assert await h.update_preferences(UpdatePreferences(buyer, change)) == Preferences(frozenset({Kind.REFUND}))
    assert await db.preferences.find_one({"_id": "user:b1"}) == {"_id": "user:b1", "muted_kinds": ["REFUND"], "version": 2}


@pytest.mark.parametrize("stored_before", [False, True])
async def test_concurrent_preference_updates_all_land_over_the_unit_of_work(world, stored_before):
    repos, db, h = world
    if stored_before:
        await repos.preferences.save(SHOP, Preferences(frozenset({Kind.PENALTY})), 0)
    sellers = [Identity(f"u{i}", Role.SELLER, "s1") for i in range(6)]
    kinds = list(Kind)
    # Every seller sets the shop's mutes at once, some with a mask, some replacing everything.
    changes = [PreferencesChange(frozenset({"muted_kinds"} if i % 2 else ()), Preferences(frozenset({kinds[i]})))
               for i in range(len(sellers))]
    results = await asyncio.gather(*(h.update_preferences(UpdatePreferences(s, c)) for s, c in zip(sellers, changes, strict=True)))
    assert sorted(results, key=str) == sorted((c.values for c in changes), key=str)
    final = await repos.preferences.get(SHOP)
    # Each update saved its own version: none overwrote another unseen.
    assert final.version == len(sellers) + (1 if stored_before else 0)
    assert final.preferences in results
    assert await db.preferences.count_documents({}) == 1


def stages(plan: Any) -> list[dict[str, Any]]:
    if isinstance(plan, dict):
        found = [plan] if "stage" in plan else []
        return found + [s for value in plan.values() for s in stages(value)]
    if isinstance(plan, list):
        return [s for value in plan for s in stages(value)]
    return []


async def test_declared_indexes_exist_and_answer_the_list_query(infra, unique):
    recorder = FindRecorder()
    client = AsyncMongoClient(infra["mongodb_uri"], tz_aware=True, event_listeners=[recorder])
    db = client[unique]
    try:
        await check_indexes_answer_the_list_query(db, recorder)
    finally:
        await client.drop_database(unique)
        await client.close()


async def check_indexes_answer_the_list_query(db, recorder: FindRecorder) -> None:
    await mongo.ensure_indexes(db, INDEXES)  # what bootstrap's open_infrastructure does
    await mongo.ensure_indexes(db, INDEXES)  # a restart creates them again without complaint
    declared = {spec.name: spec.keys for spec in INDEXES}
    existing = {i["name"]: list(i["key"].items()) async for i in await db.notifications.list_indexes()}
    assert {name: existing.get(name) for name in declared} == declared

    repo = repositories(db, None).notifications
    await repo.add_new([note(f"e{n}", BUYER if n % 2 else SHOP, T0 + dt.timedelta(seconds=n // 3)) for n in range(12)])
    for unread_only, index in ((False, "notifications_recipient_created"), (True, "notifications_recipient_read_created")):
        recorder.finds.clear()
        _, token = await repo.page(BUYER, unread_only, 2, "")
        await repo.page(BUYER, unread_only, 2, token)
        assert len(recorder.finds) >= 2
        for find in recorder.finds:
            explained = await db.command("explain", find, verbosity="queryPlanner")
            winning = stages(explained["queryPlanner"]["winningPlan"])
            assert "COLLSCAN" not in {s["stage"] for s in winning}, find
            assert {s.get("indexName") for s in winning if s["stage"] == "IXSCAN"} == {index}, find


# --- the running service: its durables, as its own NATS user ------------------------------------


def rub(amount_minor: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount_minor, currency_code="RUB")


async def _wait_for(condition, what: str, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await condition()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def _delete_streams(address: str, accounts: NatsAccounts, prefix: str) -> None:
    """Deletes each producer's stream on `prefix` (and the durables on it) as the tests' unlimited
    user in that producer's account (`admin_user`, as test_nats_permissions does): the `test`
    user's account sees none of the services' streams (its delete finds nothing). The fixture
    created every one of them, so a stream not found here is an error, not a clean-up done."""
    for producer in platform_nats.PRODUCERS:
        user = admin_user(producer)
        admin = await platform_nats.connect(address, f"test-cleanup-{producer}", user=user, password=accounts.passwords[user],
                                            inbox=platform_nats.inbox_prefix(user))
        try:
            assert await admin.jetstream().delete_stream(platform_nats.stream_name(prefix, producer))
        finally:
            await admin.drain()


@pytest.fixture
async def running_notify(infra, unique, tmp_path):
    """The notify service as a process of its own (`python -m services.notify`, as make run
    starts it) on the permissions prefix (which the service users' permissions name), as the
    `notify` NATS user; the producers' streams created by the producers' own users, as each does
    at start. Yields a publisher per producer (its user, its producer header) and the notify
    database. Afterwards the service must exit cleanly, having logged no traceback; the streams
    (and the durables on them) are deleted by each producer account's admin user."""
    prefix, address, accounts = infra["permissions_prefix"], infra["nats_address"], infra["nats_accounts"]
    producers = {}
    for producer in ("chat", "moderation", "returns"):
        nc = await platform_nats.connect(address, f"test-as-{producer}", user=producer, password=accounts.passwords[producer],
                                         inbox=platform_nats.inbox_prefix(producer))
        js = nc.jetstream()
        await platform_nats.ensure_streams(js, platform_nats.own_streams(prefix, producer))
        producers[producer] = (nc, platform_nats.EventPublisher(js))

    async def publish(subject_tail: str, event) -> None:
        producer = event.DESCRIPTOR.full_name.split(".")[1]
        _, publisher = producers[producer]
        await publisher.publish(platform_nats.subject(prefix, producer, subject_tail), event.SerializeToString(), event.event_id,
                                headers=platform_nats.event_headers(event, producer))

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PRILAVOK_", "MONGODB_", "NATS_"))}
    environ.update({
        "MONGODB_URI": infra["mongodb_uri"], "MONGODB_DATABASE": unique, "NATS_URL": address, "NATS_USER": "notify",
        "NATS_PASSWORD": accounts.passwords["notify"], "PRILAVOK_SUBJECT_PREFIX": prefix, "PRILAVOK_GRPC_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    })
    log_path = tmp_path / "notify.log"
    with log_path.open("wb") as log:
        service = subprocess.Popen([sys.executable, "-m", "services.notify"], env=environ, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    client = mongo.create_client(infra["mongodb_uri"], "test")
    try:
        yield publish, client[unique]
    finally:
        service.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(service.wait, 20)
        try:
            await _delete_streams(address, accounts, prefix)
        finally:
            for nc, _ in producers.values():
                await nc.drain()
            await client.drop_database(unique)
            await client.close()
    logged = log_path.read_text()
    assert code == 0 and "Traceback" not in logged, logged[-4000:]


async def test_the_running_service_tells_from_each_durable_an_undelivered_message_a_suspension_an_appeal_and_a_held_refund(
        running_notify):
    publish, db = running_notify
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    shop = party_to_pb(SHOP)
    closed = chat_pb2.Thread(thread_id="t1", order_id="o1", status=chat_pb2.THREAD_STATUS_CLOSED, closed_at=timestamp(at))
    await publish("message.undelivered", chat_events.MessageUndelivered(
        event_id="undelivered-1", occurred_at=timestamp(at), thread=closed, recipients=[shop], appeal_id="m1:appeal",
        message=chat_pb2.Message(message_id="m1", thread_id="t1", status=chat_pb2.MESSAGE_STATUS_UNDELIVERED)))
    await publish("standing.changed", moderation_events.StandingChanged(
        event_id="suspended-1", occurred_at=timestamp(at), previous=moderation_pb2.STANDING_RESTRICTED,
        current=moderation_pb2.STANDING_SUSPENDED, offender=shop, suspended_party=shop,
        suspended_until=timestamp(at + dt.timedelta(days=7))))
    await publish("appeal.resolved", moderation_events.AppealResolved(
        event_id="appeal-1", occurred_at=timestamp(at), appeal_id="m1:appeal", message_id="m1", thread_id="t1", appellant=shop,
        outcome=moderation_events.APPEAL_OUTCOME_REVERSED, comment="Блокировка ошибочна", message_was_blocked=True))

    held = returns_pb2.Claim(claim_id="c1", order_id="o1", buyer_id="b1", shop_id="s1", status=returns_pb2.CLAIM_STATUS_SETTLED,
                             refunded=rub(249_990), refund_state=returns_pb2.REFUND_STATE_PENDING_FUNDS, refund_held=rub(249_990))
    await publish("claim.status_changed", returns_events.ClaimStatusChanged(
        event_id="held-1", occurred_at=timestamp(at), claim=held, previous=returns_pb2.CLAIM_STATUS_ITEM_IN_TRANSIT))
    await publish("refund.issued", returns_events.RefundIssued(
        event_id="paid-1", occurred_at=timestamp(at + dt.timedelta(days=1)), claim_id="c1", buyer_id="b1", shop_id="s1",
        amount=rub(249_990), refund=rub(249_990), shipping_reimbursement=rub(0), posting_id="refund:c1"))

    async def told():
        docs = {d["_id"]: d async for d in db.notifications.find({})}
        return docs if len(docs) == 7 else None

    docs = await _wait_for(told, "the seven notifications")
    assert {key: (d["kind"], d["title"]) for key, d in docs.items()} == {
        "undelivered-1:shop:s1": ("MESSAGE_UNDELIVERED", "Сообщение не доставлено: чат закрыт"),
        "suspended-1:shop:s1": ("STANDING", "Отправка сообщений приостановлена"),
        "appeal-1:shop:s1": ("APPEAL", "Апелляция удовлетворена"),
        "held-1:user:b1": ("REFUND", "Возврат одобрен"),
        "held-1:shop:s1": ("REFUND", "Возврат ожидает средств на балансе"),
        "paid-1:user:b1": ("REFUND", "Деньги возвращены"),
        "paid-1:shop:s1": ("REFUND", "Списание с баланса"),
    }
    assert "Комментарий модератора: «Блокировка ошибочна»" in docs["appeal-1:shop:s1"]["body"]
