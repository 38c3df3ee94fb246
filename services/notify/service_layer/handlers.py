"""Notify use cases: store notifications once (honouring mutes) and serve each inbox."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from cachetools import TTLCache

from prilavok_platform import pagination
from prilavok_platform.identity import Party
from services.notify.domain import access
from services.notify.domain.commands import (
    Deliver,
    GetPreferences,
    ListNotifications,
    MarkNotificationsRead,
    Subscribe,
    UpdatePreferences,
)
from services.notify.domain.model import Notification, Preferences, check_mark_read, wanted
from services.notify.service_layer.ports import Fanout, NotifyRepositories

# Every event reads its recipients' preferences; a change made on another replica is seen
# within this many seconds (on this replica at once).
PREFERENCES_CACHE_SECONDS = 30.0
PREFERENCES_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[Notification]
    next_page_token: str
    unread_count: int


class NotifyHandlers:
    def __init__(self, repos: NotifyRepositories, fanout: Fanout, *, preferences_cache_seconds: float = PREFERENCES_CACHE_SECONDS):
        self._repos = repos
        self._fanout = fanout
        self._preferences_cache: TTLCache[Party, Preferences] = TTLCache(PREFERENCES_CACHE_SIZE, preferences_cache_seconds)

    async def _preferences(self, party: Party) -> Preferences:
        cached = self._preferences_cache.get(party)
        if cached is None:
            cached = await self._repos.preferences.get(party) or Preferences()
            self._preferences_cache[party] = cached
        return cached

    async def deliver(self, command: Deliver) -> list[Notification]:
        """Returns the notifications stored now (none when the event was handled before)."""
        recipients = {n.recipient for n in command.notifications}
        kept = wanted(list(command.notifications), {r: await self._preferences(r) for r in recipients})
        if not kept:
            return []
        fresh = await self._repos.notifications.add_new(kept)
        if fresh:
            await self._fanout.announce(fresh)
        return fresh

    async def list_notifications(self, command: ListNotifications) -> NotificationPage:
        inbox = access.inbox_of(command.caller)
        size = pagination.page_size(command.page_size)
        items, token = await self._repos.notifications.page(inbox, command.unread_only, size, command.page_token)
        return NotificationPage(items, token, await self._repos.notifications.unread_count(inbox))

    async def mark_read(self, command: MarkNotificationsRead) -> int:
        """Returns how many stay unread."""
        inbox = access.inbox_of(command.caller)
        check_mark_read(command.notification_ids, command.all)
        await self._repos.notifications.mark_read(inbox, None if command.all else command.notification_ids)
        return await self._repos.notifications.unread_count(inbox)

    async def subscribe(self, command: Subscribe) -> AsyncIterator[Notification]:
        """The caller's new notifications until the stream is cancelled."""
        feed = self._fanout.open(access.inbox_of(command.caller))
        try:
            while True:
                yield await feed.next()
        finally:
            feed.close()

    async def get_preferences(self, command: GetPreferences) -> Preferences:
        return await self._repos.preferences.get(access.inbox_of(command.caller)) or Preferences()

    async def update_preferences(self, command: UpdatePreferences) -> Preferences:
        inbox = access.inbox_of(command.caller)
        current = await self._repos.preferences.get(inbox) or Preferences()
        updated = command.change.applied_to(current).validated()
        await self._repos.preferences.save(inbox, updated)
        self._preferences_cache.pop(inbox, None)
        return updated
