"""Moderation's records against the embedded server: idempotent per message, fines, standing,
the outbox written in the same transaction, concurrent recordings for one party, strikes and
fines withdrawn on approval, the review queue paged to the end (per kind too), suspensions kept
on the party's document and lifted once per request, appeals stored by their request.

New query and update shapes (for tests/integration/test_mongo_conformance.py): update_one $inc with
upsert then find_one by _id in the same transaction (the strike counter's bump); update_one $set of
an array of sub-documents with upsert (strike_counters.suspensions); find_one with a projection;
find by an array element's field (`suspensions.party`, multikey index) with a projection and a
limit; insert_one refused by a unique sparse index (DuplicateKeyError); the queue's page with `kind` by
equality beside the keyset range; update_many `{status, kind: null}` (the start-up's kind backfill)."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2, moderation_pb2
from prilavok_platform import mongo
from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import Aborted, FailedPrecondition
from prilavok_platform.idempotency import IdempotencyKeyReused
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.outbox import OUTBOX_COLLECTION
from prilavok_platform.policy_file import PolicyHolder
from services.moderation.adapters.event_mapper import map_event
from services.moderation.adapters.repository import (
    INDEXES,
    MongoPenalties,
    MongoReviews,
    MongoViolations,
    backfill_review_kinds,
    mongo_repositories,
)
from services.moderation.bootstrap import load_policy
from services.moderation.domain.commands import (
    AppealDecision,
    CheckMessage,
    GetSenderStanding,
    LiftSuspension,
    ListReviewQueue,
    MessageCheck,
    RecordMessage,
    ResolveReview,
)
from services.moderation.domain.model import (
    Action,
    Category,
    Fine,
    Penalty,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
    Sender,
    SenderRole,
    Standing,
    Verdict,
    Violation,
)
from services.moderation.domain.policy import SuspensionPolicy
from services.moderation.service_layer.handlers import ModerationHandlers

pytestmark = pytest.mark.integration
CHAT = Identity("chat", Role.SERVICE)
MODERATOR = Identity("mod-1", Role.MODERATOR)


@pytest.fixture
async def storage(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "test")
    db = client[unique]
    await mongo.ensure_indexes(db, INDEXES)
    uow = MongoUnitOfWork(client, db, repositories=mongo_repositories, map_event=map_event, subject_prefix=unique,
                          producer="moderation")
    clock = FixedClock(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC))
    yield uow, db, clock
    await client.drop_database(unique)
    await client.close()


@pytest.fixture
def world(storage):
    uow, db, clock = storage
    return ModerationHandlers(uow, PolicyHolder.fixed(load_policy()), clock), db, clock


async def events(db, suffix: str):
    return [bytes(d["payload"]) async for d in db[OUTBOX_COLLECTION].find({"subject": {"$regex": suffix + "$"}}).sort("ts", 1)]


SELLER = Sender("u1", SenderRole.SELLER, "shop-1")


async def send(h: ModerationHandlers, clock: FixedClock, message_id: str, text: str, sender: Sender = SELLER):
    """As the chat does: the verdict first, then the message stored under it is recorded from its event."""
    verdict = await h.check_message(CheckMessage(CHAT, MessageCheck(sender.user_id, sender.role, sender.shop_id, text)))
    return await h.record_message(RecordMessage(message_id, "t1", sender, text, verdict, clock.now()))


async def test_contact_attempts_are_recorded_once_fined_and_raise_the_standing(world):
    h, db, clock = world
    for n in range(3):
        first = await send(h, clock, f"m{n}", f"Пишите в телеграм @shop_{n}, там дешевле")
        again = await send(h, clock, f"m{n}", f"Пишите в телеграм @shop_{n}, там дешевле")  # redelivered: nothing new
        assert first == again
    standing = await h.get_sender_standing(GetSenderStanding(MODERATOR, "u1", "shop-1"))
    assert (standing.standing, standing.strikes_in_window, standing.strikes_total) == (Standing.RESTRICTED, 3, 3)
    assert sorted(p.fine.amount_minor for p in standing.penalties) == [2_500_000] * 3
    assert await db.violations.count_documents({"sender_key": "shop:shop-1"}) == 3
    changes = [events_pb2.StandingChanged.FromString(e) for e in await events(db, "moderation.standing.changed")]
    assert [(c.previous, c.current) for c in changes] == [
        (moderation_pb2.STANDING_GOOD, moderation_pb2.STANDING_WARNING), (moderation_pb2.STANDING_WARNING, moderation_pb2.STANDING_RESTRICTED)]
    penalties = [events_pb2.PenaltyIssued.FromString(e) for e in await events(db, "moderation.penalty.issued")]
    assert [p.penalty.penalty_id for p in penalties] == ["m0:CONTACT_EXCHANGE", "m1:CONTACT_EXCHANGE", "m2:CONTACT_EXCHANGE"]
    assert penalties[0].sender.shop_id == "shop-1" and penalties[0].penalty.fine.amount_minor == 2_500_000
    assert penalties[0].offender.id == "shop-1" and changes[0].offender.id == "shop-1"
    assert len(await events(db, "moderation.violation.recorded")) == 3


async def test_a_check_records_nothing(world):
    h, db, _ = world
    command = CheckMessage(MODERATOR, MessageCheck("b", SenderRole.BUYER, "", "ты идиот"))
    assert (await h.check_message(command)).action is Action.BLOCK
    assert await db.violations.count_documents({}) == 0


async def test_the_review_queue_pages_by_one_to_the_end_and_a_decision_is_published(world):
    h, db, clock = world
    for n in range(5):
        await send(h, clock, f"r{n}", "Склад маркетплейса дно, сами виноваты, не мы")
        if n % 2:
            clock.advance(dt.timedelta(seconds=1))  # some share created_at: the token's _id breaks the tie
    seen, token = [], ""
    while True:
        page, token = await h.list_review_queue(ListReviewQueue(MODERATOR, page_size=1, page_token=token))
        seen += [r.review_id for r in page]
        if len(seen) == 2:
            await h.resolve_review(ResolveReview(MODERATOR, "r3", ReviewDecision.REJECT, "Не обсуждайте склад"))
        if not token:
            break
    assert seen == ["r0", "r1", "r2", "r4"]
    approved = await h.resolve_review(ResolveReview(MODERATOR, "r0", ReviewDecision.APPROVE))
    assert approved.status is ReviewStatus.APPROVED
    stored, _ = await h.list_review_queue(ListReviewQueue(MODERATOR, ReviewStatus.REJECTED))
    assert [(r.review_id, r.comment) for r in stored] == [("r3", "Не обсуждайте склад")]
    resolved = [events_pb2.ReviewResolved.FromString(e) for e in await events(db, "moderation.review.resolved")]
    assert [(e.item.review_id, e.item.status) for e in resolved] == [
        ("r3", moderation_pb2.REVIEW_STATUS_REJECTED), ("r0", moderation_pb2.REVIEW_STATUS_APPROVED)]


async def test_a_stored_message_from_the_chats_events_is_recorded_once_and_dates_the_standing(world):
    h, db, clock = world
    sender = Sender("u2", SenderRole.SELLER, "shop-2")
    at = clock.now() - dt.timedelta(minutes=3)
    verdict = Verdict.reported(Action.REVIEW, (Category.DISPARAGEMENT,), "причина", "v7")
    command = RecordMessage("c1", "t1", sender, "Склад дно", verdict, at)
    first = await h.record_message(command)
    assert first is not None and first.review_id == "c1" and await h.record_message(command) == first  # a redelivered event
    assert await db.violations.count_documents({"sender_key": "shop:shop-2"}) == 1
    queue, _ = await h.list_review_queue(ListReviewQueue(MODERATOR))
    assert [(r.review_id, r.text, r.created_at, r.verdict.findings[0].spans) for r in queue] == [("c1", "Склад дно", at, ())]
    standing = await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-2"))
    assert (standing.standing, standing.updated_at) == (Standing.WARNING, at)
    assert (await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-9"))).updated_at is None
    assert len(await events(db, "moderation.violation.recorded")) == 1


async def test_concurrent_recordings_for_one_party_announce_each_threshold_exactly_once(world):
    """The durable consumer runs in every worker process: recordings for one shop race. Each
    writes the shop's counter document before counting its strikes, so the racing transactions
    conflict and the one retried counts the other's strike."""
    h, db, clock = world
    at = clock.now()
    verdict = Verdict.reported(Action.BLOCK, (Category.INSULT,), "причина", "v7")
    commands = [RecordMessage(f"c{n}", "t1", Sender(f"u{n}", SenderRole.SELLER, "shop-race"), "текст", verdict, at) for n in range(7)]
    recorded = await asyncio.gather(*(h.record_message(c) for c in commands))
    assert sorted(v.message_id for v in recorded if v is not None) == [c.message_id for c in commands]
    changes = [events_pb2.StandingChanged.FromString(e) for e in await events(db, "moderation.standing.changed")]
    assert sorted((c.previous, c.current) for c in changes) == [
        (moderation_pb2.STANDING_GOOD, moderation_pb2.STANDING_WARNING),
        (moderation_pb2.STANDING_WARNING, moderation_pb2.STANDING_RESTRICTED),
        (moderation_pb2.STANDING_RESTRICTED, moderation_pb2.STANDING_SUSPENDED)]
    # the versions are the counter as each committed transaction left it: distinct, and in the order the changes happened
    by_version = sorted(changes, key=lambda c: c.standing_version)
    assert [c.current for c in by_version] == [moderation_pb2.STANDING_WARNING, moderation_pb2.STANDING_RESTRICTED,
                                               moderation_pb2.STANDING_SUSPENDED]
    assert [c.standing_version for c in by_version] == [1, 3, 5]
    standing = await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-race"))
    assert (standing.standing, standing.strikes_in_window) == (Standing.SUSPENDED, 7)
    assert (await db.strike_counters.find_one({"_id": "shop:shop-race"}))["changes"] == 7


