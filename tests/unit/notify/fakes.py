"""In-memory implementations of notify's ports, for handler tests."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from prilavok_platform.identity import Party
from prilavok_platform.pagination import page_in_memory
from services.notify.domain.model import Notification, Preferences
from services.notify.service_layer.ports import NEWEST_FIRST, NotifyRepositories


class FakeNotificationRepository:
    def __init__(self) -> None:
        self.stored: dict[str, Notification] = {}
        self.writes = 0

    async def add_new(self, notifications: Sequence[Notification]) -> list[Notification]:
        self.writes += 1
        fresh = [n for n in notifications if n.notification_id not in self.stored]
        self.stored.update((n.notification_id, n) for n in fresh)
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
    def __init__(self) -> None:
        self.stored: dict[Party, Preferences] = {}
        self.reads = 0

    async def get(self, party: Party) -> Preferences | None:
        self.reads += 1
        return self.stored.get(party)

    async def save(self, party: Party, preferences: Preferences) -> None:
        self.stored[party] = preferences


class FakeFeed:
    def __init__(self, fanout: FakeFanout, recipient: Party):
        self.fanout = fanout
        self.recipient = recipient
        self.queue: asyncio.Queue[Notification] = asyncio.Queue()

    async def next(self) -> Notification:
        return await self.queue.get()

    def close(self) -> None:
        self.fanout.feeds.remove(self)


class FakeFanout:
    """Announcements reach the open feeds of their recipient at once, as on one replica."""

    def __init__(self) -> None:
        self.announced: list[Notification] = []
        self.feeds: list[FakeFeed] = []

    async def announce(self, notifications: Sequence[Notification]) -> None:
        self.announced.extend(notifications)
        for n in notifications:
            for feed in self.feeds:
                if feed.recipient == n.recipient:
                    feed.queue.put_nowait(n)

    def open(self, recipient: Party) -> FakeFeed:
        feed = FakeFeed(self, recipient)
        self.feeds.append(feed)
        return feed


class FakeRepositories(NotifyRepositories):
    notifications: FakeNotificationRepository
    preferences: FakePreferencesRepository


def fake_repositories() -> FakeRepositories:
    return FakeRepositories(FakeNotificationRepository(), FakePreferencesRepository())
