"""Moderation's MongoDB collections: violations (one per recorded message, the strikes),
reviews (the moderators' queue: held messages and appeals), penalties, strike_counters (one
document per party, written by every transaction that changes the party's strikes or suspension,
holding its suspension on record) and suspension_lifts (moderators' lifts by request key). Load
and save only; the session is the unit of work's (None outside a transaction).

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
from pymongo.errors import DuplicateKeyError

from prilavok_platform import mongo
from prilavok_platform.errors import Aborted
from prilavok_platform.identity import Party
from prilavok_platform.outbox import OUTBOX_INDEXES
from services.moderation.domain.model import (
    Action,
    Category,
    Finding,
    Fine,
    Penalty,
    RequestRecord,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Sender,
    SenderRole,
    Span,
    Standing,
    Suspension,
    SuspensionLift,
    Suspensions,
    Verdict,
    Violation,
    in_force,
)
from services.moderation.service_layer.ports import REVIEW_ORDER, ModerationRepositories, PartyRecord

INDEXES = [
    mongo.IndexSpec("violations", [("sender_key", 1), ("at", -1)], name="violations_sender_at"),
    # the queue: status equality, then exactly REVIEW_ORDER's fields
    mongo.IndexSpec("reviews", [("status", 1), ("created_at", 1), ("_id", 1)], name="reviews_status_created_id"),
    # the queue of one kind: status and kind equality, then REVIEW_ORDER's fields
    mongo.IndexSpec("reviews", [("status", 1), ("kind", 1), ("created_at", 1), ("_id", 1)], name="reviews_status_kind_created_id"),
    # appeals by the request they were filed with (held messages have no request_key)
    mongo.IndexSpec("reviews", [("request_key", 1)], name="reviews_request_key", unique=True, extra={"sparse": True}),
    mongo.IndexSpec("penalties", [("sender_key", 1), ("issued_at", -1)], name="penalties_sender_issued"),
    mongo.IndexSpec("penalties", [("message_id", 1)], name="penalties_message"),
    # a lift finds the offender's record holding the suspended party's suspension (a seller's, in the shop's record)
    mongo.IndexSpec("strike_counters", [("suspensions.party", 1)], name="strike_counters_suspended_party"),
    *OUTBOX_INDEXES,
]


# Reviews stored before kinds existed have no `kind`; they were all held messages.
_KINDLESS_REVIEWS = {"kind": None}  # null or missing


async def backfill_review_kinds(db: AsyncDatabase) -> int:
    """Gives every review stored before kinds existed its kind (HELD_MESSAGE), so the queue
    queries `kind` by equality (an index answers `{status, kind, created_at: {$gte}}` alone; a
    `$in: [value, null]` beside the range is a collection scan in SecantusDB). Run at start-up,
    next to the index creation, before the service answers; idempotent (a second run matches
    nothing). One update_many per status (every review has one), each bounded on
    reviews_status_kind_created_id: a missing field is indexed as null (~9 ms at 16k reviews with
    none to change; a bare `{kind: null}` is a collection scan, ~700 ms). Returns how many
    reviews it changed."""
    changed = 0
    for status in ReviewStatus:  # one {status, kind: null} each: bounded on reviews_status_kind_created_id
        result = await db.reviews.update_many({"status": status.value, **_KINDLESS_REVIEWS},
                                              {"$set": {"kind": ReviewKind.HELD_MESSAGE.value}})
        changed += result.modified_count
    return changed


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


def _request_doc(request: RequestRecord) -> dict[str, Any]:
    return {"request_key": request.key, "request_id": request.request_id, "fingerprint": [list(f) for f in request.fingerprint]}


def _request_from(doc: dict[str, Any]) -> RequestRecord | None:
    if not doc.get("request_key"):
        return None
    return RequestRecord(doc["request_key"], doc.get("request_id", ""), tuple((f[0], f[1]) for f in doc.get("fingerprint", [])))


def _review_from(doc: dict[str, Any]) -> ReviewItem:
    appellant = doc.get("appellant")
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
        kind=ReviewKind(doc["kind"]),  # every review has one (backfill_review_kinds at start-up)
        appeal_reason=doc.get("appeal_reason", ""),
        appealed_by=doc.get("appealed_by", ""),
        appellant=Party.parse(appellant) if appellant else None,
        penalty_ids=tuple(doc.get("penalty_ids", ())),
        request=_request_from(doc),
    )


def _suspension_doc(s: Suspension) -> dict[str, Any]:
    return {"party": s.party.key, "offender": s.offender.key, "sender": _sender_doc(s.sender), "since": s.since, "until": s.until,
            "lifted_at": s.lifted_at, "lifted_by": s.lifted_by, "lift_reason": s.lift_reason}


def _suspension_from(doc: dict[str, Any] | None) -> Suspension | None:
    if not doc:
        return None
    return Suspension(Party.parse(doc["party"]), Party.parse(doc["offender"]), _sender_from(doc["sender"]), doc["since"],
                      doc["until"], doc.get("lifted_at"), doc.get("lifted_by", ""), doc.get("lift_reason", ""))


def _suspensions_from(doc: dict[str, Any] | None) -> Suspensions:
    """An offender's suspensions, one per suspended party."""
    return Suspensions(tuple(s for s in map(_suspension_from, (doc or {}).get("suspensions", ())) if s is not None))


