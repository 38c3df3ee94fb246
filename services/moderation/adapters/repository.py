"""MongoDB persistence of violations, penalties and the review queue, with outbox events."""
from __future__ import annotations

import datetime as dt

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2
from prilavok.moderation.v1 import moderation_pb2 as pb
from prilavok_platform import mongo
from prilavok_platform.errors import FailedPrecondition, NotFound
from prilavok_platform.nats import subject
from prilavok_platform.outbox import OUTBOX_COLLECTION, OUTBOX_INDEXES, new_event_id, outbox_document
from services.moderation.adapters import protos
from services.moderation.domain.model import SenderRole
from services.moderation.service_layer.ports import ReviewRecord, Sender, ViolationRecord

INDEXES = [
    mongo.IndexSpec("violations", [("sender_key", 1), ("at", -1)], name="violations_sender_at"),
    mongo.IndexSpec("reviews", [("status", 1), ("_id", 1)], name="reviews_status_id"),
    mongo.IndexSpec("penalties", [("sender_key", 1), ("issued_at", -1)], name="penalties_sender_issued"),
    *OUTBOX_INDEXES,
]


def _sender_doc(sender: Sender) -> dict:
    return {"user_id": sender.user_id, "role": sender.role.value, "shop_id": sender.shop_id}


def _sender_from(doc: dict) -> Sender:
    return Sender(doc["user_id"], SenderRole(doc["role"]), doc.get("shop_id", ""))


def _review_from(doc: dict) -> ReviewRecord:
    return ReviewRecord(
        review_id=doc["_id"],
        message_id=doc["message_id"],
        thread_id=doc["thread_id"],
        sender=_sender_from(doc["sender"]),
        text=doc["text"],
        verdict=protos.verdict_from_doc(doc["verdict"]),
        status=doc["status"],
        created_at=doc["created_at"],
        resolved_at=doc.get("resolved_at"),
        resolved_by=doc.get("resolved_by", ""),
        comment=doc.get("comment", ""),
    )


