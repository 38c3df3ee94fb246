"""Moderation's records against the embedded server: idempotent per message, fines, standing."""
from __future__ import annotations

import datetime as dt

import pytest

from prilavok.moderation.v1 import events_pb2, moderation_pb2
from prilavok_platform import mongo
from prilavok_platform.outbox import OUTBOX_COLLECTION
from services.moderation.adapters.policy_file import load_policy
from services.moderation.adapters.repository import INDEXES, MongoModerationRepository
from services.moderation.domain.engine import ModerationEngine
from services.moderation.domain.model import SenderRole
from services.moderation.service_layer.handlers import CheckCommand, EngineHolder, ModerationHandlers
from services.moderation.service_layer.ports import Sender

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


@pytest.fixture
async def handlers(infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "test")
    db = client[unique]
    await mongo.ensure_indexes(db, INDEXES)
    yield ModerationHandlers(EngineHolder(ModerationEngine(load_policy())), MongoModerationRepository(client, db, unique),
                             clock=lambda: NOW), db
    await client.drop_database(unique)
    await client.close()


async def events(db, suffix: str):
    return [bytes(d["payload"]) async for d in db[OUTBOX_COLLECTION].find({"subject": {"$regex": suffix + "$"}}).sort("ts", 1)]


async def test_contact_attempts_are_recorded_once_fined_and_raise_the_standing(handlers):
    h, db = handlers
    seller = Sender("u1", SenderRole.SELLER, "shop-1")
    for n in range(3):
        command = CheckCommand(f"m{n}", "t1", "ORDER", False, seller, f"Пишите в телеграм @shop_{n}, там дешевле", True)
        first = await h.check(command)
        again = await h.check(command)  # the chat retried: nothing new is recorded
        assert first.verdict == again.verdict
    level, in_window, total, penalties = await h.standing(seller.key)
    assert (level, in_window, total) == ("RESTRICTED", 3, 3)
    assert sorted(p["amount_minor"] for p in penalties) == [2_500_000] * 3
    changes = [events_pb2.StandingChanged.FromString(e) for e in await events(db, "standing.changed")]
    assert [(c.previous, c.current) for c in changes] == [
        (moderation_pb2.STANDING_GOOD, moderation_pb2.STANDING_WARNING), (moderation_pb2.STANDING_WARNING, moderation_pb2.STANDING_RESTRICTED)]
    assert len(await events(db, "penalty.issued")) == 3 and len(await events(db, "violation.recorded")) == 3


async def test_a_dry_run_records_nothing(handlers):
    h, db = handlers
    result = await h.check(CheckCommand("", "", "", False, Sender("b", SenderRole.BUYER), "ты идиот", False))
    assert result.verdict.action.name == "BLOCK"
    assert await db.violations.count_documents({}) == 0
