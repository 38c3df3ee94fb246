"""MongoDB persistence of threads and messages: load and save only. Transactions and the outbox
belong to the unit of work (prilavok_platform.mongo_unit_of_work), which hands each repository
its session."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from prilavok_platform import mongo
from prilavok_platform.idempotency import Fingerprint
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.outbox import OUTBOX_INDEXES
from services.chat.domain.deadlines import DeadlinesDue
from services.chat.domain.model import (
    Category,
    DeadlineState,
    Direction,
    InitiationReason,
    Message,
    MessageStatus,
    ModerationAction,
    Side,
    SupportTopic,
    Thread,
    ThreadKind,
    ThreadStatus,
)
from services.chat.domain.reading import MessageAudience, UnreadMessages
from services.chat.domain.standing import Suspension
from services.chat.service_layer.ports import (
    MESSAGES_NEWER,
    MESSAGES_OLDER,
    THREAD_ORDER,
    AlreadyStored,
    ChatRepositories,
    ThreadFilter,
)

# One index per query: equality fields first, then the sort fields.
INDEXES = [
    # ListThreads: participant_keys = party, sorted by (last_activity_at, _id) descending.
    mongo.IndexSpec("threads", [("participant_keys", 1), ("last_activity_at", -1), ("_id", -1)], name="threads_party_activity"),
    mongo.IndexSpec("threads", [("order_id", 1)], name="threads_order"),
    # The deadline scan: deadline_state in (...), reply_due_at <= horizon, sorted by reply_due_at.
    mongo.IndexSpec("threads", [("deadline_state", 1), ("reply_due_at", 1)], name="threads_deadline"),
    # ListMessages: thread_id = id, sorted by seq either way (also keeps seq unique per thread).
    mongo.IndexSpec("messages", [("thread_id", 1), ("seq", 1)], name="messages_thread_seq", unique=True),
    # The suspensions in force: suspended_until > now (read whole every second by every replica).
    mongo.IndexSpec("suspensions", [("suspended_until", 1)], name="suspensions_until"),
    *OUTBOX_INDEXES,
]


def _identity_doc(identity: Identity) -> dict:
    return {"user_id": identity.user_id, "role": identity.role.value, "shop_id": identity.shop_id}


def _identity(doc: dict) -> Identity:
    return Identity(doc["user_id"], Role(doc["role"]), doc.get("shop_id", ""))


def _mutable_thread_fields(thread: Thread) -> dict[str, Any]:
    return {
        "status": thread.status.value,
        "updated_at": thread.updated_at,
        "last_message_at": thread.last_message_at,
        "last_activity_at": thread.last_activity_at,
        "last_seq": thread.last_seq,
        "unread": {side.value: n for side, n in thread.unread.items()},
        "read_seq": {side.value: n for side, n in thread.read_seq.items()},
        "reply_due_at": thread.reply_due_at,
        "deadline_state": thread.deadline_state.value if thread.deadline_state else None,
        "answered_at": thread.answered_at,
        "closed_at": thread.closed_at,
        "closed_by": _identity_doc(thread.closed_by) if thread.closed_by else None,
        "close_reason": thread.close_reason,
        "rating": thread.rating,
        "rating_comment": thread.rating_comment,
        "rated_at": thread.rated_at,
    }


def thread_to_doc(thread: Thread) -> dict:
    support = thread.support
    return {
        "_id": thread.thread_id,
        "kind": thread.kind.value,
        "participants": {side.value: party.key for side, party in thread.participants.items()},
        "participant_keys": sorted({party.key for party in thread.participants.values()}),
        "created_at": thread.created_at,
        "initiated_by": thread.initiated_by.value,
        "order_id": thread.order_id,
        "claim_id": thread.claim_id,
        "buyer_id": thread.buyer_id,
        "shop_id": thread.shop_id,
        "author": _identity_doc(thread.author) if thread.author else None,
        "support": {"category": support.category, "topic": support.topic, "references": support.references} if support else None,
        "initiation_reason": thread.initiation_reason.value if thread.initiation_reason else None,
        "linked_thread_id": thread.linked_thread_id,
        "request_fingerprint": [list(pair) for pair in thread.request_fingerprint],
        "opening_request": thread.opening_request,
        "version": thread.version,
        **_mutable_thread_fields(thread),
    }


def thread_from_doc(doc: dict) -> Thread:
    support = doc.get("support")
    return Thread(
        thread_id=doc["_id"],
        kind=ThreadKind(doc["kind"]),
        status=ThreadStatus(doc["status"]),
        participants={Side(side): Party.parse(key) for side, key in doc["participants"].items()},
        created_at=doc["created_at"],
        initiated_by=Role(doc["initiated_by"]),
        order_id=doc.get("order_id", ""),
        claim_id=doc.get("claim_id", ""),
        buyer_id=doc.get("buyer_id", ""),
        shop_id=doc.get("shop_id", ""),
        author=_identity(doc["author"]) if doc.get("author") else None,
        support=SupportTopic(support["category"], support["topic"], support.get("references", {})) if support else None,
        initiation_reason=InitiationReason(doc["initiation_reason"]) if doc.get("initiation_reason") else None,
        linked_thread_id=doc.get("linked_thread_id", ""),
        updated_at=doc.get("updated_at"),
        last_message_at=doc.get("last_message_at"),
        last_activity_at=doc.get("last_activity_at"),
        last_seq=doc.get("last_seq", 0),
        unread={Side(side): n for side, n in doc.get("unread", {}).items()},
        read_seq={Side(side): n for side, n in doc.get("read_seq", {}).items()},
        reply_due_at=doc.get("reply_due_at"),
        deadline_state=DeadlineState(doc["deadline_state"]) if doc.get("deadline_state") else None,
        answered_at=doc.get("answered_at"),
        closed_at=doc.get("closed_at"),
        closed_by=_identity(doc["closed_by"]) if doc.get("closed_by") else None,
        close_reason=doc.get("close_reason", ""),
        rating=doc.get("rating", 0),
        rating_comment=doc.get("rating_comment", ""),
        rated_at=doc.get("rated_at"),
        request_fingerprint=_fingerprint(doc),
        opening_request=doc.get("opening_request", ""),
        version=doc.get("version", 0),
    )


def _fingerprint(doc: dict) -> Fingerprint:
    """Stored as [[field, digest], ...]; absent on documents written before fingerprints existed."""
    return tuple((str(name), str(value)) for name, value in doc.get("request_fingerprint") or ())


def _moderation_doc(message: Message) -> dict:
    return {
        "action": message.moderation_action.value,
        "categories": [c.value for c in message.moderation_categories],
        "reason": message.moderation_reason,
        "policy_version": message.policy_version,
        "review_comment": message.review_comment,
        "reversed_on_appeal": message.reversed_on_appeal,
        "appeal_comment": message.appeal_comment,
    }


def message_to_doc(message: Message) -> dict:
    return {
        "_id": message.message_id,
        "thread_id": message.thread_id,
        "seq": message.seq,
        "sender": _identity_doc(message.sender),
        "sender_party": message.sender_party.key,
        "sender_side": message.sender_side.value,
        "text": message.text,
        "original_text": message.original_text,
        "status": message.status.value,
        "created_at": message.created_at,
        "released_at": message.released_at,
        "attachment_ids": list(message.attachment_ids),
        "moderation": _moderation_doc(message),
        "status_reason": message.status_reason,
        "request_fingerprint": [list(pair) for pair in message.request_fingerprint],
        # Written once, with the message: what its SendMessage answered (never updated by save).
        "answered": {"status": message.answered_status.value, "reason": message.answered_reason} if message.answered_status else None,
    }


def message_from_doc(doc: dict) -> Message:
    moderation = doc.get("moderation", {})
    return Message(
        message_id=doc["_id"],
        thread_id=doc["thread_id"],
        seq=doc["seq"],
        sender=_identity(doc["sender"]),
        sender_side=Side(doc["sender_side"]),
        text=doc["text"],
        status=MessageStatus(doc["status"]),
        created_at=doc["created_at"],
        original_text=doc.get("original_text", ""),
        attachment_ids=tuple(doc.get("attachment_ids", ())),
        moderation_action=ModerationAction(moderation.get("action", "ALLOW")),
        moderation_categories=tuple(Category(c) for c in moderation.get("categories", ())),
        moderation_reason=moderation.get("reason", ""),
        policy_version=moderation.get("policy_version", ""),
        released_at=doc.get("released_at"),
        review_comment=moderation.get("review_comment", ""),
        reversed_on_appeal=moderation.get("reversed_on_appeal", ""),
        appeal_comment=moderation.get("appeal_comment", ""),
        status_reason=doc.get("status_reason", ""),
        request_fingerprint=_fingerprint(doc),
        answered_status=MessageStatus(answered["status"]) if (answered := doc.get("answered")) else None,
        answered_reason=answered["reason"] if answered else "",
    )


class MongoThreadRepository:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None):
        self._threads = db.threads
        self._session = session

    async def add(self, thread: Thread) -> None:
        try:
            await self._threads.insert_one(thread_to_doc(thread), session=self._session)
        except DuplicateKeyError:
            raise AlreadyStored(thread.thread_id) from None

    async def get(self, thread_id: str) -> Thread | None:
        doc = await self._threads.find_one({"_id": thread_id}, session=self._session)
        return thread_from_doc(doc) if doc else None

    async def save(self, thread: Thread) -> bool:
        # Documents written before versions existed have none: they count as version 0.
        expected: Any = thread.version if thread.version else {"$in": [0, None]}
        result = await self._threads.update_one(
            {"_id": thread.thread_id, "version": expected},
            {"$set": {**_mutable_thread_fields(thread), "version": thread.version + 1}},
            session=self._session,
        )
        if result.matched_count == 0:
            return False
        thread.version += 1
        return True

    async def page(self, flt: ThreadFilter, size: int, token: str) -> tuple[list[Thread], str]:
        query: dict[str, Any] = {"participant_keys": flt.party.key}
        if flt.kind:
            query["kind"] = flt.kind.value
        if flt.status:
            query["status"] = flt.status.value
        if flt.order_id:
            query["order_id"] = flt.order_id
        if flt.unread_only:
            # The party's own side has unread messages (it may sit on either side).
            query["$or"] = [{f"participants.{s.value}": flt.party.key, f"unread.{s.value}": {"$gt": 0}} for s in Side]
        docs, next_token = await mongo.fetch_page(self._threads, query, THREAD_ORDER, size, token, session=self._session)
        return [thread_from_doc(d) for d in docs], next_token

    async def with_deadline_due(self, due: DeadlinesDue, limit: int) -> list[Thread]:
        cursor = self._threads.find(deadlines_due_query(due), session=self._session).sort("reply_due_at", 1).limit(limit)
        return [thread_from_doc(d) async for d in cursor]


class MongoMessageRepository:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None):
        self._messages = db.messages
        self._session = session

    async def add(self, message: Message) -> None:
        try:
            await self._messages.insert_one(message_to_doc(message), session=self._session)
        except DuplicateKeyError:
            raise AlreadyStored(message.message_id) from None

    async def get(self, message_id: str) -> Message | None:
        doc = await self._messages.find_one({"_id": message_id}, session=self._session)
        return message_from_doc(doc) if doc else None

    async def save(self, message: Message) -> None:
        await self._messages.update_one(
            {"_id": message.message_id},
            {"$set": {"status": message.status.value, "text": message.text, "original_text": message.original_text,
                      "released_at": message.released_at, "moderation": _moderation_doc(message),
                      "status_reason": message.status_reason}},
            session=self._session,
        )

    async def page(
        self, thread_id: str, audience: MessageAudience, *, direction: Direction, start_seq: int, size: int, token: str
    ) -> tuple[list[Message], str]:
        newer = direction is Direction.NEWER
        query: dict[str, Any] = {"thread_id": thread_id, **audience_query(audience)}
        if start_seq and not token:
            query["seq"] = {"$gt": start_seq} if newer else {"$lt": start_seq}
        order = MESSAGES_NEWER if newer else MESSAGES_OLDER
        docs, next_token = await mongo.fetch_page(self._messages, query, order, size, token, session=self._session)
        return [message_from_doc(d) for d in docs], next_token

    async def count_unread(self, unread: UnreadMessages) -> int:
        return await self._messages.count_documents(unread_query(unread), session=self._session)


def suspension_to_doc(suspension: Suspension) -> dict:
    return {"_id": suspension.party.key, "suspended_until": suspension.suspended_until,
            "occurred_at": suspension.occurred_at, "event_id": suspension.event_id,
            "standing_version": suspension.standing_version}


def suspension_from_doc(doc: dict) -> Suspension:
    """`standing_version` is absent on documents written before chat kept it: 0, not counted."""
    return Suspension(Party.parse(doc["_id"]), doc.get("suspended_until"), doc["occurred_at"], doc.get("event_id", ""),
                      doc.get("standing_version") or 0)


class MongoSuspensionRepository:
    """One document per party (`_id` its key): what chat last heard about its suspension."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None):
        self._suspensions = db.suspensions
        self._session = session

    async def get(self, party: Party) -> Suspension | None:
        doc = await self._suspensions.find_one({"_id": party.key}, session=self._session)
        return suspension_from_doc(doc) if doc else None

    async def save(self, suspension: Suspension) -> None:
        doc = suspension_to_doc(suspension)
        await self._suspensions.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self._session)

    async def in_force(self, now: dt.datetime) -> list[Suspension]:
        return [suspension_from_doc(d) async for d in self._suspensions.find({"suspended_until": {"$gt": now}}, session=self._session)]


