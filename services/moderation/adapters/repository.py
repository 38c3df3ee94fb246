"""Moderation's MongoDB collections: violations (one per recorded message, the strikes),
reviews (the moderators' queue), penalties, and strike_counters (one document per party, written
by every transaction that changes the party's strikes). Load and save only; the session is the
unit of work's (None outside a transaction).

A violation or penalty document stores `withdrawn` = not `model.in_force(withdrawn_at)` (and
`withdrawn_at`), the domain's one definition of a record in force; the queries of strikes and
fines in force select on that flag (`_IN_FORCE`: `$ne: true` also matches documents written
before the field existed, which were all in force). tests/integration/test_moderation_repository.py
checks the queries and `Violation.counts` agree on the same documents."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from prilavok_platform import mongo
from prilavok_platform.identity import Party
from prilavok_platform.outbox import OUTBOX_INDEXES
from services.moderation.domain.model import (
    Action,
    Category,
    Finding,
    Fine,
    Penalty,
    ReviewItem,
    ReviewStatus,
    Sender,
    SenderRole,
    Span,
    Verdict,
    Violation,
    in_force,
)
from services.moderation.service_layer.ports import REVIEW_ORDER, ModerationRepositories

INDEXES = [
    mongo.IndexSpec("violations", [("sender_key", 1), ("at", -1)], name="violations_sender_at"),
    # the queue: status equality, then exactly REVIEW_ORDER's fields
    mongo.IndexSpec("reviews", [("status", 1), ("created_at", 1), ("_id", 1)], name="reviews_status_created_id"),
    mongo.IndexSpec("penalties", [("sender_key", 1), ("issued_at", -1)], name="penalties_sender_issued"),
    mongo.IndexSpec("penalties", [("message_id", 1)], name="penalties_message"),
    *OUTBOX_INDEXES,
]


# --- documents ----------------------------------------------------------------------------


def _sender_doc(sender: Sender) -> dict[str, Any]:
    return {"user_id": sender.user_id, "role": sender.role.value, "shop_id": sender.shop_id}


def _sender_from(doc: dict[str, Any]) -> Sender:
    return Sender(doc["user_id"], SenderRole(doc["role"]), doc.get("shop_id", ""))


def verdict_to_doc(verdict: Verdict) -> dict[str, Any]:
    return {
        "action": verdict.action.name,
        "findings": [
            {"category": f.category.value, "rule": f.rule, "spans": [[s.start, s.end] for s in f.spans]}
            for f in verdict.findings
        ],
        "reason": verdict.reason,
        "masked_text": verdict.masked_text,
        "policy_version": verdict.policy_version,
    }


def verdict_from_doc(doc: dict[str, Any]) -> Verdict:
    return Verdict(
        action=Action[doc["action"]],
        findings=tuple(
            Finding(Category(f["category"]), f["rule"], tuple(Span(s[0], s[1]) for s in f["spans"]))
            for f in doc["findings"]
        ),
        reason=doc["reason"],
        masked_text=doc.get("masked_text", ""),
        policy_version=doc["policy_version"],
    )


def _review_from(doc: dict[str, Any]) -> ReviewItem:
    return ReviewItem(
        review_id=doc["_id"],
        message_id=doc["message_id"],
        thread_id=doc["thread_id"],
        sender=_sender_from(doc["sender"]),
        text=doc["text"],
        verdict=verdict_from_doc(doc["verdict"]),
        status=ReviewStatus(doc["status"]),
        created_at=doc["created_at"],
        resolved_at=doc.get("resolved_at"),
        resolved_by=doc.get("resolved_by", ""),
        comment=doc.get("comment", ""),
    )


def _penalty_from(doc: dict[str, Any]) -> Penalty:
    return Penalty(
        penalty_id=doc["_id"],
        party=Party.parse(doc["sender_key"]),
        category=Category(doc["category"]),
        fine=Fine(doc["amount_minor"], doc["currency_code"]),
        message_id=doc["message_id"],
        issued_at=doc["issued_at"],
        reason=doc.get("reason", ""),
        withdrawn_at=doc.get("withdrawn_at"),
    )


def _violation_from(doc: dict[str, Any]) -> Violation:
    return Violation(doc["_id"], doc["thread_id"], _sender_from(doc["sender"]), verdict_from_doc(doc["verdict"]), doc["at"],
                     doc.get("review_id") or "", doc.get("withdrawn_at"))


def _withdrawal_doc(withdrawn_at: dt.datetime | None) -> dict[str, Any]:
    """The stored form of the domain's `in_force`: the flag `_IN_FORCE` selects on."""
    return {"withdrawn": not in_force(withdrawn_at), "withdrawn_at": withdrawn_at}


# The flag `_withdrawal_doc` stores for a withdrawn record (withdrawn at any time); the records in
# force are the others, and those written before the flag existed (all in force).
_OUT_OF_FORCE = _withdrawal_doc(dt.datetime.min.replace(tzinfo=dt.UTC))["withdrawn"]
_IN_FORCE: dict[str, Any] = {"withdrawn": {"$ne": _OUT_OF_FORCE}}


