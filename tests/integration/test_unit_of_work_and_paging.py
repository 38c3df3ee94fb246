"""The platform's MongoDB unit of work and keyset paging, against a real SecantusDB."""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

import pytest

from prilavok.chat.v1 import events_pb2
from prilavok_platform import mongo, pagination
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork, OutboxEvent
from prilavok_platform.outbox import OUTBOX_COLLECTION
from prilavok_platform.unit_of_work import Transaction

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
async def db(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "uow-test")
    database = client[unique]
    yield client, database
    await client.drop_database(unique)
    await client.close()


@dataclass(frozen=True)
class Noted:
    text: str


class Notes:
    def __init__(self, database, session):
        self._collection = database.notes
        self._session = session

    async def add(self, note_id: str, text: str) -> None:
        await self._collection.insert_one({"_id": note_id, "text": text}, session=self._session)

    async def count(self) -> int:
        return await self._collection.count_documents({}, session=self._session)


def map_event(event: object, event_id: str) -> OutboxEvent:
    assert isinstance(event, Noted)
    return OutboxEvent("thread.created", events_pb2.ThreadCreated(event_id=event_id))


async def test_state_and_outbox_commit_together_and_the_relay_is_woken(db):
    client, database = db
    woken: list[int] = []
    uow = MongoUnitOfWork(client, database, repositories=Notes, map_event=map_event, subject_prefix="t",
                          producer="chat", on_commit=lambda: woken.append(1))

    async def work(tx: Transaction[Notes]) -> str:
        await tx.repos.add("n1", "hello")
        tx.emit(Noted("hello"), Noted("again"))
        return "ok"

    assert await uow.transaction(work) == "ok"
    outbox = [d async for d in database[OUTBOX_COLLECTION].find({})]
    assert [d["subject"] for d in outbox] == ["t.chat.thread.created"] * 2
    assert len({d["_id"] for d in outbox}) == 2 and woken == [1]
    assert events_pb2.ThreadCreated.FromString(bytes(outbox[0]["payload"])).event_id == outbox[0]["_id"]

    async def failing(tx: Transaction[Notes]) -> None:
        await tx.repos.add("n2", "lost")
        tx.emit(Noted("lost"))
        raise ValueError("the business said no")

    with pytest.raises(ValueError):
        await uow.transaction(failing)
    assert await uow.reader().count() == 1, "nothing of the failed transaction is stored"
    assert await database[OUTBOX_COLLECTION].count_documents({}) == 2 and woken == [1]


async def test_fetch_page_with_ties_and_concurrent_inserts_returns_every_item_once(db):
    _, database = db
    collection = database.items
    await collection.create_index([("owner", 1), ("at", -1), ("_id", -1)], name="items_owner_at")
    order = pagination.KeysetOrder(("at", -1, dt.datetime), ("_id", -1, str))
    docs = [{"_id": f"i{i:03d}", "owner": "a", "at": T0 + dt.timedelta(seconds=i // 4)} for i in range(40)]
    docs += [{"_id": f"x{i}", "owner": "b", "at": T0} for i in range(5)]
    await collection.insert_many(docs)
    seen, token, pages = [], "", 0
    while True:
        page, token = await mongo.fetch_page(collection, {"owner": "a"}, order, 3, token)
        seen += [d["_id"] for d in page]
        pages += 1
        if pages == 2:  # newer items arrive while paging: they sort before the cursor and are not repeated
            await collection.insert_one({"_id": "late", "owner": "a", "at": T0 + dt.timedelta(hours=1)})
        if not token:
            break
    expected = [d["_id"] for d in sorted(docs[:40], key=lambda d: (d["at"], d["_id"]), reverse=True)]
    assert seen == expected and pages == 14


async def test_fetch_page_where_ties_fill_a_whole_fetch(db):
    _, database = db
    order = pagination.KeysetOrder(("at", 1, dt.datetime), ("_id", 1, str))
    await database.same.insert_many([{"_id": f"s{i:02d}", "at": T0} for i in range(25)])
    seen, token = [], ""
    while True:
        page, token = await mongo.fetch_page(database.same, {}, order, 2, token)
        seen += [d["_id"] for d in page]
        if not token:
            break
    assert seen == [f"s{i:02d}" for i in range(25)]


async def test_concurrent_transactions_on_one_document_all_count(db):
    client, database = db
    await database.counters.insert_one({"_id": "c", "n": 0})

    class Counter:
        def __init__(self, database, session):
            self._c, self._s = database.counters, session

        async def bump(self) -> None:
            await self._c.update_one({"_id": "c"}, {"$inc": {"n": 1}}, session=self._s)

    uow = MongoUnitOfWork(client, database, repositories=Counter, map_event=map_event, subject_prefix="t", producer="chat")

    async def work(tx: Transaction[Counter]) -> None:
        await tx.repos.bump()
        tx.emit(Noted("bumped"))

    await asyncio.gather(*(uow.transaction(work) for _ in range(20)))
    assert (await database.counters.find_one({"_id": "c"}))["n"] == 20
    assert await database[OUTBOX_COLLECTION].count_documents({}) == 20
