"""MongoDB persistence of notifications and preferences: loading and saving only. Recipients
are stored by their party key ('user:<id>', 'shop:<id>', 'support')."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from prilavok_platform import mongo
from prilavok_platform.identity import Party
from services.notify.domain.model import Kind, Notification, Preferences
from services.notify.service_layer.ports import NEWEST_FIRST, NotifyRepositories

DUPLICATE_KEY = 11000

INDEXES = [
    # ListNotifications (recipient) and its unread_only variant (recipient, read), both in NEWEST_FIRST.
    mongo.IndexSpec("notifications", [("recipient", 1), ("created_at", -1), ("_id", -1)], name="notifications_recipient_created"),
    mongo.IndexSpec("notifications", [("recipient", 1), ("read", 1), ("created_at", -1), ("_id", -1)],
                    name="notifications_recipient_read_created"),
]


def _to_doc(n: Notification) -> dict[str, Any]:
    return {
        "_id": n.notification_id, "recipient": n.recipient.key, "kind": n.kind.value, "title": n.title, "body": n.body,
        "created_at": n.created_at, "thread_id": n.thread_id, "claim_id": n.claim_id, "read": n.read,
    }


def _from_doc(d: dict[str, Any]) -> Notification:
    return Notification(d["_id"], Party.parse(d["recipient"]), Kind(d["kind"]), d["title"], d["body"], d["created_at"],
                        d.get("thread_id", ""), d.get("claim_id", ""), d.get("read", False))


class MongoNotificationRepository:
    def __init__(self, db: AsyncDatabase):
        self._notifications = db.notifications

    async def add_new(self, notifications: Sequence[Notification]) -> list[Notification]:
        # One unordered insert: ids already stored fail alone with a duplicate key, the rest go in.
        try:
            await self._notifications.insert_many([_to_doc(n) for n in notifications], ordered=False)
            return list(notifications)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            stored_before = {e["index"] for e in errors}
            return [n for i, n in enumerate(notifications) if i not in stored_before]

    async def page(self, recipient: Party, unread_only: bool, size: int, token: str) -> tuple[list[Notification], str]:
        query: dict[str, Any] = {"recipient": recipient.key}
        if unread_only:
            query["read"] = False
        docs, next_token = await mongo.fetch_page(self._notifications, query, NEWEST_FIRST, size, token)
        return [_from_doc(d) for d in docs], next_token

    async def unread_count(self, recipient: Party) -> int:
        return await self._notifications.count_documents({"recipient": recipient.key, "read": False})

    async def mark_read(self, recipient: Party, notification_ids: Sequence[str] | None) -> None:
        query: dict[str, Any] = {"recipient": recipient.key, "read": False}
        if notification_ids is not None:
            query["_id"] = {"$in": list(notification_ids)}
        await self._notifications.update_many(query, {"$set": {"read": True}})


class MongoPreferencesRepository:
    def __init__(self, db: AsyncDatabase):
        self._preferences = db.preferences

    async def get(self, party: Party) -> Preferences | None:
        doc = await self._preferences.find_one({"_id": party.key})
        if not doc:
            return None
        return Preferences(
            # A kind stored by a newer version and unknown here is left out.
            muted_kinds=frozenset(Kind(k) for k in doc.get("muted_kinds", []) if k in Kind.__members__),
            email_enabled=doc.get("email_enabled", False),
            email_address=doc.get("email_address", ""),
            webhook_enabled=doc.get("webhook_enabled", False),
            webhook_url=doc.get("webhook_url", ""),
        )

    async def save(self, party: Party, p: Preferences) -> None:
        await self._preferences.replace_one(
            {"_id": party.key},
            {"muted_kinds": sorted(k.value for k in p.muted_kinds), "email_enabled": p.email_enabled,
             "email_address": p.email_address, "webhook_enabled": p.webhook_enabled, "webhook_url": p.webhook_url},
            upsert=True,
        )


def mongo_repositories(db: AsyncDatabase) -> NotifyRepositories:
    return NotifyRepositories(MongoNotificationRepository(db), MongoPreferencesRepository(db))
