"""Every query and update shape the services rely on, against the real driver and the
embedded server. A gap in SecantusDB (or any stand-in) must fail here, not in production.

Shapes are written out as the repositories (services/*/adapters/repository.py) send them; the
indexes are the repositories' own declarations (their INDEXES), so an index answering a shape is
checked as declared."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from prilavok_platform import mongo
from prilavok_platform.idempotency import fingerprint
from services.chat.adapters import repository as chat_repository
from services.moderation.adapters import repository as moderation_repository
from services.moderation.service_layer.ports import REVIEW_ORDER
from services.returns.adapters import repository as returns_repository
from services.returns.service_layer.ports import LEDGER_ORDER

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "conformance")
    database = client[unique]
    yield client, database
    await client.drop_database(unique)
    await client.close()


async def test_duplicate_id_raises_duplicate_key(db):
    _, d = db
    await d.c.insert_one({"_id": "a"})
    with pytest.raises(DuplicateKeyError):
        await d.c.insert_one({"_id": "a"})


async def test_insert_many_unordered_reports_each_duplicate(db):
    _, d = db
    await d.c.insert_one({"_id": "b"})
    with pytest.raises(BulkWriteError) as err:
        await d.c.insert_many([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}], ordered=False)
    assert [e["index"] for e in err.value.details["writeErrors"]] == [1]
    assert all(e["code"] == 11000 for e in err.value.details["writeErrors"])
    assert await d.c.count_documents({}) == 3


async def test_named_indexes_unique_and_sparse(db):
    _, d = db
    await mongo.ensure_indexes(d, [
        mongo.IndexSpec("claims", [("active_purchase_id", 1)], name="one_active", unique=True, extra={"sparse": True}),
        mongo.IndexSpec("messages", [("thread_id", 1), ("seq", 1)], name="thread_seq", unique=True),
    ])
    await mongo.ensure_indexes(d, [mongo.IndexSpec("messages", [("thread_id", 1), ("seq", 1)], name="thread_seq", unique=True)])
    names = {i["name"] async for i in await d.claims.list_indexes()}
    assert "one_active" in names
    await d.claims.insert_many([{"_id": 1}, {"_id": 2}])  # no field: sparse lets both in
    await d.claims.insert_one({"_id": 3, "active_purchase_id": "p"})
    with pytest.raises(DuplicateKeyError):
        await d.claims.insert_one({"_id": 4, "active_purchase_id": "p"})
    await d.claims.update_one({"_id": 3}, {"$unset": {"active_purchase_id": ""}})
    await d.claims.insert_one({"_id": 4, "active_purchase_id": "p"})
    await d.messages.insert_one({"thread_id": "t", "seq": 1})
    with pytest.raises(DuplicateKeyError):
        await d.messages.insert_one({"thread_id": "t", "seq": 1})


async def test_find_one_and_update_inc_upsert_and_dotted_paths(db):
    _, d = db
    after = await d.balances.find_one_and_update(
        {"_id": "shop:s1"}, {"$inc": {"amounts.RUB": 249_990, "seq": 1}, "$set": {"updated_at": dt.datetime.now(dt.UTC)}},
        upsert=True, return_document=ReturnDocument.AFTER,
    )
    assert after["amounts"]["RUB"] == 249_990 and after["seq"] == 1
    after = await d.balances.find_one_and_update({"_id": "shop:s1"}, {"$inc": {"amounts.RUB": -249_990, "seq": 1}},
                                                 return_document=ReturnDocument.AFTER, projection={"amounts": 1, "seq": 1})
    assert after == {"_id": "shop:s1", "amounts": {"RUB": 0}, "seq": 2}
    assert isinstance(after["amounts"]["RUB"], int)
    big = 9_000_000_000_000  # int64 kopecks survive exactly
    await d.balances.update_one({"_id": "shop:s1"}, {"$inc": {"amounts.RUB": big}})
    assert (await d.balances.find_one({"_id": "shop:s1"}))["amounts"]["RUB"] == big


async def test_conditional_update_on_status_and_max_and_nested_set(db):
    _, d = db
    await d.threads.insert_one({"_id": "t", "status": "OPEN", "last_seq": 0, "unread": {"buyer": 0, "seller": 0}, "read_seq": {"buyer": 5}})
    doc = await d.threads.find_one_and_update({"_id": "t", "status": "OPEN"}, {"$inc": {"last_seq": 1, "unread.seller": 1}},
                                              projection={"last_seq": 1}, return_document=ReturnDocument.AFTER)
    assert doc == {"_id": "t", "last_seq": 1}
    await d.threads.update_one({"_id": "t"}, {"$max": {"read_seq.buyer": 3}, "$set": {"unread.buyer": 0}})
    assert (await d.threads.find_one({"_id": "t"}))["read_seq"]["buyer"] == 5
    await d.threads.update_one({"_id": "t"}, {"$set": {"status": "CLOSED"}})
    assert await d.threads.find_one_and_update({"_id": "t", "status": "OPEN"}, {"$inc": {"last_seq": 1}}) is None


async def test_ne_on_an_array_applies_an_operation_once(db):
    _, d = db
    await d.claims.insert_one({"_id": "c", "version": 0, "applied_requests": ["r0"]})
    first = await d.claims.update_one({"_id": "c", "version": 0, "applied_requests": {"$ne": "r1"}},
                                      {"$set": {"version": 1, "applied_requests": ["r0", "r1"]}})
    again = await d.claims.update_one({"_id": "c", "applied_requests": {"$ne": "r1"}}, {"$inc": {"version": 1}})
    assert (first.matched_count, again.matched_count) == (1, 0)
    assert (await d.claims.find_one({"_id": "c"}))["version"] == 1


async def test_participant_queries_with_or_and_cursor_paging(db):
    _, d = db
    base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    await d.threads.create_index([("participant_keys", 1), ("last_activity_at", -1), ("_id", -1)], name="party_activity")
    docs = [{"_id": f"t{i}", "participant_keys": ["user:b1", f"shop:s{i % 2}"], "participants": {"buyer": "user:b1", "seller": f"shop:s{i % 2}"},
             "unread": {"buyer": i % 3, "seller": 0}, "last_activity_at": base + dt.timedelta(minutes=i // 2)} for i in range(10)]
    await d.threads.insert_many(docs)
    order = [("last_activity_at", -1), ("_id", -1)]
    first = [x["_id"] async for x in d.threads.find({"$and": [{"participant_keys": "user:b1"}]}).sort(order).limit(4)]
    assert first == ["t9", "t8", "t7", "t6"]
    last = docs[6]
    cursor = {"$or": [{"last_activity_at": {"$lt": last["last_activity_at"]}}, {"last_activity_at": last["last_activity_at"], "_id": {"$lt": "t6"}}]}
    second = [x["_id"] async for x in d.threads.find({"$and": [{"participant_keys": "user:b1"}, cursor]}).sort(order).limit(4)]
    assert second == ["t5", "t4", "t3", "t2"]
    unread = {"$or": [{f"participants.{s}": "user:b1", f"unread.{s}": {"$gt": 0}} for s in ("buyer", "seller", "author", "support")]}
    got = sorted([x["_id"] async for x in d.threads.find({"$and": [{"participant_keys": "user:b1"}, unread]})])
    assert got == sorted(f"t{i}" for i in range(10) if i % 3)
    assert await d.threads.count_documents({"participant_keys": "shop:s1"}) == 5


async def test_message_visibility_query_and_count_with_ne(db):
    _, d = db
    await d.messages.insert_many([
        {"_id": "m1", "thread_id": "t", "seq": 1, "status": "DELIVERED", "sender_party": "user:b1", "sender_side": "buyer"},
        {"_id": "m2", "thread_id": "t", "seq": 2, "status": "BLOCKED", "sender_party": "shop:s1", "sender_side": "seller"},
        {"_id": "m3", "thread_id": "t", "seq": 3, "status": "DELIVERED", "sender_party": "shop:s1", "sender_side": "seller"},
    ])
    visible = {"thread_id": "t", "$or": [{"status": "DELIVERED"}, {"sender_party": "user:b1"}]}
    assert [m["_id"] async for m in d.messages.find({**visible, "seq": {"$lt": 3}}).sort("seq", -1)] == ["m1"]
    assert await d.messages.count_documents({"thread_id": "t", "seq": {"$gt": 0}, "status": "DELIVERED", "sender_side": {"$ne": "buyer"}}) == 1


async def test_delete_many_in_and_replace_upsert_and_update_many(db):
    _, d = db
    await d.outbox.insert_many([{"_id": str(i), "ts": i} for i in range(5)])
    assert [x["_id"] async for x in d.outbox.find({}).sort("ts", 1).limit(2)] == ["0", "1"]
    await d.outbox.delete_many({"_id": {"$in": ["0", "1", "nope"]}})
    assert await d.outbox.count_documents({}) == 3
    await d.prefs.replace_one({"_id": "user:b1"}, {"muted_kinds": ["PENALTY"]}, upsert=True)
    await d.prefs.replace_one({"_id": "user:b1"}, {"muted_kinds": []}, upsert=True)
    assert (await d.prefs.find_one({"_id": "user:b1"}))["muted_kinds"] == []
    await d.n.insert_many([{"r": "x", "read": False}, {"r": "x", "read": False}, {"r": "y", "read": False}])
    result = await d.n.update_many({"r": "x", "read": False}, {"$set": {"read": True}})
    assert result.modified_count == 2 and await d.n.count_documents({"read": False}) == 1


async def test_transaction_commits_and_aborts_atomically(db):
    client, d = db

    async def commit(session):
        await d.a.insert_one({"_id": 1}, session=session)
        await d.b.insert_one({"_id": 1}, session=session)

    await mongo.in_transaction(client, commit)

    async def fail(session):
        await d.a.insert_one({"_id": 2}, session=session)
        await d.b.insert_one({"_id": 1}, session=session)  # duplicate: everything rolls back

    with pytest.raises(DuplicateKeyError):
        await mongo.in_transaction(client, fail)
    assert await d.a.count_documents({}) == 1 and await d.b.count_documents({}) == 1


async def test_transactions_are_isolated_until_commit(db):
    client, d = db
    async with client.start_session() as session:
        await session.start_transaction()
        await d.iso.insert_one({"_id": "x"}, session=session)
        assert await d.iso.find_one({"_id": "x"}) is None  # not visible outside yet
        await session.commit_transaction()
    assert await d.iso.find_one({"_id": "x"}) is not None


async def test_concurrent_debits_in_transactions_are_all_counted(db):
    client, d = db
    await d.bal.insert_one({"_id": "shop", "amount": 0})

    async def debit(n):
        async def work(session):
            doc = await d.bal.find_one({"_id": "shop"}, session=session)
            await d.bal.update_one({"_id": "shop"}, {"$inc": {"amount": -1}}, session=session)
            await d.ledger.insert_one({"_id": f"e{n}", "after": doc["amount"] - 1}, session=session)

        await mongo.in_transaction(client, work)

    await asyncio.gather(*(debit(n) for n in range(20)))
    assert (await d.bal.find_one({"_id": "shop"}))["amount"] == -20
    assert await d.ledger.count_documents({}) == 20
    # Write conflicts were retried, so every recorded balance-after is distinct.
    assert len({e["after"] async for e in d.ledger.find({})}) == 20


async def test_version_checks_treat_a_missing_version_as_the_first(db):
    """Optimistic saves (chat threads, notify preferences) match documents written before
    versions existed by `{"version": {"$in": [<first>, None]}}`."""
    _, d = db
    await d.v.insert_many([{"_id": "old"}, {"_id": "new", "version": 3}])
    legacy = await d.v.replace_one({"_id": "old", "version": {"$in": [0, None]}}, {"version": 1, "x": 1})
    assert legacy.matched_count == 1
    stale = await d.v.replace_one({"_id": "new", "version": {"$in": [2, None]}}, {"version": 3, "x": 1})
    assert stale.matched_count == 0
    fresh = await d.v.update_one({"_id": "new", "version": 3}, {"$set": {"x": 2}, "$inc": {"version": 1}})
    assert fresh.modified_count == 1 and (await d.v.find_one({"_id": "new"}))["version"] == 4
    # Chat's thread save: update_one with the same condition, `$set` of the fields and the next version.
    await d.v.insert_many([{"_id": "t-legacy"}, {"_id": "t-zero", "version": 0}])
    for thread_id in ("t-legacy", "t-zero"):
        first = {"_id": thread_id, "version": {"$in": [0, None]}}
        assert (await d.v.update_one(first, {"$set": {"status": "OPEN", "version": 1}})).matched_count == 1
        assert (await d.v.update_one(first, {"$set": {"status": "CLOSED", "version": 1}})).matched_count == 0
        assert await d.v.find_one({"_id": thread_id}) == {"_id": thread_id, "status": "OPEN", "version": 1}


async def test_keyset_page_shape_equality_plus_range_on_the_first_sort_key(db):
    """What prilavok_platform.mongo.fetch_page sends: equality fields, one range on the first
    sort field, a compound sort and a limit; with `$and` when the range field is also filtered."""
    _, d = db
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    await d.r.create_index([("status", 1), ("created_at", 1), ("_id", 1)], name="r_status_created")
    await d.r.insert_many([{"_id": f"r{i}", "status": "PENDING" if i % 2 else "DONE", "created_at": t0 + dt.timedelta(minutes=i // 2)}
                           for i in range(10)])
    query = {"status": "PENDING", "created_at": {"$gte": t0 + dt.timedelta(minutes=2)}}
    got = [x["_id"] async for x in d.r.find(query).sort([("created_at", 1), ("_id", 1)]).limit(2)]
    assert got == ["r5", "r7"]
    both = {"$and": [{"created_at": {"$lt": t0 + dt.timedelta(minutes=4)}}, {"created_at": {"$gte": t0 + dt.timedelta(minutes=2)}}]}
    assert [x["_id"] async for x in d.r.find(both).sort([("created_at", -1), ("_id", -1)])] == ["r7", "r6", "r5", "r4"]


async def test_insert_one_of_an_existing_id_is_a_duplicate_and_changes_nothing(db):
    _, d = db
    await d.n.insert_one({"_id": "n1", "read": True})
    with pytest.raises(DuplicateKeyError):
        await d.n.insert_one({"_id": "n1", "read": False})
    assert (await d.n.find_one({"_id": "n1"}))["read"] is True


async def test_ne_true_matches_documents_without_the_field(db):
    """Withdrawn violations are excluded with `{"withdrawn": {"$ne": True}}`; older documents
    have no such field and must still count."""
    _, d = db
    await d.w.insert_many([{"_id": 1, "p": "shop:s"}, {"_id": 2, "p": "shop:s", "withdrawn": True}, {"_id": 3, "p": "shop:s", "withdrawn": False}])
    assert await d.w.count_documents({"p": "shop:s", "withdrawn": {"$ne": True}}) == 2


async def test_upserting_inc_inside_a_transaction_makes_concurrent_ones_conflict_and_retry(db):
    """The per-sender counter bumped first in each recording transaction (MongoStrikeCounters.bump:
    update_one({_id}, {$inc}, upsert) then find_one({_id}) reading the transaction's own write):
    concurrent transactions on one counter all land, and each committed one saw all earlier ones."""
    client, d = db

    async def record(n: int) -> None:
        async def work(session):
            await d.counters.update_one({"_id": "shop:s"}, {"$inc": {"n": 1}}, upsert=True, session=session)
            counter = await d.counters.find_one({"_id": "shop:s"}, {"n": 1}, session=session)
            count = await d.strikes.count_documents({"p": "shop:s"}, session=session)
            await d.strikes.insert_one({"_id": n, "p": "shop:s", "saw": count, "counter": counter["n"]}, session=session)

        await mongo.in_transaction(client, work)

    await asyncio.gather(*(record(n) for n in range(8)))
    assert (await d.counters.find_one({"_id": "shop:s"}))["n"] == 8
    stored = [x async for x in d.strikes.find({})]
    assert sorted(x["saw"] for x in stored) == list(range(8)), "no two committed recordings saw the same count"
    assert all(x["counter"] == x["saw"] + 1 for x in stored)


async def test_conditional_inc_with_not_gt_matches_a_missing_field_and_stops_at_the_limit(db):
    """Returns' refund limit: `{"refunded_minor": {"$not": {"$gt": limit - amount}}}` + `$inc`
    matches a purchase stored before the field existed and refuses once the limit is reached."""
    _, d = db
    await d.purchases.insert_many([{"_id": "old"}, {"_id": "new", "refunded_minor": 0}])
    limit, amount = 100, 30

    def reserve(purchase_id):
        return d.purchases.update_one({"_id": purchase_id, "refunded_minor": {"$not": {"$gt": limit - amount}}},
                                      {"$inc": {"refunded_minor": amount}})

    assert [(await reserve("old")).matched_count for _ in range(4)] == [1, 1, 1, 0]
    assert [(await reserve("new")).matched_count for _ in range(4)] == [1, 1, 1, 0]
    assert {x["_id"]: x["refunded_minor"] async for x in d.purchases.find({})} == {"old": 90, "new": 90}


async def test_conditional_debit_with_floor_and_nothing_held_and_the_hold_upsert(db):
    """Returns' overdraft: a shop is debited only while its balance stays at or above the floor
    and no refund is held (`held_count` `$not $gt 0`, which a document without it matches); no
    upsert, so a refused debit returns None and changes nothing. A hold upserts with `$inc` of
    0 so the balance field exists."""
    _, d = db
    await d.balances.insert_one({"_id": "shop:s", "amounts": {"RUB": 100}, "seq": 1})

    async def debit(amount: int, floor: int, release: int | None = None):
        query = {"_id": "shop:s", "amounts.RUB": {"$gte": floor + amount}}
        inc = {"amounts.RUB": -amount, "seq": 1}
        if release is None:
            query["held_count"] = {"$not": {"$gt": 0}}
        else:
            inc.update({"held_count": -1, "held.RUB": -release})
        # MongoBalances.apply: the conditional update_one, then the document read by _id (in its
        # transaction there); find_one_and_update is a collection scan in SecantusDB.
        if (await d.balances.update_one(query, {"$inc": inc})).matched_count == 0:
            return None
        return await d.balances.find_one({"_id": "shop:s"}, {"amounts": 1, "seq": 1, "held": 1, "held_count": 1})

    # (explain of the same filter as a find says COLLSCAN, yet the update takes _id's path:
    # 1.3 ms at 500 balances, 2.3 ms at 10k; find_one_and_update 7.9 ms and 126 ms.)
    assert (await debit(150, -50))["amounts"]["RUB"] == -50
    assert await debit(1, -50) is None
    await d.balances.update_one({"_id": "shop:s"}, {"$inc": {"held_count": 1, "held.RUB": 30, "amounts.RUB": 0}}, upsert=True)
    await d.balances.update_one({"_id": "shop:s"}, {"$inc": {"amounts.RUB": 100}})
    assert await debit(10, -50) is None, "an older refund is held: a new one waits"
    after = await debit(30, -50, release=30)
    assert (after["amounts"]["RUB"], after["held_count"], after["held"]["RUB"], after["seq"]) == (20, 0, 0, 3)
    assert (await debit(10, -50))["amounts"]["RUB"] == 10
    await d.balances.update_one({"_id": "shop:new"}, {"$inc": {"held_count": 1, "held.RUB": 5, "amounts.RUB": 0}}, upsert=True)
    assert (await d.balances.find_one({"_id": "shop:new"}))["amounts"] == {"RUB": 0}


async def test_whole_collection_scans_by_id_and_by_posting_then_id(db):
    """VerifyLedger's pages (fetch_page with no filter): a range on `_id` sorted by `_id`, and
    on the ledger a range on `posting_id` sorted by (posting_id, _id), answered by the index
    ledger_posting_entries; entries whose ids interleave across postings still come together."""
    _, d = db
    await d.ledger.create_index([("posting_id", 1), ("_id", 1)], name="ledger_posting_entries")
    entries = [("fine:m1", "fine:m1:shop:s1:FINE"), ("fine:m1:X", "fine:m1:X:shop:s1:FINE"), ("fine:m1", "fine:m1:marketplace:fines:FINE"),
               ("fine:m1:X", "fine:m1:X:marketplace:fines:FINE"), ("sale:p", "sale:p:shop:s1:SALE")]
    await d.ledger.insert_many([{"_id": i, "posting_id": p} for p, i in entries])
    order = [("posting_id", 1), ("_id", 1)]
    first = [x async for x in d.ledger.find({}).sort(order).limit(3)]
    assert [x["posting_id"] for x in first] == ["fine:m1", "fine:m1", "fine:m1:X"]
    rest = [x["_id"] async for x in d.ledger.find({"posting_id": {"$gte": "fine:m1:X"}}).sort(order).limit(10)]
    assert rest == ["fine:m1:X:marketplace:fines:FINE", "fine:m1:X:shop:s1:FINE", "sale:p:shop:s1:SALE"]
    await d.balances.insert_many([{"_id": k} for k in ("shop:b", "buyer_refunds:a", "shop:a")])
    page = [x["_id"] async for x in d.balances.find({"_id": {"$gte": "shop:a"}}).sort([("_id", 1)]).limit(2)]
    assert page == ["shop:a", "shop:b"]


async def test_verify_ledger_reads_each_collection_with_one_cursor_in_batches(db):
    """VerifyLedger's scans now (MongoPurchases/Claims/Ledger/Balances.scan): one
    `find({}).sort(order).batch_size(n)` per collection, read to its end with getMore: every
    document once, in order (a keyset page per batch, `{_id: {$gt: last}}`, is a collection scan
    per page in SecantusDB). A cursor closed early (the caller stopped) closes quietly."""
    _, d = db
    await d.ledger.create_index([("posting_id", 1), ("_id", 1)], name="ledger_posting_entries")
    entries = [(f"p{n % 7}", f"p{n % 7}:e{n:02d}") for n in range(23)]
    await d.ledger.insert_many([{"_id": i, "posting_id": p} for p, i in entries])
    read = [(x["posting_id"], x["_id"]) async for x in d.ledger.find({}).sort([("posting_id", 1), ("_id", 1)]).batch_size(4)]
    assert read == sorted(entries)
    await d.purchases.insert_many([{"_id": f"p{n:02d}"} for n in reversed(range(11))])
    assert [x["_id"] async for x in d.purchases.find({}).sort([("_id", 1)]).batch_size(3)] == [f"p{n:02d}" for n in range(11)]
    cursor = d.purchases.find({}).sort([("_id", 1)]).batch_size(3)
    assert (await cursor.next())["_id"] == "p00"
    await cursor.close()


async def test_set_on_insert_upsert_keeps_the_first_document_inside_transactions(db):
    """Returns' refused fines: `update_one({_id}, {$setOnInsert: ...}, upsert=True)` in a
    transaction creates the document once; a second one changes nothing and raises nothing
    (a duplicate key would abort the whole transaction)."""
    client, d = db

    async def remember(why: str) -> None:
        async def work(session):
            await d.refused_fines.update_one({"_id": "m1:X"}, {"$setOnInsert": {"why": why}}, upsert=True, session=session)

        await mongo.in_transaction(client, work)

    await remember("first")
    await remember("second")
    assert [x async for x in d.refused_fines.find({})] == [{"_id": "m1:X", "why": "first"}]


async def test_conditional_inc_of_two_counters_needs_both_within_their_limits(db):
    """Returns' order-line limits in one update: `{refunded_minor: {$not: {$gt: ...}},
    shipping_reimbursed_minor: {$not: {$gt: ...}}}` + `$inc` of both; either limit refuses the
    whole update, a document without the fields matches."""
    _, d = db
    await d.purchases.insert_one({"_id": "p"})

    def settle(refund: int, shipping: int):
        return d.purchases.update_one(
            {"_id": "p", "refunded_minor": {"$not": {"$gt": 100 - refund}}, "shipping_reimbursed_minor": {"$not": {"$gt": 50 - shipping}}},
            {"$inc": {"refunded_minor": refund, "shipping_reimbursed_minor": shipping}})

    assert [(await settle(30, 20)).matched_count for _ in range(3)] == [1, 1, 0]  # the shipping binds first
    assert (await settle(40, 10)).matched_count == 1 and (await settle(1, 0)).matched_count == 0  # then the refund
    assert await d.purchases.find_one({"_id": "p"}) == {"_id": "p", "refunded_minor": 100, "shipping_reimbursed_minor": 50}


async def test_reads_in_a_transaction_see_one_snapshot_while_others_commit(db):
    """VerifyLedger re-checks a suspected problem in one read transaction: the balance document
    and the account's entries must come from the same moment, even when a posting commits between
    the two reads (the snapshot is pinned at the transaction's first read)."""
    client, d = db
    await d.balances.insert_one({"_id": "shop:s", "amounts": {"RUB": 100}, "seq": 1})
    await d.ledger.insert_one({"_id": "e1", "account": "shop:s", "seq": 1, "amount": {"amount_minor": 100, "currency_code": "RUB"}})

    async def post_meanwhile() -> None:
        async def work(session):
            await d.balances.update_one({"_id": "shop:s"}, {"$inc": {"amounts.RUB": 50, "seq": 1}}, session=session)
            await d.ledger.insert_one({"_id": "e2", "account": "shop:s", "seq": 2, "amount": {"amount_minor": 50, "currency_code": "RUB"}},
                                      session=session)

        await mongo.in_transaction(client, work)

    async def read(session):
        balance = await d.balances.find_one({"_id": "shop:s"}, session=session)
        await post_meanwhile()
        entries = [e async for e in d.ledger.find({"account": "shop:s"}, {"amount": 1}, session=session)]
        return balance, entries

    balance, entries = await mongo.in_transaction(client, read)
    assert balance["amounts"]["RUB"] == sum(e["amount"]["amount_minor"] for e in entries) == 100
    assert (await d.balances.find_one({"_id": "shop:s"}))["amounts"]["RUB"] == 150 and await d.ledger.count_documents({}) == 2
    # The other shapes of the check: a shop's held claims (the state's index and a filter), an
    # account's entries with only their amounts.
    await d.claims.create_index([("refund_state", 1), ("held_at", 1), ("_id", 1)], name="claims_refund_state_held")
    await d.claims.insert_many([{"_id": "c1", "refund_state": "PENDING_FUNDS", "shop_id": "s"}, {"_id": "c2", "refund_state": "PAID", "shop_id": "s"},
                                {"_id": "c3", "refund_state": "PENDING_FUNDS", "shop_id": "t"}, {"_id": "c4", "shop_id": "s"}])
    assert [x["_id"] async for x in d.claims.find({"refund_state": "PENDING_FUNDS", "shop_id": "s"})] == ["c1"]
    assert [x async for x in d.ledger.find({"account": "shop:s"}, {"amount": 1}).sort("_id", 1)] == [
        {"_id": "e1", "amount": {"amount_minor": 100, "currency_code": "RUB"}}, {"_id": "e2", "amount": {"amount_minor": 50, "currency_code": "RUB"}}]


# --- helpers for the services' own shapes ---------------------------------------------------------


async def declare(d, repository, *names: str) -> None:
    """Creates the named indexes exactly as the service declares them (its INDEXES)."""
    specs = [spec for spec in repository.INDEXES if spec.name in names]
    assert sorted(spec.name for spec in specs) == sorted(names), "an index the repository no longer declares"
    await mongo.ensure_indexes(d, specs)


def stages(plan: Any) -> list[dict[str, Any]]:
    if isinstance(plan, dict):
        found = [plan] if "stage" in plan else []
        return found + [s for value in plan.values() for s in stages(value)]
    if isinstance(plan, list):
        return [s for value in plan for s in stages(value)]
    return []


async def plan_of(d, collection: str, query: dict, *, sort: dict | None = None, projection: dict | None = None,
                  limit: int = 0) -> tuple[set[str], set[str]]:
    """The winning plan's stages and the indexes it scans, for a find as the repository sends it."""
    command: dict[str, Any] = {"find": collection, "filter": query}
    if sort:
        command["sort"] = sort
    if projection:
        command["projection"] = projection
    if limit:
        command["limit"] = limit
    explained = await d.command("explain", command, verbosity="queryPlanner")
    winning = stages(explained["queryPlanner"]["winningPlan"])
    return {s["stage"] for s in winning}, {s.get("indexName") for s in winning if s["stage"] == "IXSCAN"}


async def every_page(collection, query: dict, order, size: int) -> list[str]:
    """The ids fetch_page returns page after page until its token runs out."""
    ids: list[str] = []
    token = ""
    while True:
        page, token = await mongo.fetch_page(collection, query, order, size, token)
        ids += [doc["_id"] for doc in page]
        if not token:
            return ids


async def both_have_read(have_read: set, who: object) -> None:
    """Holds the first attempt of each of two racing transactions until both have read (their
    snapshots taken), so neither sees the other's write: the later writer conflicts. A retry
    passes straight through."""
    if who in have_read:
        return
    have_read.add(who)
    while len(have_read) < 2:
        await asyncio.sleep(0.005)


def millis(at: dt.datetime) -> dt.datetime:
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


# --- chat: the suspensions read model, what a message answered ------------------------------------


def suspension_doc(party: str, until: dt.datetime | None, version: int, at: dt.datetime | None = None) -> dict[str, Any]:
    """As chat's suspension_to_doc writes it: one document per party, `_id` its key."""
    at = at or dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    return {"_id": party, "suspended_until": until, "occurred_at": at, "event_id": f"e{version}", "standing_version": version}


async def test_a_suspension_is_read_and_replaced_whole_by_upsert_inside_transactions(db):
    """Chat's note_standing: find_one({_id}) and replace_one({_id}, doc, upsert=True) in one
    transaction. A lift keeps `suspended_until: None` (present, not dropped); times come back at
    millisecond precision, which the domain truncates to before it compares (a stored event
    equals its redelivery)."""
    client, d = db
    at = dt.datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)

    async def note(doc: dict[str, Any]) -> dict[str, Any] | None:
        async def work(session):
            stored = await d.suspensions.find_one({"_id": doc["_id"]}, session=session)
            await d.suspensions.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)
            return stored

        return await mongo.in_transaction(client, work)

    suspended = suspension_doc("shop:s1", at + dt.timedelta(days=7), 3, at)
    assert await note(suspended) is None
    lifted = suspension_doc("shop:s1", None, 4, at + dt.timedelta(hours=1))
    assert await note(lifted) == {**suspended, "occurred_at": millis(at), "suspended_until": millis(at + dt.timedelta(days=7))}
    stored = await d.suspensions.find_one({"_id": "shop:s1"})
    assert stored == {**lifted, "occurred_at": millis(at + dt.timedelta(hours=1))}
    assert "suspended_until" in stored and stored["suspended_until"] is None
    assert await d.suspensions.count_documents({}) == 1


async def test_concurrent_upserts_of_one_suspension_conflict_and_the_retry_reads_the_winner(db):
    """Two standing changes of one party noted at once: both transactions find no document and
    both upsert it. The second write is a write conflict (112, TransientTransactionError), never a
    duplicate key (MongoSuspensionRepository.save expects none): in_transaction retries it, the
    retry reads the winner's document, and the newer news is what stays, whichever came first."""
    client, d = db
    first, second = client.start_session(), client.start_session()
    try:
        for session in (first, second):
            await session.start_transaction()
            assert await d.raw.find_one({"_id": "shop:s1"}, session=session) is None
        await d.raw.replace_one({"_id": "shop:s1"}, suspension_doc("shop:s1", None, 1), upsert=True, session=first)
        with pytest.raises(OperationFailure) as conflict:
            await d.raw.replace_one({"_id": "shop:s1"}, suspension_doc("shop:s1", None, 2), upsert=True, session=second)
        assert conflict.value.code == mongo.WRITE_CONFLICT and conflict.value.has_error_label("TransientTransactionError")
        assert not isinstance(conflict.value, DuplicateKeyError)
        await first.commit_transaction()
    finally:
        for session in (first, second):
            await session.end_session()
    assert (await d.raw.find_one({"_id": "shop:s1"}))["standing_version"] == 1

    until = dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    attempts: list[int] = []
    have_read: set[int] = set()

    async def note(version: int) -> dict[str, Any] | None:
        async def work(session):
            attempts.append(version)
            stored = await d.suspensions.find_one({"_id": "shop:s1"}, session=session)
            await both_have_read(have_read, version)
            if stored is None or stored["standing_version"] < version:  # Suspension.supersedes
                await d.suspensions.replace_one({"_id": "shop:s1"}, suspension_doc("shop:s1", until if version == 6 else None, version),
                                                upsert=True, session=session)
            return stored

        return await mongo.in_transaction(client, work)

    seen = dict(zip((5, 6), await asyncio.gather(note(5), note(6)), strict=True))
    assert len(attempts) == 3, f"one of the two retried once: {attempts}"
    retried = next(v for v in (5, 6) if attempts.count(v) == 2)
    assert seen[retried] is not None and seen[retried]["standing_version"] == 11 - retried, "the retry read the winner's document"
    assert await d.suspensions.find_one({"_id": "shop:s1"}) == suspension_doc("shop:s1", until, 6)


async def test_the_suspensions_in_force_are_a_range_answered_by_their_index(db):
    """Chat's refresh_suspensions: find({suspended_until: {$gt: now}}), answered by
    suspensions_until. A suspension ending now, one ended, and a lifted one (None) are not in force."""
    _, d = db
    await declare(d, chat_repository, "suspensions_until")
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    await d.suspensions.insert_many([
        suspension_doc("shop:s1", now + dt.timedelta(days=7), 1), suspension_doc("user:u1", now + dt.timedelta(milliseconds=1), 2),
        suspension_doc("shop:s2", now, 1), suspension_doc("shop:s3", now - dt.timedelta(days=1), 1), suspension_doc("shop:s4", None, 2),
    ])
    query = {"suspended_until": {"$gt": now}}
    assert sorted([x["_id"] async for x in d.suspensions.find(query)]) == ["shop:s1", "user:u1"]
    used, indexes = await plan_of(d, "suspensions", query)
    assert "COLLSCAN" not in used and indexes == {"suspensions_until"}


async def test_a_message_keeps_its_fingerprint_and_what_it_answered_when_saved(db):
    """Chat's messages: `request_fingerprint` an array of [field, digest] pairs and `answered` a
    sub-document (None when nothing is kept), written with the message; MongoMessageRepository.save
    `$set`s status, text, released_at, the `moderation` sub-document and `status_reason` and leaves
    both as written. A `$set` of `answered` replaces the sub-document whole. Threads keep their
    fingerprint the same way (absent on documents written before fingerprints)."""
    _, d = db
    pairs = [list(pair) for pair in fingerprint({"thread_id": "t1", "text": "Здравствуйте", "attachment_ids": ["a1", "a2"]})]
    assert [name for name, _ in pairs] == ["thread_id", "text", "attachment_ids"]
    held = {"_id": "m1", "thread_id": "t1", "seq": 1, "status": "HELD", "text": "Здравствуйте", "original_text": "",
            "moderation": {"action": "REVIEW", "categories": ["CONTACT_EXCHANGE"], "reason": "контакт", "review_comment": ""},
            "status_reason": "", "request_fingerprint": pairs, "answered": {"status": "HELD", "reason": "на проверке"}}
    await d.messages.insert_many([held, {"_id": "m2", "thread_id": "t1", "seq": 2, "status": "DELIVERED", "request_fingerprint": [],
                                         "answered": None}])
    moderation = {"action": "REVIEW", "categories": ["CONTACT_EXCHANGE"], "reason": "контакт", "review_comment": "Одобрено"}
    saved = await d.messages.update_one({"_id": "m1"}, {"$set": {
        "status": "UNDELIVERED", "text": "Здравствуйте", "original_text": "", "released_at": None, "moderation": moderation,
        "status_reason": "THREAD_CLOSED"}})
    assert saved.matched_count == 1
    m1 = await d.messages.find_one({"_id": "m1"})
    assert m1 == {**held, "status": "UNDELIVERED", "released_at": None, "moderation": moderation, "status_reason": "THREAD_CLOSED"}
    assert tuple((name, value) for name, value in m1["request_fingerprint"]) == fingerprint(
        {"thread_id": "t1", "text": "Здравствуйте", "attachment_ids": ["a1", "a2"]})
    m2 = await d.messages.find_one({"_id": "m2"})
    assert m2["answered"] is None and m2["request_fingerprint"] == []
    await d.messages.update_one({"_id": "m2"}, {"$set": {"answered": {"status": "DELIVERED", "reason": ""}}})
    assert (await d.messages.find_one({"_id": "m2"}))["answered"] == {"status": "DELIVERED", "reason": ""}

    await d.threads.insert_many([{"_id": "t1", "request_fingerprint": pairs, "opening_request": "user:b1/r1"}, {"_id": "t0"}])
    assert (await d.threads.find_one({"_id": "t1"}))["request_fingerprint"] == pairs
    assert "request_fingerprint" not in await d.threads.find_one({"_id": "t0"})


async def test_the_deadline_scan_is_an_or_of_two_ranges_sorted_by_due_time(db):
    """Chat's with_deadline_due: `$or` of (PENDING, due by remind_by) and (REMINDED, due by
    breach_by), sorted by reply_due_at, limited; other states and later deadlines are left."""
    _, d = db
    await declare(d, chat_repository, "threads_deadline")
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    states = ["PENDING", "REMINDED", "BREACHED", None]
    await d.threads.insert_many([{"_id": f"t{i:02d}", "deadline_state": states[i % 4], "reply_due_at": t0 + dt.timedelta(hours=i)}
                                 for i in range(16)])
    due = {"$or": [{"deadline_state": "PENDING", "reply_due_at": {"$lte": t0 + dt.timedelta(hours=9)}},
                   {"deadline_state": "REMINDED", "reply_due_at": {"$lte": t0 + dt.timedelta(hours=5)}}]}
    assert [x["_id"] async for x in d.threads.find(due).sort("reply_due_at", 1).limit(50)] == ["t00", "t01", "t04", "t05", "t08"]
    assert [x["_id"] async for x in d.threads.find(due).sort("reply_due_at", 1).limit(3)] == ["t00", "t01", "t04"]


# --- moderation: strike counters with their suspensions, the review queue, strikes in force -------


def moderation_suspension(party: str, offender: str, until: dt.datetime, lifted_at: dt.datetime | None = None) -> dict[str, Any]:
    """As moderation's _suspension_doc writes one element of `suspensions`."""
    return {"party": party, "offender": offender, "sender": {"user_id": "u1", "role": "SELLER", "shop_id": "s1"},
            "since": until - dt.timedelta(days=7), "until": until, "lifted_at": lifted_at, "lifted_by": "", "lift_reason": ""}


async def test_a_strike_counter_bump_returns_the_record_after_it_with_its_suspensions(db):
    """MongoStrikeCounters: bump is update_one({_id}, {$inc: {changes: 1}}, upsert) then
    find_one({_id}, {changes: 1, suspensions: 1}) in the recording transaction (a new party's
    document is made and read back; not find_one_and_update, which SecantusDB answers with a
    collection scan whenever the document exists); save_suspensions is update_one({_id}, {$set:
    {suspensions: [...]}}, upsert) and keeps `changes`; suspensions() is find_one({_id},
    {suspensions: 1})."""
    client, d = db
    until = dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC)
    held = [moderation_suspension("shop:s1", "shop:s1", until), moderation_suspension("user:u1", "shop:s1", until, until - dt.timedelta(days=1))]

    async def bump(party: str) -> dict[str, Any]:
        async def work(session):
            await d.strike_counters.update_one({"_id": party}, {"$inc": {"changes": 1}}, upsert=True, session=session)
            after = await d.strike_counters.find_one({"_id": party}, {"changes": 1, "suspensions": 1}, session=session)
            if party == "shop:s1" and after["changes"] == 1:
                await d.strike_counters.update_one({"_id": party}, {"$set": {"suspensions": held}}, upsert=True, session=session)
            return after

        return await mongo.in_transaction(client, work)

    assert await bump("shop:s1") == {"_id": "shop:s1", "changes": 1}
    assert await bump("shop:s1") == {"_id": "shop:s1", "changes": 2, "suspensions": held}
    assert await d.strike_counters.find_one({"_id": "shop:s1"}, {"suspensions": 1}) == {"_id": "shop:s1", "suspensions": held}
    # A party suspended before any change of its own was counted: the upsert makes {_id, suspensions}.
    await d.strike_counters.update_one({"_id": "user:u9"}, {"$set": {"suspensions": held[:1]}}, upsert=True)
    assert await d.strike_counters.find_one({"_id": "user:u9"}) == {"_id": "user:u9", "suspensions": held[:1]}
    assert await bump("user:u9") == {"_id": "user:u9", "suspensions": held[:1], "changes": 1}
    assert await d.strike_counters.find_one({"_id": "user:u2"}, {"suspensions": 1}) is None
    await bump("user:u3")
    assert await d.strike_counters.find_one({"_id": "user:u3"}, {"suspensions": 1}) == {"_id": "user:u3"}


async def test_the_records_holding_a_suspended_party_are_found_by_the_multikey_index(db):
    """MongoStrikeCounters.holding: find({"suspensions.party": key}, {_id: 1}).limit(10) by
    strike_counters_suspended_party (multikey): every record with an element for the party, ids
    only, at most ten; replacing the array (save_suspensions) updates what the index finds."""
    _, d = db
    await declare(d, moderation_repository, "strike_counters_suspended_party")
    until = dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    await d.strike_counters.insert_many([
        {"_id": "shop:s1", "changes": 5, "suspensions": [moderation_suspension("shop:s1", "shop:s1", until),
                                                         moderation_suspension("user:u1", "shop:s1", until)]},
        {"_id": "user:u1", "changes": 2, "suspensions": [moderation_suspension("user:u1", "user:u1", until)]},
        {"_id": "shop:s2", "changes": 1, "suspensions": []}, {"_id": "shop:s3", "changes": 1},
    ])
    query, projection = {"suspensions.party": "user:u1"}, {"_id": 1}
    found = [x async for x in d.strike_counters.find(query, projection).limit(10)]
    assert sorted(found, key=lambda x: x["_id"]) == [{"_id": "shop:s1"}, {"_id": "user:u1"}]
    used, indexes = await plan_of(d, "strike_counters", query, projection=projection, limit=10)
    assert "COLLSCAN" not in used and indexes == {"strike_counters_suspended_party"}

    await d.strike_counters.update_one({"_id": "shop:s1"}, {"$set": {"suspensions": [moderation_suspension("shop:s1", "shop:s1", until)]}},
                                       upsert=True)
    assert [x async for x in d.strike_counters.find(query, projection).limit(10)] == [{"_id": "user:u1"}]
    assert [x async for x in d.strike_counters.find({"suspensions.party": "shop:s2"}, projection).limit(10)] == []
    await d.strike_counters.insert_many([{"_id": f"user:x{i:02d}", "suspensions": [moderation_suspension("user:x", "user:x", until)]}
                                         for i in range(12)])
    assert len([x async for x in d.strike_counters.find({"suspensions.party": "user:x"}, projection).limit(10)]) == 10


async def test_appeal_request_keys_are_unique_where_present(db):
    """reviews_request_key (unique, sparse): held messages have no request_key and all go in; an
    appeal's key is taken once: a second insert raises DuplicateKeyError, inside a transaction
    too (MongoReviews.add turns it into ABORTED); by_request finds the first. Two appeals racing
    with one key: the later is a write conflict, retried, and its retry finds the first."""
    client, d = db
    await declare(d, moderation_repository, "reviews_request_key")
    await d.reviews.insert_many([{"_id": "m1", "kind": "HELD_MESSAGE", "status": "PENDING"}, {"_id": "m2", "kind": "HELD_MESSAGE"}])
    await d.reviews.insert_one({"_id": "m1:appeal", "kind": "APPEAL", "request_key": "SELLER/u1/r1", "request_id": "r1"})
    with pytest.raises(DuplicateKeyError):
        await d.reviews.insert_one({"_id": "m2:appeal", "kind": "APPEAL", "request_key": "SELLER/u1/r1"})

    async def duplicate(session):
        await d.reviews.insert_one({"_id": "m2:appeal", "kind": "APPEAL", "request_key": "SELLER/u1/r1"}, session=session)

    with pytest.raises(DuplicateKeyError):
        await mongo.in_transaction(client, duplicate)
    assert (await d.reviews.find_one({"request_key": "SELLER/u1/r1"}))["_id"] == "m1:appeal"
    assert await d.reviews.count_documents({}) == 3

    readers: list[str] = []
    have_read: set[str] = set()

    async def appeal(review_id: str) -> str:
        async def work(session):
            readers.append(review_id)
            found = await d.reviews.find_one({"request_key": "SELLER/u1/r2"}, session=session)
            await both_have_read(have_read, review_id)
            if found is not None:
                return found["_id"]
            await d.reviews.insert_one({"_id": review_id, "kind": "APPEAL", "request_key": "SELLER/u1/r2"}, session=session)
            return review_id

        return await mongo.in_transaction(client, work)

    answers = await asyncio.gather(appeal("m3:appeal"), appeal("m4:appeal"))
    assert len(set(answers)) == 1 and len(readers) == 3
    assert [x["_id"] async for x in d.reviews.find({"request_key": "SELLER/u1/r2"})] == answers[:1]


def review_docs(t0: dt.datetime) -> list[dict[str, Any]]:
    """A queue: pending held messages (some written before kinds existed: no `kind`), pending
    appeals, decided items; ties on created_at, ids out of insertion order."""
    docs = []
    for i in range(15):
        doc: dict[str, Any] = {"_id": f"r{(i * 7) % 15:02d}", "status": "APPROVED" if i % 5 == 4 else "PENDING",
                               "created_at": t0 + dt.timedelta(minutes=i // 3)}
        if i % 3:
            doc["kind"] = "HELD_MESSAGE" if i % 3 == 1 else "APPEAL"
        docs.append(doc)
    return docs


HELD_MESSAGES = {"status": "PENDING", "kind": "HELD_MESSAGE"}


async def queue_of_kinds(d, t0: dt.datetime) -> list[dict[str, Any]]:
    """review_docs stored and given their kinds as moderation's start-up does (backfill_review_kinds);
    returns the documents as they were before it."""
    await declare(d, moderation_repository, "reviews_status_created_id", "reviews_status_kind_created_id")
    docs = review_docs(t0)
    await d.reviews.insert_many(docs)
    assert await moderation_repository.backfill_review_kinds(d) == sum("kind" not in x for x in docs) == 5
    return docs


def in_queue_order(docs: list[dict[str, Any]], keep) -> list[str]:
    return [x["_id"] for x in sorted(docs, key=lambda x: (x["created_at"], x["_id"])) if x["status"] == "PENDING" and keep(x)]


async def test_reviews_without_a_kind_get_held_message_once_by_their_index(db):
    """backfill_review_kinds (moderation's start-up, after the indexes): update_many({status,
    kind: null}, {$set: {kind: HELD_MESSAGE}}) per status sets the reviews written before kinds
    existed (null and missing alike) and no other; a second run changes nothing; each
    `{status, kind: null}` is bounded on reviews_status_kind_created_id (a missing field is
    indexed as null)."""
    _, d = db
    docs = await queue_of_kinds(d, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    stored = {x["_id"]: x async for x in d.reviews.find({})}
    assert stored == {x["_id"]: {"kind": "HELD_MESSAGE", **x} for x in docs}
    await d.reviews.insert_one({"_id": "r99", "status": "REJECTED", "kind": None, "created_at": docs[0]["created_at"]})
    assert await moderation_repository.backfill_review_kinds(d) == 1
    assert await moderation_repository.backfill_review_kinds(d) == 0
    assert await d.reviews.count_documents({"kind": None}) == 0
    used, indexes = await plan_of(d, "reviews", {"status": "PENDING", "kind": None})
    assert "COLLSCAN" not in used and indexes == {"reviews_status_kind_created_id"}


async def test_the_queue_of_one_kind_pages_with_kind_equality_beside_the_range(db):
    """MongoReviews.page(PENDING, kind=...) through fetch_page in REVIEW_ORDER: `{status, kind}`
    by equality (every review has its kind), and from the second page on a range `created_at:
    {$gte: ...}` beside it. Every item of the kind comes once and in order (held messages
    written before kinds among them); other kinds and decided items never."""
    _, d = db
    docs = await queue_of_kinds(d, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    held = in_queue_order(docs, lambda x: x.get("kind", "HELD_MESSAGE") == "HELD_MESSAGE")
    assert len(held) == 8 and any("kind" not in x for x in docs if x["_id"] in held)
    for size in (1, 2, 3, 20):
        assert await every_page(d.reviews, HELD_MESSAGES, REVIEW_ORDER, size) == held, size
    assert await every_page(d.reviews, {"status": "PENDING", "kind": "APPEAL"}, REVIEW_ORDER, 2) == in_queue_order(
        docs, lambda x: x.get("kind") == "APPEAL")
    assert await every_page(d.reviews, {"status": "PENDING"}, REVIEW_ORDER, 4) == in_queue_order(docs, lambda x: True)


async def test_every_page_of_the_held_message_queue_is_answered_by_its_index(db):
    """The first page `{status, kind}` and the later ones `{status, kind, created_at: {$gte}}`
    (what fetch_page sends after a token) are bounded on reviews_status_kind_created_id alone,
    no collection scan, and the later page's query finds exactly the held messages from its
    bound on, in REVIEW_ORDER (measured at 16k reviews: ~31 ms for a later page against ~89 ms
    for the former `kind: {$in: [value, null]}`, a collection scan)."""
    _, d = db
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    docs = await queue_of_kinds(d, t0)
    bound = t0 + dt.timedelta(minutes=2)
    later_page = {**HELD_MESSAGES, "created_at": {"$gte": bound}}
    found = [x["_id"] async for x in d.reviews.find(later_page).sort(REVIEW_ORDER.sort).limit(3)]
    assert found == in_queue_order(docs, lambda x: x.get("kind", "HELD_MESSAGE") == "HELD_MESSAGE" and x["created_at"] >= bound)[:3]
    assert len(found) == 3
    for query in (HELD_MESSAGES, later_page):
        used, indexes = await plan_of(d, "reviews", query, sort=dict(REVIEW_ORDER.sort), limit=3)
        assert "COLLSCAN" not in used and indexes == {"reviews_status_kind_created_id"}, query


async def test_strikes_and_fines_in_force_counted_since_and_latest_first(db):
    """MongoViolations.count/latest_at and MongoPenalties.latest/of_message: `{sender_key,
    withdrawn: {$ne: True}[, at: {$gte: since}]}` counted, or sorted newest first with a limit
    (violations_sender_at, penalties_sender_issued); a withdrawal `$set`s the flag, the time and
    the appeal id (None when none); fines are inserted together in the recording transaction."""
    client, d = db
    await declare(d, moderation_repository, "violations_sender_at", "penalties_sender_issued", "penalties_message")
    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    await d.violations.insert_many([{"_id": f"m{i}", "sender_key": "shop:s1" if i < 5 else "user:b1", "at": t0 + dt.timedelta(days=i),
                                     "review_id": None, "withdrawn": False, "withdrawn_at": None} for i in range(7)])
    await d.violations.insert_one({"_id": "m-old", "sender_key": "shop:s1", "at": t0 - dt.timedelta(days=30)})  # before the flag
    in_force = {"withdrawn": {"$ne": True}}

    def count(since: dt.datetime | None = None):
        query: dict[str, Any] = {"sender_key": "shop:s1", **in_force}
        if since is not None:
            query["at"] = {"$gte": since}
        return d.violations.count_documents(query)

    async def latest(collection, field: str, limit: int) -> list[str]:
        return [x["_id"] async for x in collection.find({"sender_key": "shop:s1", **in_force}).sort(field, -1).limit(limit)]

    assert (await count(), await count(t0 + dt.timedelta(days=2))) == (6, 3)
    withdrawn_at = t0 + dt.timedelta(days=10)
    result = await d.violations.update_one({"_id": "m4"}, {"$set": {"withdrawn": True, "withdrawn_at": withdrawn_at, "appeal_id": "m4:appeal"}})
    assert result.modified_count == 1
    assert (await count(), await count(t0 + dt.timedelta(days=2))) == (5, 2)
    assert await latest(d.violations, "at", 1) == ["m3"]
    assert (await d.violations.find_one({"_id": "m4"}))["appeal_id"] == "m4:appeal"

    async def fine(session):
        await d.penalties.insert_many([{"_id": f"m{i}:FINE", "sender_key": "shop:s1", "message_id": f"m{i}", "issued_at": t0 + dt.timedelta(days=i),
                                        "amount_minor": 2_500_000, "currency_code": "RUB", "reason": "Обмен контактами",
                                        "withdrawn": False, "withdrawn_at": None} for i in (1, 2, 3)], session=session)

    await mongo.in_transaction(client, fine)
    await d.penalties.update_one({"_id": "m3:FINE"}, {"$set": {"withdrawn": True, "withdrawn_at": withdrawn_at}})
    assert await latest(d.penalties, "issued_at", 10) == ["m2:FINE", "m1:FINE"]
    assert await latest(d.penalties, "issued_at", 1) == ["m2:FINE"]
    assert [x["_id"] async for x in d.penalties.find({"message_id": "m3"})] == ["m3:FINE"]


# --- returns: postings, claims, the ledger of an account -------------------------------------------


async def test_a_duplicate_in_insert_many_raises_bulk_write_error_never_duplicate_key(db):
    """MongoLedger.add and MongoPenalties.add store with insert_many (ordered). A duplicate id
    there raises BulkWriteError (code 65, the duplicate's code 11000 in writeErrors), in a
    transaction too, where nothing of it stays: it is NOT a DuplicateKeyError (mongod and the
    driver answer the same), so an `except DuplicateKeyError` around insert_many never runs."""
    client, d = db
    await d.ledger.insert_one({"_id": "sale:p1:shop:s1:SALE", "posting_id": "sale:p1"})
    entries = [{"_id": "sale:p1:marketplace:clearing:SALE", "posting_id": "sale:p1"}, {"_id": "sale:p1:shop:s1:SALE", "posting_id": "sale:p1"}]

    async def post(session):
        await d.ledger.insert_many(entries, session=session)
        await d.balances.insert_one({"_id": "shop:s1"}, session=session)

    with pytest.raises(BulkWriteError) as err:
        await mongo.in_transaction(client, post)
    assert not isinstance(err.value, DuplicateKeyError)
    assert [e["code"] for e in err.value.details["writeErrors"]] == [11000]
    assert await d.ledger.count_documents({}) == 1 and await d.balances.count_documents({}) == 0
    with pytest.raises(BulkWriteError):
        await d.ledger.insert_many(entries)


async def test_two_postings_of_one_id_at_once_conflict_and_the_retry_finds_the_first(db):
    """A posting is looked up (has_posting: find_one({posting_id}, {_id: 1})) and then stored in
    one transaction; two at once both find none, the later insert is a write conflict, retried,
    and the retry finds the first posting: its entries are stored once, and no error escapes."""
    client, d = db
    await declare(d, returns_repository, "ledger_posting_entries")
    attempts: list[str] = []
    have_read: set[str] = set()

    async def post(who: str) -> bool:
        async def work(session):
            attempts.append(who)
            found = await d.ledger.find_one({"posting_id": "fine:m1"}, {"_id": 1}, session=session)
            await both_have_read(have_read, who)
            if found is not None:
                assert found == {"_id": found["_id"]}
                return False
            await d.ledger.insert_many([{"_id": f"fine:m1:{account}:FINE", "posting_id": "fine:m1", "by": who}
                                        for account in ("shop:s1", "marketplace:fines")], session=session)
            return True

        return await mongo.in_transaction(client, work)

    assert sorted(await asyncio.gather(post("a"), post("b"))) == [False, True]
    assert len(attempts) == 3
    stored = [x async for x in d.ledger.find({"posting_id": "fine:m1"})]
    assert len(stored) == 2 and len({x["by"] for x in stored}) == 1


async def test_a_claim_is_saved_on_its_version_setting_and_unsetting_fields(db):
    """MongoClaims.save: update_one({_id, version}, {$set: {...}, $unset: {active_purchase_id: ""}})
    matches only the version read; has_open_claim is find_one({active_purchase_id}, {_id: 1}) on
    the unique sparse claims_one_active_per_purchase, which the unset frees for the next claim."""
    _, d = db
    await declare(d, returns_repository, "claims_one_active_per_purchase")
    await d.claims.insert_one({"_id": "c1", "purchase_id": "p1", "active_purchase_id": "p1", "status": "OPEN", "version": 3})
    assert await d.claims.find_one({"active_purchase_id": "p1"}, {"_id": 1}) == {"_id": "c1"}
    settle = {"$set": {"status": "SETTLED", "version": 4, "refunded": {"amount_minor": 100, "currency_code": "RUB"}},
              "$unset": {"active_purchase_id": ""}}
    assert (await d.claims.update_one({"_id": "c1", "version": 2}, settle)).matched_count == 0
    assert (await d.claims.update_one({"_id": "c1", "version": 3}, settle)).matched_count == 1
    stored = await d.claims.find_one({"_id": "c1"})
    assert stored["version"] == 4 and stored["status"] == "SETTLED" and "active_purchase_id" not in stored
    assert await d.claims.find_one({"active_purchase_id": "p1"}, {"_id": 1}) is None
    await d.claims.insert_one({"_id": "c2", "purchase_id": "p1", "active_purchase_id": "p1", "version": 0})
    with pytest.raises(DuplicateKeyError):
        await d.claims.insert_one({"_id": "c3", "purchase_id": "p1", "active_purchase_id": "p1", "version": 0})


async def test_an_accounts_ledger_pages_newest_first_and_purchases_are_found_by_request(db):
    """MongoLedger.page: fetch_page({account}, LEDGER_ORDER) (seq descending; `seq: {$lte}` from
    the second page on; ledger_account_seq); MongoPurchases.find_by_request: find_one({request_key})
    on the unique sparse purchases_request, which purchases stored before request keys skip."""
    _, d = db
    await declare(d, returns_repository, "ledger_account_seq", "purchases_request")
    await d.ledger.insert_many([{"_id": f"e{i:02d}", "account": "shop:s1" if i % 3 else "shop:s2", "seq": i} for i in range(1, 13)])
    newest_first = [f"e{i:02d}" for i in range(12, 0, -1) if i % 3]
    for size in (1, 3, 100):
        assert await every_page(d.ledger, {"account": "shop:s1"}, LEDGER_ORDER, size) == newest_first
    used, indexes = await plan_of(d, "ledger", {"account": "shop:s1", "seq": {"$lte": 7}}, sort=dict(LEDGER_ORDER.sort), limit=4)
    assert "COLLSCAN" not in used and indexes == {"ledger_account_seq"}

    await d.purchases.insert_many([{"_id": "old1"}, {"_id": "old2"}, {"_id": "p1", "request_key": "SERVICE/orders/r1"}])
    assert (await d.purchases.find_one({"request_key": "SERVICE/orders/r1"}))["_id"] == "p1"
    assert await d.purchases.find_one({"request_key": "SERVICE/orders/r2"}) is None
    with pytest.raises(DuplicateKeyError):
        await d.purchases.insert_one({"_id": "p2", "request_key": "SERVICE/orders/r1"})