# --- repositories -------------------------------------------------------------------------


class MongoStrikeCounters:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None):
        self._c = db.strike_counters
        self._s = session

    async def bump(self, party: Party) -> None:
        await self._c.find_one_and_update({"_id": party.key}, {"$inc": {"changes": 1}}, upsert=True, session=self._s)


class MongoViolations:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None):
        self._c = db.violations
        self._s = session

    async def get(self, message_id: str) -> Violation | None:
        doc = await self._c.find_one({"_id": message_id}, session=self._s)
        return _violation_from(doc) if doc is not None else None

    async def count(self, party: Party, since: dt.datetime | None = None) -> int:
        query: dict[str, Any] = {"sender_key": party.key, **_IN_FORCE}
        if since is not None:
            query["at"] = {"$gte": since}
        return await self._c.count_documents(query, session=self._s)

    async def latest_at(self, party: Party) -> dt.datetime | None:
        # the same shape as the penalties' latest (covered by violations_sender_at)
        cursor = self._c.find({"sender_key": party.key, **_IN_FORCE}, session=self._s).sort("at", -1).limit(1)
        latest = [doc["at"] async for doc in cursor]
        return latest[0] if latest else None

    async def save(self, violation: Violation) -> None:
        await self._c.update_one(
            {"_id": violation.message_id},
            {"$set": _withdrawal_doc(violation.withdrawn_at)},
            session=self._s,
        )

    async def add(self, violation: Violation) -> None:
        await self._c.insert_one(
            {
                "_id": violation.message_id,
                "sender_key": violation.sender.offender.key,
                "sender": _sender_doc(violation.sender),
                "thread_id": violation.thread_id,
                "verdict": verdict_to_doc(violation.verdict),
                "at": violation.at,
                "review_id": violation.review_id or None,
                **_withdrawal_doc(violation.withdrawn_at),
            },
            session=self._s,
        )


class MongoReviews:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None):
        self._c = db.reviews
        self._s = session

    async def get(self, review_id: str) -> ReviewItem | None:
        doc = await self._c.find_one({"_id": review_id}, session=self._s)
        return _review_from(doc) if doc is not None else None

    async def add(self, item: ReviewItem) -> None:
        await self._c.insert_one(
            {
                "_id": item.review_id,
                "message_id": item.message_id,
                "thread_id": item.thread_id,
                "sender": _sender_doc(item.sender),
                "text": item.text,
                "verdict": verdict_to_doc(item.verdict),
                "status": item.status.value,
                "created_at": item.created_at,
            },
            session=self._s,
        )

    async def save(self, item: ReviewItem) -> None:
        await self._c.update_one(
            {"_id": item.review_id},
            {"$set": {"status": item.status.value, "resolved_at": item.resolved_at, "resolved_by": item.resolved_by,
                      "comment": item.comment}},
            session=self._s,
        )

    async def page(self, status: ReviewStatus, size: int, token: str) -> tuple[list[ReviewItem], str]:
        docs, next_token = await mongo.fetch_page(self._c, {"status": status.value}, REVIEW_ORDER, size, token, session=self._s)
        return [_review_from(d) for d in docs], next_token


class MongoPenalties:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None):
        self._c = db.penalties
        self._s = session

    async def add(self, penalties: tuple[Penalty, ...]) -> None:
        await self._c.insert_many(
            [
                {
                    "_id": p.penalty_id,
                    "sender_key": p.party.key,
                    "category": p.category.value,
                    "amount_minor": p.fine.amount_minor,
                    "currency_code": p.fine.currency_code,
                    "message_id": p.message_id,
                    "issued_at": p.issued_at,
                    "reason": p.reason,
                    **_withdrawal_doc(p.withdrawn_at),
                }
                for p in penalties
            ],
            session=self._s,
        )

    async def of_message(self, message_id: str) -> list[Penalty]:
        return [_penalty_from(doc) async for doc in self._c.find({"message_id": message_id}, session=self._s)]

    async def save(self, penalties: tuple[Penalty, ...]) -> None:
        for p in penalties:
            await self._c.update_one(
                {"_id": p.penalty_id},
                {"$set": _withdrawal_doc(p.withdrawn_at)},
                session=self._s,
            )

    async def latest(self, party: Party, limit: int) -> list[Penalty]:
        cursor = self._c.find({"sender_key": party.key, **_IN_FORCE}, session=self._s).sort("issued_at", -1).limit(limit)
        return [_penalty_from(doc) async for doc in cursor]


def mongo_repositories(db: AsyncDatabase, session: AsyncClientSession | None) -> ModerationRepositories:
    return ModerationRepositories(MongoViolations(db, session), MongoReviews(db, session), MongoPenalties(db, session),
                                  MongoStrikeCounters(db, session))
