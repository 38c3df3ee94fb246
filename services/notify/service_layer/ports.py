"""What the notify handlers need from the outside world."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from prilavok_platform.identity import Party
from prilavok_platform.pagination import KeysetOrder
from services.notify.domain.model import Notification, Preferences

# The order of every inbox listing (the last key is unique, so paging is exact).
NEWEST_FIRST = KeysetOrder(("created_at", -1, dt.datetime), ("_id", -1, str))


class NotificationRepository(Protocol):
    async def add_new(self, notifications: Sequence[Notification]) -> list[Notification]:
        """Stores, in one write, those whose id is not stored yet; returns exactly those."""
        ...

    async def page(self, recipient: Party, unread_only: bool, size: int, token: str) -> tuple[list[Notification], str]:
        """One page in NEWEST_FIRST (the id is the notification id); the token continues after its last item."""
        ...

    async def unread_count(self, recipient: Party) -> int: ...

    async def mark_read(self, recipient: Party, notification_ids: Sequence[str] | None) -> None:
        """Marks the recipient's named notifications (all of them for None) read; others' ids match nothing."""
        ...


@dataclass(frozen=True)
class StoredPreferences:
    preferences: Preferences
    version: int  # how many times they were saved; 0 for none stored


class PreferencesRepository(Protocol):
    async def get(self, party: Party) -> StoredPreferences | None: ...

    async def save(self, party: Party, preferences: Preferences, expected_version: int) -> bool:
        """Stores `preferences` as version expected_version + 1 if the stored version is still
        `expected_version` (0: none stored yet); False, storing nothing, when it is not."""
        ...


@dataclass(frozen=True)
class NotifyRepositories:
    notifications: NotificationRepository
    preferences: PreferencesRepository


class PreferencesCache(Protocol):
    """Recently read preferences, so that every event does not read them again. Entries may be
    stale for a bounded time (another replica's save); the handlers forget what they save."""

    def get(self, party: Party) -> Preferences | None: ...

    def put(self, party: Party, preferences: Preferences) -> None: ...

    def forget(self, party: Party) -> None: ...


class Feed(Protocol):
    """New notifications of one inbox, as they are stored (on any replica)."""

    async def next(self, timeout: float | None = None) -> Notification | None:
        """The next notification (None if `timeout` passed first); RESOURCE_EXHAUSTED once the
        reader has fallen too far behind."""
        ...

    def close(self) -> None: ...


class Fanout(Protocol):
    async def announce(self, notifications: Sequence[Notification]) -> None:
        """Best effort: what is not announced stays listable."""
        ...

    def open(self, recipient: Party) -> Feed: ...