# How many offenders' records a lift looks at for one suspended party: one in practice (a seller
# writes for one shop); a few more only if a user id was also suspended as a buyer.
_HOLDERS_READ = 10


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
                     doc.get("review_id") or "", doc.get("withdrawn_at"), doc.get("appeal_id") or "")


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

    async def bump(self, party: Party) -> PartyRecord:
        # The upserting $inc stays the transaction's first write (concurrent recordings for the
        # party conflict, one retries); the read after it sees this transaction's own write.
        # Not find_one_and_update: SecantusDB 0.7 scans the whole collection for it whenever the
        # document exists, even by _id alone (~130 ms at 10k parties, against ~2 ms for these two).
        await self._c.update_one({"_id": party.key}, {"$inc": {"changes": 1}}, upsert=True, session=self._s)
        after = await self._c.find_one({"_id": party.key}, {"changes": 1, "suspensions": 1}, session=self._s)
        assert after is not None, "the upsert just above made or changed it"
        return PartyRecord(after["changes"], _suspensions_from(after))

    async def suspensions(self, party: Party) -> Suspensions:
        doc = await self._c.find_one({"_id": party.key}, {"suspensions": 1}, session=self._s)
        return _suspensions_from(doc)

    async def holding(self, suspended: Party) -> list[Party]:
        # by the multikey index on suspensions.party
        cursor = self._c.find({"suspensions.party": suspended.key}, {"_id": 1}, session=self._s).limit(_HOLDERS_READ)
        return [Party.parse(doc["_id"]) async for doc in cursor]

    async def save_suspensions(self, party: Party, suspensions: Suspensions) -> None:
        await self._c.update_one({"_id": party.key}, {"$set": {"suspensions": [_suspension_doc(s) for s in suspensions.items]}},
                                 upsert=True, session=self._s)


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
            {"$set": {**_withdrawal_doc(violation.withdrawn_at), "appeal_id": violation.appeal_id or None}},
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

    async def by_request(self, key: str) -> ReviewItem | None:
        doc = await self._c.find_one({"request_key": key}, session=self._s)
        return _review_from(doc) if doc is not None else None

    async def add(self, item: ReviewItem) -> None:
        doc: dict[str, Any] = {
            "_id": item.review_id,
            "kind": item.kind.value,
            "message_id": item.message_id,
            "thread_id": item.thread_id,
            "sender": _sender_doc(item.sender),
            "text": item.text,
            "verdict": verdict_to_doc(item.verdict),
            "status": item.status.value,
            "created_at": item.created_at,
        }
        if item.kind is ReviewKind.APPEAL:
            doc.update(appeal_reason=item.appeal_reason, appealed_by=item.appealed_by, penalty_ids=list(item.penalty_ids),
                       appellant=item.appellant.key if item.appellant else None)
        if item.request is not None:
            doc.update(_request_doc(item.request))
        try:
            await self._c.insert_one(doc, session=self._s)
        except DuplicateKeyError:
            # Two requests raced past the look-ups (one violation appealed twice, or one request key
            # used for two violations at once): the client's retry finds what the other stored.
            raise Aborted("a concurrent request stored this appeal first; retry", reason="CONCURRENT_REQUEST") from None

    async def save(self, item: ReviewItem) -> None:
        await self._c.update_one(
            {"_id": item.review_id},
            {"$set": {"status": item.status.value, "resolved_at": item.resolved_at, "resolved_by": item.resolved_by,
                      "comment": item.comment}},
            session=self._s,
        )

    async def page(self, status: ReviewStatus, size: int, token: str, kind: ReviewKind | None = None) -> tuple[list[ReviewItem], str]:
        # kind by equality (every review has one: backfill_review_kinds), so from the second page on
        # {status, kind, created_at: {$gte}} is bounded on reviews_status_kind_created_id alone
        query: dict[str, Any] = {"status": status.value}
        if kind is not None:
            query["kind"] = kind.value
        docs, next_token = await mongo.fetch_page(self._c, query, REVIEW_ORDER, size, token, session=self._s)
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

    async def get(self, penalty_id: str) -> Penalty | None:
        doc = await self._c.find_one({"_id": penalty_id}, session=self._s)
        return _penalty_from(doc) if doc is not None else None

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


class MongoSuspensionLifts:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None):
        self._c = db.suspension_lifts
        self._s = session

    async def get(self, key: str) -> SuspensionLift | None:
        doc = await self._c.find_one({"_id": key}, session=self._s)
        if doc is None:
            return None
        request = _request_from(doc)
        suspension = _suspension_from(doc["suspension"])
        assert request is not None and suspension is not None, "a lift is stored with both"
        return SuspensionLift(request, suspension, Standing(doc["standing"]))

    async def add(self, lift: SuspensionLift) -> None:
        doc = {"_id": lift.request.key, **_request_doc(lift.request), "suspension": _suspension_doc(lift.suspension),
               "standing": lift.standing.value}
        try:
            await self._c.insert_one(doc, session=self._s)
        except DuplicateKeyError:
            raise Aborted("a concurrent request with this request_id lifted first; retry", reason="CONCURRENT_REQUEST") from None


def mongo_repositories(db: AsyncDatabase, session: AsyncClientSession | None) -> ModerationRepositories:
    return ModerationRepositories(MongoViolations(db, session), MongoReviews(db, session), MongoPenalties(db, session),
                                  MongoStrikeCounters(db, session), MongoSuspensionLifts(db, session))