def deadlines_due_query(due: DeadlinesDue) -> dict[str, Any]:
    """DeadlinesDue.matches as a query (the same definition, field by field)."""
    return {"$or": [
        {"deadline_state": DeadlineState.PENDING.value, "reply_due_at": {"$lte": due.remind_by}},
        {"deadline_state": DeadlineState.REMINDED.value, "reply_due_at": {"$lte": due.breach_by}},
    ]}


def audience_query(audience: MessageAudience) -> dict[str, Any]:
    """MessageAudience.admits as a query (the same definition, field by field)."""
    if audience.own_party is None:
        return {}
    return {"$or": [{"status": audience.shared_status.value}, {"sender_party": audience.own_party.key}]}


def unread_query(unread: UnreadMessages) -> dict[str, Any]:
    """UnreadMessages.matches as a query (the same definition, field by field)."""
    return {"thread_id": unread.thread_id, "seq": {"$gt": unread.after_seq}, "status": unread.counted_status.value,
            "sender_side": {"$ne": unread.reader_side.value}}


def repositories(db: AsyncDatabase, session: AsyncClientSession | None) -> ChatRepositories:
    """The factory the MongoUnitOfWork calls for each transaction (and, without a session, for reads)."""
    return ChatRepositories(MongoThreadRepository(db, session), MongoMessageRepository(db, session),
                            MongoSuspensionRepository(db, session))
