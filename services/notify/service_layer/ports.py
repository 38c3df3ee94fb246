from __future__ import annotations

from typing import Protocol

from services.notify.domain.model import Notification, Preferences


class NotificationRepository(Protocol):
    async def add(self, notifications: list[Notification]) -> list[Notification]:
        """Stores what is new; returns only those not stored before."""

    async def list(self, recipient: str, unread_only: bool, limit: int, cursor: dict | None) -> list[Notification]: ...

    async def unread_count(self, recipient: str) -> int: ...

    async def mark_read(self, recipient: str, ids: list[str] | None) -> int: ...

    async def get_preferences(self, recipient: str) -> Preferences: ...

    async def save_preferences(self, recipient: str, preferences: Preferences) -> None: ...


class Fanout(Protocol):
    async def announce(self, notifications: list[Notification]) -> None: ...
