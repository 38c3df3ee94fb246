"""Moderation's records against the embedded server: idempotent per message, fines, standing,
the outbox written in the same transaction, and the review queue paged to the end."""
from __future__ import annotations

import datetime as dt

import pytest

from prilavok.moderation.v1 import events_pb2, moderation_pb2
from prilavok_platform import mongo
from prilavok_platform.clock import FixedClock
from prilavok_platform.identity import Identity, Role
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.outbox import OUTBOX_COLLECTION
from prilavok_platform.policy_file import PolicyHolder
from services.moderation.adapters.event_mapper import map_event
from services.moderation.adapters.policy_file import load_policy
from services.moderation.adapters.repository import INDEXES, mongo_repositories
from services.moderation.domain.commands import (
    CheckMessage,
    GetSenderStanding,
    ListReviewQueue,
    MessageCheck,
    RecordMessage,
    ResolveReview,
)
from services.moderation.domain.model import (
    Action,
    Category,
    ReviewDecision,
    ReviewStatus,
    Sender,
    SenderRole,
    Standing,
    Verdict,
)
from services.moderation.service_layer.handlers import ModerationHandlers

pytestmark = pytest.mark.integration
CHAT = Identity("chat", Role.SERVICE)
MODERATOR = Identity("mod-1", Role.MODERATOR)


@pytest.fixture
async def world(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "test")
    db = client[unique]
    await mongo.ensure_indexes(db, INDEXES)
    uow = MongoUnitOfWork(client, db, repositories=mongo_repositories, map_event=map_event, subject_prefix=unique,
                          producer="moderation")
    clock = FixedClock(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC))
    yield ModerationHandlers(uow, PolicyHolder.fixed(load_policy()), clock), db, clock
    await client.drop_database(unique)
    await client.close()


async def events(db, suffix: str):
    return [bytes(d["payload"]) async for d in db[OUTBOX_COLLECTION].find({"subject": {"$regex": suffix + "$"}}).sort("ts", 1)]


def seller_check(message_id: str, text: str) -> CheckMessage:
    return CheckMessage(CHAT, MessageCheck(message_id, "t1", "u1", SenderRole.SELLER, "shop-1", text, record=True))


async def test_contact_attempts_are_recorded_once_fined_and_raise_the_standing(world):
    h, db, _ = world
    for n in range(3):
        command = seller_check(f"m{n}", f"Пишите в телеграм @shop_{n}, там дешевле")
        first = await h.check_message(command)
        again = await h.check_message(command)  # the chat retried: nothing new is recorded
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


async def test_a_dry_run_records_nothing(world):
    h, db, _ = world
    command = CheckMessage(MODERATOR, MessageCheck("", "", "b", SenderRole.BUYER, "", "ты идиот"))
    assert (await h.check_message(command)).verdict.action.name == "BLOCK"
    assert await db.violations.count_documents({}) == 0


async def test_the_review_queue_pages_by_one_to_the_end_and_a_decision_is_published(world):
    h, db, clock = world
    for n in range(5):
        await h.check_message(seller_check(f"r{n}", "Склад маркетплейса дно, сами виноваты, не мы"))
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
    assert first.review_id == "c1" and await h.record_message(command) == first  # a redelivered event
    assert await db.violations.count_documents({"sender_key": "shop:shop-2"}) == 1
    queue, _ = await h.list_review_queue(ListReviewQueue(MODERATOR))
    assert [(r.review_id, r.text, r.created_at, r.verdict.findings[0].spans) for r in queue] == [("c1", "Склад дно", at, ())]
    # a recording check of the same message (another caller, or a retry) answers the recorded verdict
    check = await h.check_message(CheckMessage(CHAT, MessageCheck("c1", "t1", "u2", SenderRole.SELLER, "shop-2", "Склад дно", record=True)))
    assert check == first
    standing = await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-2"))
    assert (standing.standing, standing.updated_at) == (Standing.WARNING, at)
    assert (await h.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-9"))).updated_at is None
    assert len(await events(db, "moderation.violation.recorded")) == 1
