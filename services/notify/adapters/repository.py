"""MongoDB persistence of notifications and preferences: loading and saving only. Recipients
are stored by their party key ('user:<id>', 'shop:<id>', 'support')."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from prilavok_platform import mongo
from prilavok_platform.identity import Party
from services.notify.domain.model import Kind, Notification, Preferences
from services.notify.service_layer.ports import NEWEST_FIRST, NotifyRepositories, StoredPreferences

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
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None):
        self._notifications = db.notifications
        self._session = session

    async def add_new(self, notifications: Sequence[Notification]) -> list[Notification]:
        # One unordered insert: ids already stored fail alone with a duplicate key, the rest go in.
        try:
            await self._notifications.insert_many([_to_doc(n) for n in notifications], ordered=False, session=self._session)
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
        docs, next_token = await mongo.fetch_page(self._notifications, query, NEWEST_FIRST, size, token, session=self._session)
        return [_from_doc(d) for d in docs], next_token

    async def unread_count(self, recipient: Party) -> int:
        return await self._notifications.count_documents({"recipient": recipient.key, "read": False}, session=self._session)

    async def mark_read(self, recipient: Party, notification_ids: Sequence[str] | None) -> None:
        query: dict[str, Any] = {"recipient": recipient.key, "read": False}
        if notification_ids is not None:
            query["_id"] = {"$in": list(notification_ids)}
        await self._notifications.update_many(query, {"$set": {"read": True}}, session=self._session)


class MongoPreferencesRepository:
    """One document per party: {_id: party key, muted_kinds, version}. Documents of earlier
    versions may still hold e-mail and webhook fields (accepted once, never used): they are
    ignored when read and dropped by the next save."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None):
        self._preferences = db.preferences
        self._session = session

    async def get(self, party: Party) -> StoredPreferences | None:
        doc = await self._preferences.find_one({"_id": party.key}, session=self._session)
        if not doc:
            return None
        # A kind stored by a newer version and unknown here is left out.
        muted = frozenset(Kind(k) for k in doc.get("muted_kinds", []) if k in Kind.__members__)
        # Documents saved before versions existed have none: they count as version 1 (stored once).
        return StoredPreferences(Preferences(muted_kinds=muted), doc.get("version", 1))

    async def save(self, party: Party, preferences: Preferences, expected_version: int) -> bool:
        document = {"muted_kinds": sorted(k.value for k in preferences.muted_kinds), "version": expected_version + 1}
        if expected_version == 0:
            try:
                await self._preferences.insert_one({"_id": party.key, **document}, session=self._session)
            except DuplicateKeyError:
                return False
            return True
        # A document without a version was saved before versions existed: it is version 1.
        expected: Any = expected_version if expected_version != 1 else {"$in": [1, None]}
        result = await self._preferences.replace_one({"_id": party.key, "version": expected}, document, session=self._session)
        return result.matched_count == 1


def repositories(db: AsyncDatabase, session: AsyncClientSession | None) -> NotifyRepositories:
    """The factory the MongoUnitOfWork calls for each transaction (and, without a session, for reads)."""
    return NotifyRepositories(MongoNotificationRepository(db, session), MongoPreferencesRepository(db, session))
