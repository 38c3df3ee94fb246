"""Chat's MongoDB repository against the embedded server: reply deadlines are announced once."""
from __future__ import annotations

import datetime as dt

import pytest

from prilavok.chat.v1 import events_pb2
from prilavok_platform import mongo
from prilavok_platform.auth import Identity, Role
from prilavok_platform.outbox import OUTBOX_COLLECTION
from services.chat.adapters.repository import INDEXES, MongoChatRepository
from services.chat.domain.model import ChatPolicy, Message, MessageStatus, NewThread, ThreadKind, open_thread

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
POLICY = ChatPolicy("t", 4000, 10, 1 << 20, 10, 255, ("image/jpeg",), seller_reply_hours=240, support_reply_hours=72,
                    remind_before_hours=24, moderation_deadline_ms=500)
BUYER, SELLER = Identity("b1", Role.BUYER), Identity("u1", Role.SELLER, "s1")


@pytest.fixture
async def repo(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "test")
    db = client[unique]
    await mongo.ensure_indexes(db, INDEXES)
    yield MongoChatRepository(client, db, unique), db
    await client.drop_database(unique)
    await client.close()


async def send(repository, thread, sender, side, n, at):
    message = Message(f"m{n}", thread.thread_id, 0, sender, "Здравствуйте", MessageStatus.DELIVERED, at)
    return await repository.append_message(thread, side, message, thread.reply_due_after(side, at, POLICY))


async def deadline_events(db) -> list[tuple[str, bool]]:
    out = []
    async for doc in db[OUTBOX_COLLECTION].find({"subject": {"$regex": r"\.deadline\."}}).sort("ts", 1):
        event = events_pb2.ReplyDeadline.FromString(bytes(doc["payload"]))
        out.append((doc["subject"].rsplit(".", 1)[-1], event.breached))
    return out


async def test_a_reply_deadline_is_reminded_once_breached_once_and_cleared_by_the_answer(repo):
    repository, db = repo
    thread, _ = await repository.create_thread(open_thread(NewThread("r", ThreadKind.ORDER, order_id="o1", shop_id="s1"), BUYER, T0, POLICY))
    await send(repository, thread, BUYER, "buyer", 1, T0)
    stored = await repository.get_thread(thread.thread_id)
    assert stored.reply_due_at == T0 + dt.timedelta(hours=240)
    remind = dt.timedelta(hours=24)

    assert await repository.announce_deadlines(T0 + dt.timedelta(hours=100), remind) == 0
    assert await repository.announce_deadlines(T0 + dt.timedelta(hours=220), remind) == 1
    assert await repository.announce_deadlines(T0 + dt.timedelta(hours=221), remind) == 0
    assert await repository.announce_deadlines(T0 + dt.timedelta(hours=241), remind) == 1
    assert await repository.announce_deadlines(T0 + dt.timedelta(hours=300), remind) == 0
    assert await deadline_events(db) == [("approaching", False), ("breached", True)]

    # A second buyer message does not restart the clock; the seller's answer stops it.
    thread = await repository.get_thread(thread.thread_id)
    await send(repository, thread, BUYER, "buyer", 2, T0 + dt.timedelta(hours=250))
    assert (await repository.get_thread(thread.thread_id)).reply_due_at == T0 + dt.timedelta(hours=240)
    thread = await repository.get_thread(thread.thread_id)
    await send(repository, thread, SELLER, "seller", 3, T0 + dt.timedelta(hours=251))
    answered = await repository.get_thread(thread.thread_id)
    assert answered.reply_due_at is None and answered.unread == {"buyer": 1, "seller": 2}