class MongoModerationRepository:
    def __init__(self, client: AsyncMongoClient, db: AsyncDatabase, subject_prefix: str, on_commit=lambda: None):
        self._client = client
        self._db = db
        self._prefix = subject_prefix
        self._on_commit = on_commit

    async def record_violation(self, record: ViolationRecord) -> str | None:
        sender_key = record.sender.key
        verdict_doc = protos.verdict_to_doc(record.verdict)
        actor = protos.actor_to_pb(record.sender)

        async def work(session) -> str | None:
            existing = await self._db.violations.find_one({"_id": record.message_id}, {"review_id": 1}, session=session)
            if existing is not None:
                return existing.get("review_id")  # the same message checked again: nothing new
            review_id = record.message_id if record.review else None
            events = [
                outbox_document(
                    subject(self._prefix, "moderation", "violation", "recorded"),
                    events_pb2.ViolationRecorded(
                        event_id=(event_id := new_event_id()),
                        occurred_at=protos.timestamp(record.at),
                        message_id=record.message_id,
                        thread_id=record.thread_id,
                        sender=actor,
                        verdict=protos.verdict_to_pb(record.verdict),
                    ),
                    event_id,
                    record.at,
                )
            ]
            await self._db.violations.insert_one(
                {
                    "_id": record.message_id,
                    "sender_key": sender_key,
                    "sender": _sender_doc(record.sender),
                    "thread_id": record.thread_id,
                    "verdict": verdict_doc,
                    "at": record.at,
                    "review_id": review_id,
                },
                session=session,
            )
            if review_id:
                await self._db.reviews.insert_one(
                    {
                        "_id": review_id,
                        "message_id": record.message_id,
                        "thread_id": record.thread_id,
                        "sender": _sender_doc(record.sender),
                        "text": record.text,
                        "verdict": verdict_doc,
                        "status": "PENDING",
                        "created_at": record.at,
                    },
                    session=session,
                )
            if record.fines:
                penalties = []
                for category, fine in record.fines.items():
                    penalty_id = f"{record.message_id}:{category.value}"
                    penalties.append(
                        {
                            "_id": penalty_id,
                            "sender_key": sender_key,
                            "category": category.value,
                            "amount_minor": fine.amount_minor,
                            "currency_code": fine.currency_code,
                            "message_id": record.message_id,
                            "issued_at": record.at,
                        }
                    )
                    events.append(
                        outbox_document(
                            subject(self._prefix, "moderation", "penalty", "issued"),
                            events_pb2.PenaltyIssued(
                                event_id=(event_id := new_event_id()),
                                occurred_at=protos.timestamp(record.at),
                                sender=actor,
                                penalty=pb.Penalty(
                                    penalty_id=penalty_id,
                                    category=protos.category_to_pb(category),
                                    fine=common_pb2.Money(currency_code=fine.currency_code, amount_minor=fine.amount_minor),
                                    message_id=record.message_id,
                                    issued_at=protos.timestamp(record.at),
                                    reason=record.verdict.reason,
                                ),
                            ),
                            event_id,
                            record.at,
                        )
                    )
                await self._db.penalties.insert_many(penalties, session=session)
            if record.thresholds is not None:
                since = record.at - dt.timedelta(days=record.thresholds.window_days)
                strikes = await self._db.violations.count_documents({"sender_key": sender_key, "at": {"$gte": since}}, session=session)
                before, after = record.thresholds.level(strikes - 1), record.thresholds.level(strikes)
                if before != after:
                    events.append(outbox_document(
                        subject(self._prefix, "moderation", "standing", "changed"),
                        events_pb2.StandingChanged(
                            event_id=(event_id := new_event_id()), occurred_at=protos.timestamp(record.at), sender=actor,
                            previous=pb.Standing.Value(f"STANDING_{before}"), current=pb.Standing.Value(f"STANDING_{after}"),
                        ),
                        event_id, record.at,
                    ))
            await self._db[OUTBOX_COLLECTION].insert_many(events, session=session)
            return review_id

        review_id = await mongo.in_transaction(self._client, work)
        self._on_commit()
        return review_id

    async def list_reviews(self, status: str, limit: int, after: str) -> list[ReviewRecord]:
        query: dict = {"status": status}
        if after:
            query["_id"] = {"$gt": after}
        cursor = self._db.reviews.find(query).sort("_id", 1).limit(limit)
        return [_review_from(doc) async for doc in cursor]

    async def resolve_review(self, review_id: str, approve: bool, moderator: str, comment: str, at: dt.datetime) -> ReviewRecord:
        status = "APPROVED" if approve else "REJECTED"

        async def work(session) -> ReviewRecord:
            doc = await self._db.reviews.find_one_and_update(
                {"_id": review_id, "status": "PENDING"},
                {"$set": {"status": status, "resolved_at": at, "resolved_by": moderator, "comment": comment}},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if doc is None:
                existing = await self._db.reviews.find_one({"_id": review_id}, {"status": 1}, session=session)
                if existing is None:
                    raise NotFound(f"review {review_id} not found", reason="REVIEW_NOT_FOUND")
                raise FailedPrecondition(
                    f"review {review_id} is already {existing['status']}", reason="REVIEW_ALREADY_RESOLVED"
                )
            review = _review_from(doc)
            event_id = new_event_id()
            await self._db[OUTBOX_COLLECTION].insert_one(
                outbox_document(
                    subject(self._prefix, "moderation", "review", "resolved"),
                    events_pb2.ReviewResolved(
                        event_id=event_id, occurred_at=protos.timestamp(at), item=protos.review_to_pb(review)
                    ),
                    event_id,
                    at,
                ),
                session=session,
            )
            return review

        review = await mongo.in_transaction(self._client, work)
        self._on_commit()
        return review

    async def strikes(self, sender_key: str, since: dt.datetime) -> tuple[int, int]:
        in_window = await self._db.violations.count_documents({"sender_key": sender_key, "at": {"$gte": since}})
        total = await self._db.violations.count_documents({"sender_key": sender_key})
        return in_window, total

    async def penalties(self, sender_key: str, limit: int) -> list[dict]:
        cursor = self._db.penalties.find({"sender_key": sender_key}).sort("issued_at", -1).limit(limit)
        return [doc async for doc in cursor]
