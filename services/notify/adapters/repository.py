"""MongoDB persistence of notifications and preferences. One insert per notification;
the id is derived from the event, so a redelivered event inserts nothing."""
from __future__ import annotations

import datetime as dt

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from prilavok_platform import mongo
from services.notify.domain.model import Kind, Notification, Preferences

INDEXES = [
    mongo.IndexSpec("notifications", [("recipient", 1), ("created_at", -1), ("_id", -1)], name="notifications_recipient_created"),
    mongo.IndexSpec("notifications", [("recipient", 1), ("read", 1)], name="notifications_recipient_read"),
]


def _to_doc(n: Notification) -> dict:
    return {
        "_id": n.notification_id, "recipient": n.recipient, "kind": n.kind.value, "title": n.title, "body": n.body,
        "created_at": n.created_at, "thread_id": n.thread_id, "claim_id": n.claim_id, "read": n.read,
    }


def _from_doc(d: dict) -> Notification:
    return Notification(d["_id"], d["recipient"], Kind(d["kind"]), d["title"], d["body"], d["created_at"],
                        d.get("thread_id", ""), d.get("claim_id", ""), d.get("read", False))


class MongoNotificationRepository:
    def __init__(self, db: AsyncDatabase):
        self._db = db

    async def add(self, notifications: list[Notification]) -> list[Notification]:
        try:
            await self._db.notifications.insert_many([_to_doc(n) for n in notifications], ordered=False)
            return notifications
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            duplicate = {e["index"] for e in errors}
            return [n for i, n in enumerate(notifications) if i not in duplicate]

    async def list(self, recipient: str, unread_only: bool, limit: int, cursor: dict | None) -> list[Notification]:
        clauses: list[dict] = [{"recipient": recipient}]
        if unread_only:
            clauses.append({"read": False})
        if cursor:
            at = dt.datetime.fromisoformat(cursor["at"])
            clauses.append({"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": cursor["id"]}}]})
        docs = self._db.notifications.find({"$and": clauses}).sort([("created_at", -1), ("_id", -1)]).limit(limit)
        return [_from_doc(d) async for d in docs]

    async def unread_count(self, recipient: str) -> int:
        return await self._db.notifications.count_documents({"recipient": recipient, "read": False})

    async def mark_read(self, recipient: str, ids: list[str] | None) -> int:
        query: dict = {"recipient": recipient, "read": False}
        if ids is not None:
            query["_id"] = {"$in": ids}
        result = await self._db.notifications.update_many(query, {"$set": {"read": True}})
        return result.modified_count

    async def get_preferences(self, recipient: str) -> Preferences:
        doc = await self._db.preferences.find_one({"_id": recipient})
        if not doc:
            return Preferences()
        return Preferences(
            muted_kinds={Kind(k) for k in doc.get("muted_kinds", []) if k in Kind.__members__},
            email_enabled=doc.get("email_enabled", False),
            email_address=doc.get("email_address", ""),
            webhook_enabled=doc.get("webhook_enabled", False),
            webhook_url=doc.get("webhook_url", ""),
        )

    async def save_preferences(self, recipient: str, p: Preferences) -> None:
        await self._db.preferences.replace_one(
            {"_id": recipient},
            {"muted_kinds": sorted(k.value for k in p.muted_kinds), "email_enabled": p.email_enabled,
             "email_address": p.email_address, "webhook_enabled": p.webhook_enabled, "webhook_url": p.webhook_url},
            upsert=True,
        )
