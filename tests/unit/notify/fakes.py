"""In-memory implementations of notify's ports, for handler tests."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from prilavok_platform.identity import Party
from prilavok_platform.live import LiveFeed, LiveHub
from prilavok_platform.pagination import page_in_memory
from prilavok_platform.unit_of_work import InMemoryUnitOfWork
from services.notify.domain.model import Notification, Preferences
from services.notify.service_layer.ports import NEWEST_FIRST, NotifyRepositories, StoredPreferences


class FakeNotificationRepository:
    def __init__(self) -> None:
        self.stored: dict[str, Notification] = {}
        self.writes = 0

    async def add_new(self, notifications: Sequence[Notification]) -> list[Notification]:
        self.writes += 1
        fresh = []
        for n in notifications:  # the first of an id wins, as with MongoDB's unordered insert
            if n.notification_id not in self.stored:
                self.stored[n.notification_id] = n
                fresh.append(n)
        return fresh

    async def page(self, recipient: Party, unread_only: bool, size: int, token: str) -> tuple[list[Notification], str]:
        mine = [n for n in self.stored.values() if n.recipient == recipient and not (unread_only and n.read)]
        return page_in_memory(mine, NEWEST_FIRST, size, token, values=lambda n: (n.created_at, n.notification_id))

    async def unread_count(self, recipient: Party) -> int:
        return sum(1 for n in self.stored.values() if n.recipient == recipient and not n.read)

    async def mark_read(self, recipient: Party, notification_ids: Sequence[str] | None) -> None:
        for key, n in list(self.stored.items()):
            if n.recipient == recipient and (notification_ids is None or key in notification_ids):
                self.stored[key] = replace(n, read=True)

    def of(self, recipient: Party) -> list[Notification]:
        return [n for n in self.stored.values() if n.recipient == recipient]


class FakePreferencesRepository:
    """Versioned like the MongoDB one. `saved_by_someone_else_after_next_read` makes a read stale
    on purpose: the in-memory unit of work runs transactions one at a time, so a concurrent
    writer has to be staged (as another replica saving straight to the database would)."""

    def __init__(self) -> None:
        self.stored: dict[Party, StoredPreferences] = {}
        self.reads = 0
        self.stale_saves = 0
        self._after_next_read: Preferences | None = None

    def saved_by_someone_else_after_next_read(self, preferences: Preferences) -> None:
        self._after_next_read = preferences

    async def get(self, party: Party) -> StoredPreferences | None:
        self.reads += 1
        found = self.stored.get(party)
        if self._after_next_read is not None:  # another writer saves what it read itself
            theirs, self._after_next_read = self._after_next_read, None
            current = self.stored.get(party)
            version = current.version if current else 0
            self.stored[party] = StoredPreferences(theirs, version + 1)
        return found

    async def save(self, party: Party, preferences: Preferences, expected_version: int) -> bool:
        current = self.stored.get(party)
        if (current.version if current else 0) != expected_version:
            self.stale_saves += 1
            return False
        self.stored[party] = StoredPreferences(preferences, expected_version + 1)
        return True

    def of(self, party: Party) -> Preferences | None:
        stored = self.stored.get(party)
        return stored.preferences if stored else None


class FakeFanout:
    """Announcements reach the open feeds of their recipient at once, as on one replica, through
    the suite's live hub (so a slow reader overflows as it does in production)."""

    def __init__(self, queue_limit: int = 1000) -> None:
        self.announced: list[Notification] = []
        self.hub: LiveHub[Notification] = LiveHub(queue_limit)

    async def announce(self, notifications: Sequence[Notification]) -> None:
        self.announced.extend(notifications)
        for n in notifications:
            self.hub.publish(n, [n.recipient])

    def open(self, recipient: Party) -> LiveFeed[Notification]:
        return self.hub.open(recipient)


class FakeRepositories(NotifyRepositories):
    notifications: FakeNotificationRepository
    preferences: FakePreferencesRepository


def fake_repositories() -> FakeRepositories:
    return FakeRepositories(FakeNotificationRepository(), FakePreferencesRepository())


def fake_unit_of_work() -> InMemoryUnitOfWork[FakeRepositories]:
    return InMemoryUnitOfWork(fake_repositories())
