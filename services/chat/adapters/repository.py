"""MongoDB persistence of threads and messages, with outbox events in the same transaction.

Writes per SendMessage: one transaction of three operations (thread counters, message,
outbox event). Reads: one find of the thread before moderation."""
from __future__ import annotations

import datetime as dt

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from prilavok.chat.v1 import events_pb2
from prilavok_platform import mongo
from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import FailedPrecondition
from prilavok_platform.nats import subject
from prilavok_platform.outbox import OUTBOX_COLLECTION, OUTBOX_INDEXES, new_event_id, outbox_document
from services.chat.adapters import protos
from services.chat.domain.model import (
    InitiationReason,
    Message,
    MessageStatus,
    SupportTopic,
    Thread,
    ThreadKind,
    ThreadStatus,
    party_key,
)
from services.chat.service_layer.ports import ThreadFilter

INDEXES = [
    mongo.IndexSpec("threads", [("participant_keys", 1), ("last_activity_at", -1), ("_id", -1)], name="threads_party_activity"),
    mongo.IndexSpec("threads", [("order_id", 1)], name="threads_order"),
    mongo.IndexSpec("threads", [("deadline_state", 1), ("reply_due_at", 1)], name="threads_deadline"),
    mongo.IndexSpec("messages", [("thread_id", 1), ("seq", 1)], name="messages_thread_seq", unique=True),
    *OUTBOX_INDEXES,
]

SIDES = ("buyer", "seller", "author", "support")


def _identity_doc(identity: Identity) -> dict:
    return {"user_id": identity.user_id, "role": identity.role.value, "shop_id": identity.shop_id}


def _identity(doc: dict) -> Identity:
    return Identity(doc["user_id"], Role(doc["role"]), doc.get("shop_id", ""))


def thread_to_doc(thread: Thread) -> dict:
    return {
        "_id": thread.thread_id,
        "kind": thread.kind.value,
        "status": thread.status.value,
        "participants": thread.participants,
        "participant_keys": sorted(set(thread.participants.values())),
        "created_at": thread.created_at,
        "updated_at": thread.updated_at,
        "last_activity_at": thread.created_at,
        "initiated_by": thread.initiated_by.value,
        "order_id": thread.order_id,
        "claim_id": thread.claim_id,
        "buyer_id": thread.buyer_id,
        "shop_id": thread.shop_id,
        "author": _identity_doc(thread.author) if thread.author else None,
        "support": (
            {"category": thread.support.category, "topic": thread.support.topic, "references": thread.support.references}
            if thread.support else None
        ),
        "initiation_reason": thread.initiation_reason.value if thread.initiation_reason else None,
        "linked_thread_id": thread.linked_thread_id,
        "last_seq": 0,
        "unread": thread.unread,
        "read_seq": thread.read_seq,
        "reply_due_at": None,
        "closed_at": None,
        "rating": 0,
    }


def thread_from_doc(doc: dict) -> Thread:
    support = doc.get("support")
    return Thread(
        thread_id=doc["_id"],
        kind=ThreadKind(doc["kind"]),
        status=ThreadStatus(doc["status"]),
        participants=doc["participants"],
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
        last_seq=doc.get("last_seq", 0),
        unread=doc.get("unread", {}),
        read_seq=doc.get("read_seq", {}),
        reply_due_at=doc.get("reply_due_at"),
        closed_at=doc.get("closed_at"),
        rating=doc.get("rating", 0),
    )


def message_to_doc(message: Message, side: str) -> dict:
    return {
        "_id": message.message_id,
        "thread_id": message.thread_id,
        "seq": message.seq,
        "sender": _identity_doc(message.sender),
        "sender_party": party_key(message.sender),
        "sender_side": side,
        "text": message.text,
        "original_text": message.original_text,
        "status": message.status.value,
        "created_at": message.created_at,
        "attachment_ids": list(message.attachment_ids),
        "moderation": {
            "action": message.moderation_action,
            "categories": list(message.moderation_categories),
            "reason": message.moderation_reason,
            "policy_version": message.policy_version,
        },
    }


