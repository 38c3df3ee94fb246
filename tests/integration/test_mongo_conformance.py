"""Every query and update shape the services rely on, against the real driver and the
embedded server. A gap in SecantusDB (or any stand-in) must fail here, not in production."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from prilavok_platform import mongo

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
    """The per-sender counter bumped first in each recording transaction: concurrent
    transactions on one counter all land, and each committed one saw all earlier ones."""
    client, d = db

    async def record(n: int) -> None:
        async def work(session):
            counter = await d.counters.find_one_and_update(
                {"_id": "shop:s"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER, session=session)
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
        return await d.balances.find_one_and_update(query, {"$inc": inc}, return_document=ReturnDocument.AFTER)

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