async def test_an_approved_message_withdraws_its_strike_and_fine_in_storage(storage):
    uow, db, clock = storage
    fined = dataclasses.replace(load_policy(), fines={(Category.DISPARAGEMENT, SenderRole.SELLER): Fine(100_000, "RUB")})
    h = ModerationHandlers(uow, PolicyHolder.fixed(fined), clock)  # a policy that fines the held text
    await send(h, clock, "keep", "Пишите в телеграм @shop_k, там дешевле")
    clock.advance(dt.timedelta(minutes=1))
    held = await send(h, clock, "h1", "Склад маркетплейса дно, сами виноваты, не мы")
    assert held is not None and held.review_id == "h1"
    assert [p.message_id for p in (await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-1"))).penalties] == ["h1"]
    clock.advance(dt.timedelta(minutes=5))
    await h.resolve_review(ResolveReview(MODERATOR, "h1", ReviewDecision.APPROVE))
    doc = await db.violations.find_one({"_id": "h1"})
    assert doc["withdrawn"] is True and doc["withdrawn_at"].replace(tzinfo=dt.UTC) == clock.now()
    standing = await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-1"))
    assert (standing.standing, standing.strikes_in_window, standing.strikes_total, standing.penalties) == (Standing.WARNING, 1, 1, ())
    assert standing.updated_at == clock.now() - dt.timedelta(minutes=6), "dated by the strike still counted"
    withdrawn = [events_pb2.PenaltyWithdrawn.FromString(e) for e in await events(db, "moderation.penalty.withdrawn")]
    assert [(w.penalty.penalty_id, w.review_id, w.offender.id) for w in withdrawn] == [("h1:DISPARAGEMENT", "h1", "shop-1")]
    assert (await db.penalties.find_one({"_id": "h1:DISPARAGEMENT"}))["withdrawn"] is True
    # the two strikes were WARNING, and one is WARNING still: no change announced by the approval
    assert len(await events(db, "moderation.standing.changed")) == 1
    assert await h.record_message(RecordMessage("h1", "t1", SELLER, "текст", held.verdict, clock.now())) is not None
    assert (await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-1"))).strikes_total == 1


async def test_the_queries_in_force_and_the_domains_in_force_agree_on_the_same_documents(storage):
    """The repositories select strikes and fines in force with `_IN_FORCE`; the domain decides it
    with `Violation.counts` / `Penalty.in_force`. Over the same documents - in force, withdrawn,
    withdrawn and saved, and written before the `withdrawn` flag existed - both pick the same ones."""
    _, db, clock = storage
    at, party = clock.now(), SELLER.offender
    verdict = Verdict.reported(Action.BLOCK, (Category.INSULT,), "причина", "v7")
    violations, penalties = MongoViolations(db, None), MongoPenalties(db, None)
    kept = [Violation(f"v{n}", "t1", SELLER, verdict, at - dt.timedelta(minutes=n)) for n in range(4)]
    for v in kept[:3]:
        await violations.add(v)
    await violations.add(kept[3].withdraw(at))  # stored withdrawn from the start
    await violations.save(kept[1].withdraw(at))  # withdrawn later
    await db.violations.update_one({"_id": "v2"}, {"$unset": {"withdrawn": "", "withdrawn_at": ""}})  # an older document
    fines = [Penalty(f"p{n}", party, Category.INSULT, Fine(100, "RUB"), f"v{n}", at - dt.timedelta(minutes=n)) for n in range(3)]
    await penalties.add((fines[0], fines[1], fines[2].withdraw(at)))
    await penalties.save((fines[1].withdraw(at),))
    await db.penalties.update_one({"_id": "p0"}, {"$unset": {"withdrawn": "", "withdrawn_at": ""}})

    loaded = [await violations.get(f"v{n}") for n in range(4)]
    counted_by_domain = sorted(v.message_id for v in loaded if v is not None and v.counts)
    assert counted_by_domain == ["v0", "v2"]
    assert await violations.count(party) == len(counted_by_domain)
    assert await violations.latest_at(party) == at  # v0, the newest in force
    every_fine = [p async for p in db.penalties.find({})]
    assert len(every_fine) == 3
    shown = await penalties.latest(party, 10)
    every_loaded = [p for m in ("v0", "v1", "v2") for p in await penalties.of_message(m)]
    in_force_by_domain = sorted(p.penalty_id for p in every_loaded if p.in_force)
    assert sorted(p.penalty_id for p in shown) == in_force_by_domain == ["p0"]


# --- suspensions and appeals in storage ------------------------------------------------------

SHOP_SELLER = Identity("u1", Role.SELLER, "shop-1")


async def test_a_suspension_is_kept_on_the_partys_document_lifted_once_per_request_and_shown(world):
    """The fifth strike suspends the shop (the party's strike_counters document keeps it, read back
    by the next transaction's bump in the same round trip); a lift is stored by its request key."""
    h, db, clock = world
    for n in range(5):
        await send(h, clock, f"s{n}", f"Пишите в телеграм @shop_{n}, там дешевле")
    doc = await db.strike_counters.find_one({"_id": "shop:shop-1"})
    assert doc["changes"] == 5 and [s["party"] for s in doc["suspensions"]] == ["shop:shop-1"]
    assert doc["suspensions"][0]["until"].replace(tzinfo=dt.UTC) == clock.now() + dt.timedelta(days=7)
    standing = await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-1"))
    assert standing.standing is Standing.SUSPENDED and standing.suspension is not None
    changes = [events_pb2.StandingChanged.FromString(e) for e in await events(db, "moderation.standing.changed")]
    assert changes[-1].current == moderation_pb2.STANDING_SUSPENDED
    assert changes[-1].suspended_until.ToDatetime(tzinfo=dt.UTC) == clock.now() + dt.timedelta(days=7)
    assert (changes[-1].suspended_party.kind, changes[-1].suspended_party.id) == (common_pb2.PARTY_KIND_SHOP, "shop-1")
    # a strike stored while suspended reads the suspension in force through the bump: nothing new
    await send(h, clock, "s5", "Пишите в телеграм @shop_5, там дешевле")
    assert len(await events(db, "moderation.standing.changed")) == len(changes)

    clock.advance(dt.timedelta(hours=1, microseconds=1234))  # the database keeps milliseconds: a retry must still be equal
    command = LiftSuspension(MODERATOR, "lift-1", "", "shop-1", "Проверили: ошибка")
    lifted = await h.lift_suspension(command)
    assert await h.lift_suspension(command) == lifted, "a retry is answered from the stored lift"
    with pytest.raises(IdempotencyKeyReused):
        await h.lift_suspension(dataclasses.replace(command, reason="Другое"))
    stored = await db.suspension_lifts.find_one({})
    assert stored["standing"] == "RESTRICTED" and stored["suspension"]["lifted_by"] == "mod-1"
    assert (await db.strike_counters.find_one({"_id": "shop:shop-1"}))["suspensions"][0]["lifted_by"] == "mod-1"
    released = events_pb2.StandingChanged.FromString((await events(db, "moderation.standing.changed"))[-1])
    assert (released.previous, released.current, released.HasField("suspended_until"), released.suspended_party.id) == (
        moderation_pb2.STANDING_SUSPENDED, moderation_pb2.STANDING_RESTRICTED, False, "shop-1")
    assert (changes[-1].standing_version, released.standing_version) == (5, 7), "5 strikes, 1 more, then the lift"
    assert released.occurred_at.ToDatetime(tzinfo=dt.UTC) == clock.now().replace(microsecond=clock.now().microsecond // 1000 * 1000)
    assert (await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-1"))).suspension is None


async def test_writers_suspended_in_person_are_kept_per_writer_on_the_shops_record_and_lifted_by_user(storage):
    """With `whole_shop: false` each seller at the threshold is suspended in person; the shop's
    record keeps one suspension per seller, and a lift naming the user finds it there (by the
    index on suspensions.party) without writing a record for the user."""
    uow, db, clock = storage
    writers_only = dataclasses.replace(load_policy(), suspension=SuspensionPolicy(days=7, whole_shop=False))
    h = ModerationHandlers(uow, PolicyHolder.fixed(writers_only), clock)
    for n in range(5):
        await send(h, clock, f"w{n}", f"Пишите в телеграм @shop_{n}, там дешевле")
    colleague = Sender("u2", SenderRole.SELLER, "shop-1")
    await send(h, clock, "x0", "Пишите в телеграм @shop_x, там дешевле", sender=colleague)
    doc = await db.strike_counters.find_one({"_id": "shop:shop-1"})
    assert sorted(s["party"] for s in doc["suspensions"]) == ["user:u1", "user:u2"]
    changes = [events_pb2.StandingChanged.FromString(e) for e in await events(db, "moderation.standing.changed")]
    assert [c.suspended_party.id for c in changes if c.current == moderation_pb2.STANDING_SUSPENDED] == ["u1", "u2"]
    lifted = await h.lift_suspension(LiftSuspension(MODERATOR, "lift-u2", "u2", "", "Ошибка"))
    assert lifted.suspension.party == Party.user("u2")
    released = events_pb2.StandingChanged.FromString((await events(db, "moderation.standing.changed"))[-1])
    assert (released.previous, released.suspended_party.id, released.offender.id, released.standing_version) == (
        moderation_pb2.STANDING_SUSPENDED, "u2", "shop-1", 7)
    still = await h.get_sender_standing(GetSenderStanding(MODERATOR, sender_id="u1", shop_id="shop-1"))
    assert still.standing is Standing.SUSPENDED
    with pytest.raises(FailedPrecondition):
        await h.lift_suspension(LiftSuspension(MODERATOR, "lift-u9", "u9", "", "Ошибка"))
    assert await db.strike_counters.count_documents({}) == 1, "no record is written for a user who was never suspended"


async def test_an_appeal_is_stored_by_its_request_listed_by_kind_and_its_reversal_published(world):
    h, db, clock = world
    await send(h, clock, "a0", "Напишите мне в WhatsApp")
    await send(h, clock, "h0", "Склад маркетплейса дно, сами виноваты, не мы")
    clock.advance(dt.timedelta(minutes=1, microseconds=4321))
    filed = await h.appeal_decision(AppealDecision(SHOP_SELLER, "req-1", "", "a0:CONTACT_EXCHANGE", "Это не приглашение"))
    assert filed.review_id == "a0:appeal" and filed.request is not None
    assert await h.appeal_decision(AppealDecision(SHOP_SELLER, "req-1", "", "a0:CONTACT_EXCHANGE", "Это не приглашение")) == filed
    with pytest.raises(IdempotencyKeyReused):
        await h.appeal_decision(AppealDecision(SHOP_SELLER, "req-1", "a0", "", "Это не приглашение"))
    with pytest.raises(FailedPrecondition):
        await h.appeal_decision(AppealDecision(SHOP_SELLER, "req-2", "a0", "", "Ещё раз"))
    assert (await db.violations.find_one({"_id": "a0"}))["appeal_id"] == "a0:appeal"
    # one page per kind, by the kind's index; items without a kind (written before appeals) are held
    # messages: the start-up's backfill gives them their kind, once
    await db.reviews.update_one({"_id": "h0"}, {"$unset": {"kind": ""}})
    assert [await backfill_review_kinds(db) for _ in range(2)] == [1, 0]
    assert (await db.reviews.find_one({"_id": "h0"}))["kind"] == "HELD_MESSAGE"
    for kind, expected in ((ReviewKind.APPEAL, ["a0:appeal"]), (ReviewKind.HELD_MESSAGE, ["h0"]), (None, ["h0", "a0:appeal"])):
        seen, token = [], ""
        while True:
            page, token = await h.list_review_queue(ListReviewQueue(MODERATOR, page_size=1, page_token=token, kind=kind))
            seen += [r.review_id for r in page]
            if not token:
                break
        assert seen == expected, kind
    clock.advance(dt.timedelta(hours=1))
    await h.resolve_review(ResolveReview(MODERATOR, "a0:appeal", ReviewDecision.REVERSE, "Вы правы"))
    [resolved] = [events_pb2.AppealResolved.FromString(e) for e in await events(db, "moderation.appeal.resolved")]
    assert (resolved.appeal_id, resolved.message_id, resolved.outcome, resolved.comment, list(resolved.penalty_ids),
            resolved.message_was_blocked, resolved.appellant.id) == (
        "a0:appeal", "a0", events_pb2.APPEAL_OUTCOME_REVERSED, "Вы правы", ["a0:CONTACT_EXCHANGE"], True, "shop-1")
    [withdrawn] = [events_pb2.PenaltyWithdrawn.FromString(e) for e in await events(db, "moderation.penalty.withdrawn")]
    assert (withdrawn.appeal_id, withdrawn.review_id, withdrawn.penalty.reason) == ("a0:appeal", "", filed_reason(withdrawn))
    assert len(await events(db, "moderation.review.resolved")) == 0, "an appeal is not a held message's review"
    assert (await db.penalties.find_one({"_id": "a0:CONTACT_EXCHANGE"}))["withdrawn"] is True


def filed_reason(withdrawn: events_pb2.PenaltyWithdrawn) -> str:
    reason = withdrawn.penalty.reason
    assert reason.startswith("Обмен контактами запрещён"), reason
    return reason


async def test_concurrent_appeals_of_one_violation_file_one_and_a_request_key_is_unique(world):
    """Filing writes the violation (it names its appeal): two appeals racing for one violation
    conflict, and the one retried finds the first (APPEAL_ALREADY_FILED). Two appeals stored under
    one request key are refused by the unique index (ABORTED: the client's retry finds the first)."""
    h, db, clock = world
    await send(h, clock, "c0", "Напишите мне в WhatsApp")
    colleague = Identity("u2", Role.SELLER, "shop-1")
    results = await asyncio.gather(
        h.appeal_decision(AppealDecision(SHOP_SELLER, "r-1", "c0", "", "Ошибка")),
        h.appeal_decision(AppealDecision(colleague, "r-2", "c0", "", "Ошибка")),
        return_exceptions=True,
    )
    filed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, FailedPrecondition)]
    assert len(filed) == 1 and [e.reason for e in refused] == ["APPEAL_ALREADY_FILED"], results
    assert await db.reviews.count_documents({"kind": "APPEAL"}) == 1
    twin = dataclasses.replace(filed[0], review_id="other:appeal", message_id="other")  # the same request key
    with pytest.raises(Aborted):
        await MongoReviews(db, None).add(twin)