def message_from_doc(doc: dict) -> Message:
    moderation = doc.get("moderation", {})
    return Message(
        message_id=doc["_id"],
        thread_id=doc["thread_id"],
        seq=doc["seq"],
        sender=_identity(doc["sender"]),
        text=doc["text"],
        status=MessageStatus(doc["status"]),
        created_at=doc["created_at"],
        original_text=doc.get("original_text", ""),
        attachment_ids=tuple(doc.get("attachment_ids", ())),
        moderation_action=moderation.get("action", "ALLOW"),
        moderation_categories=tuple(moderation.get("categories", ())),
        moderation_reason=moderation.get("reason", ""),
        policy_version=moderation.get("policy_version", ""),
    )


class MongoChatRepository:
    def __init__(self, client: AsyncMongoClient, db: AsyncDatabase, subject_prefix: str, on_commit=lambda: None):
        self._client = client
        self._db = db
        self._prefix = subject_prefix
        self._on_commit = on_commit

    def _event(self, name: str, event, event_id: str, at: dt.datetime) -> dict:
        return outbox_document(subject(self._prefix, "chat", *name.split(".")), event, event_id, at)

    async def create_thread(self, thread: Thread) -> tuple[Thread, bool]:
        event_id = new_event_id()
        event = events_pb2.ThreadCreated(event_id=event_id, occurred_at=protos.ts(thread.created_at), thread=protos.thread_to_pb(thread))

        async def work(session):
            await self._db.threads.insert_one(thread_to_doc(thread), session=session)
            await self._db[OUTBOX_COLLECTION].insert_one(self._event("thread.created", event, event_id, thread.created_at), session=session)

        try:
            await mongo.in_transaction(self._client, work)
        except DuplicateKeyError:
            existing = await self.get_thread(thread.thread_id)
            assert existing is not None
            return existing, False
        self._on_commit()
        return thread, True

    async def get_thread(self, thread_id: str) -> Thread | None:
        doc = await self._db.threads.find_one({"_id": thread_id})
        return thread_from_doc(doc) if doc else None

    async def list_threads(self, flt: ThreadFilter, limit: int, cursor: dict | None) -> list[Thread]:
        clauses: list[dict] = [{"participant_keys": flt.party_key}]
        if flt.kind:
            clauses.append({"kind": flt.kind.value})
        if flt.status:
            clauses.append({"status": flt.status.value})
        if flt.order_id:
            clauses.append({"order_id": flt.order_id})
        if flt.unread_only:
            clauses.append({"$or": [{f"participants.{s}": flt.party_key, f"unread.{s}": {"$gt": 0}} for s in SIDES]})
        if cursor:
            at = dt.datetime.fromisoformat(cursor["at"])
            clauses.append({"$or": [{"last_activity_at": {"$lt": at}}, {"last_activity_at": at, "_id": {"$lt": cursor["id"]}}]})
        docs = self._db.threads.find({"$and": clauses}).sort([("last_activity_at", -1), ("_id", -1)]).limit(limit)
        return [thread_from_doc(d) async for d in docs]

    async def append_message(
        self, thread: Thread, side: str, message: Message, reply_due: tuple[bool, dt.datetime | None]
    ) -> tuple[Message, bool]:
        delivered = message.status is MessageStatus.DELIVERED
        # Every stored message takes the next seq; held and blocked ones leave gaps for others.
        update: dict = {"$inc": {"last_seq": 1}, "$set": {"updated_at": message.created_at}}
        if delivered:
            update["$inc"][f"unread.{thread.other_side(side)}"] = 1
            update["$set"].update({"last_message_at": message.created_at, "last_activity_at": message.created_at})
            changes, due = reply_due
            if changes:
                # PENDING -> REMINDED -> BREACHED, so each deadline is announced once.
                update["$set"].update({"reply_due_at": due, "deadline_state": "PENDING" if due else None})
        event_id = new_event_id()
        name = {MessageStatus.DELIVERED: "message.delivered", MessageStatus.HELD: "message.held", MessageStatus.BLOCKED: "message.blocked"}[message.status]
        event_type = {MessageStatus.DELIVERED: events_pb2.MessageDelivered, MessageStatus.HELD: events_pb2.MessageHeld, MessageStatus.BLOCKED: events_pb2.MessageBlocked}[message.status]

        async def work(session):
            doc = await self._db.threads.find_one_and_update(
                {"_id": thread.thread_id, "status": ThreadStatus.OPEN.value},
                update,
                projection={"last_seq": 1},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if doc is None:
                raise FailedPrecondition(f"thread {thread.thread_id} is closed", reason="THREAD_CLOSED")
            message.seq = thread.last_seq = doc["last_seq"]
            await self._db.messages.insert_one(message_to_doc(message, side), session=session)
            event = event_type(
                event_id=event_id, occurred_at=protos.ts(message.created_at),
                thread=protos.thread_to_pb(thread), message=protos.message_to_pb(message),
            )
            await self._db[OUTBOX_COLLECTION].insert_one(self._event(name, event, event_id, message.created_at), session=session)

        try:
            await mongo.in_transaction(self._client, work)
        except DuplicateKeyError:
            doc = await self._db.messages.find_one({"_id": message.message_id})
            if doc is None:
                raise
            return message_from_doc(doc), False
        self._on_commit()
        return message, True

    async def list_messages(
        self, thread_id: str, viewer_party: str | None, newer: bool, after_seq: int | None, limit: int
    ) -> list[Message]:
        query: dict = {"thread_id": thread_id}
        if viewer_party is not None:
            query["$or"] = [{"status": MessageStatus.DELIVERED.value}, {"sender_party": viewer_party}]
        if after_seq is not None:
            query["seq"] = {"$gt": after_seq} if newer else {"$lt": after_seq}
        docs = self._db.messages.find(query).sort("seq", 1 if newer else -1).limit(limit)
        return [message_from_doc(d) async for d in docs]

    async def mark_read(self, thread: Thread, side: str, reader: Identity, up_to_seq: int, at: dt.datetime) -> int:
        seq = min(up_to_seq or thread.last_seq, thread.last_seq)
        event_id = new_event_id()
        event = events_pb2.ThreadRead(event_id=event_id, occurred_at=protos.ts(at), thread_id=thread.thread_id, reader=protos.actor(reader),
                                      up_to_seq=seq, thread=protos.thread_to_pb(thread))

        async def work(session) -> int:
            unread = await self._db.messages.count_documents(
                {"thread_id": thread.thread_id, "seq": {"$gt": seq}, "status": MessageStatus.DELIVERED.value, "sender_side": {"$ne": side}},
                session=session,
            )
            await self._db.threads.update_one(
                {"_id": thread.thread_id},
                {"$max": {f"read_seq.{side}": seq}, "$set": {f"unread.{side}": unread}},
                session=session,
            )
            await self._db[OUTBOX_COLLECTION].insert_one(self._event("thread.read", event, event_id, at), session=session)
            return unread

        unread = await mongo.in_transaction(self._client, work)
        self._on_commit()
        return unread

    async def close_thread(self, thread: Thread, by: Identity, reason: str, at: dt.datetime) -> Thread:
        thread.status, thread.closed_at, thread.updated_at, thread.reply_due_at = ThreadStatus.CLOSED, at, at, None
        event_id = new_event_id()
        event = events_pb2.ThreadClosed(event_id=event_id, occurred_at=protos.ts(at), thread=protos.thread_to_pb(thread), closed_by=protos.actor(by), reason=reason)

        async def work(session):
            result = await self._db.threads.update_one(
                {"_id": thread.thread_id, "status": ThreadStatus.OPEN.value},
                {"$set": {"status": ThreadStatus.CLOSED.value, "closed_at": at, "updated_at": at, "last_activity_at": at,
                          "reply_due_at": None, "deadline_state": None}},
                session=session,
            )
            if result.matched_count == 0:
                raise FailedPrecondition(f"thread {thread.thread_id} is already closed", reason="THREAD_CLOSED")
            await self._db[OUTBOX_COLLECTION].insert_one(self._event("thread.closed", event, event_id, at), session=session)

        await mongo.in_transaction(self._client, work)
        self._on_commit()
        return thread

    async def rate_thread(self, thread: Thread, score: int, comment: str, at: dt.datetime) -> Thread:
        result = await self._db.threads.update_one(
            {"_id": thread.thread_id, "rating": 0},
            {"$set": {"rating": score, "rating_comment": comment, "rated_at": at, "updated_at": at}},
        )
        if result.matched_count == 0:
            raise FailedPrecondition(f"thread {thread.thread_id} is already rated", reason="ALREADY_RATED")
        thread.rating, thread.updated_at = score, at
        return thread

    async def announce_deadlines(self, now: dt.datetime, remind_before: dt.timedelta, limit: int = 200) -> int:
        """Emits one 'approaching' and one 'breached' event per reply deadline. Safe to run
        in every replica: the state change is conditional, so only one of them announces."""
        docs = self._db.threads.find(
            {"deadline_state": {"$in": ["PENDING", "REMINDED"]}, "reply_due_at": {"$lte": now + remind_before}}
        ).sort("reply_due_at", 1).limit(limit)
        announced = 0
        async for doc in docs:
            thread = thread_from_doc(doc)
            due = doc["reply_due_at"]
            breached = due <= now
            new_state = "BREACHED" if breached else "REMINDED"
            if doc["deadline_state"] == new_state:
                continue
            event_id = new_event_id()
            event = events_pb2.ReplyDeadline(event_id=event_id, occurred_at=protos.ts(now), thread=protos.thread_to_pb(thread),
                                             due_at=protos.ts(due), breached=breached)

            async def work(session, doc=doc, new_state=new_state, event=event, event_id=event_id, breached=breached):
                result = await self._db.threads.update_one(
                    {"_id": doc["_id"], "deadline_state": doc["deadline_state"], "reply_due_at": doc["reply_due_at"]},
                    {"$set": {"deadline_state": new_state}}, session=session,
                )
                if result.modified_count:
                    name = "deadline.breached" if breached else "deadline.approaching"
                    await self._db[OUTBOX_COLLECTION].insert_one(self._event(name, event, event_id, now), session=session)
                return result.modified_count

            announced += await mongo.in_transaction(self._client, work)
        if announced:
            self._on_commit()
        return announced

    async def release_held(self, message_id: str, approved: bool, comment: str, at: dt.datetime, policy) -> bool:
        async def work(session) -> bool:
            doc = await self._db.messages.find_one_and_update(
                {"_id": message_id, "status": MessageStatus.HELD.value},
                {"$set": {"status": (MessageStatus.DELIVERED if approved else MessageStatus.BLOCKED).value,
                          "released_at": at, "moderation.review_comment": comment}},
                return_document=ReturnDocument.AFTER, session=session,
            )
            if doc is None:
                return False  # unknown, or already released: a redelivered event
            message = message_from_doc(doc)
            thread_doc = await self._db.threads.find_one({"_id": message.thread_id}, session=session)
            if thread_doc is None:
                return False
            thread = thread_from_doc(thread_doc)
            event_id = new_event_id()
            if approved:
                side = doc["sender_side"]
                update: dict = {"$inc": {f"unread.{thread.other_side(side)}": 1},
                                "$set": {"updated_at": at, "last_message_at": at, "last_activity_at": at}}
                changes, due = thread.reply_due_after(side, at, policy)
                if changes:
                    update["$set"].update({"reply_due_at": due, "deadline_state": "PENDING" if due else None})
                await self._db.threads.update_one({"_id": thread.thread_id}, update, session=session)
                event = events_pb2.MessageDelivered(event_id=event_id, occurred_at=protos.ts(at),
                                                    thread=protos.thread_to_pb(thread), message=protos.message_to_pb(message))
                name = "message.delivered"
            else:
                if comment:
                    message.moderation_reason = comment
                event = events_pb2.MessageBlocked(event_id=event_id, occurred_at=protos.ts(at),
                                                  thread=protos.thread_to_pb(thread), message=protos.message_to_pb(message))
                name = "message.blocked"
            await self._db[OUTBOX_COLLECTION].insert_one(self._event(name, event, event_id, at), session=session)
            return True

        released = await mongo.in_transaction(self._client, work)
        if released:
            self._on_commit()
        return released
