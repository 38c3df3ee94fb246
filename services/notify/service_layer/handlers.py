"""Notify use cases: store notifications (idempotently, honouring mutes) and serve them."""
from __future__ import annotations

import time

from prilavok_platform.errors import FieldViolation, InvalidArgument, Validator
from services.notify.domain.model import Kind, Notification, Preferences
from services.notify.service_layer.ports import Fanout, NotificationRepository

PREFERENCES_CACHE_SECONDS = 30.0
MAX_IDS_PER_MARK = 500


class NotifyHandlers:
    def __init__(self, repository: NotificationRepository, fanout: Fanout):
        self._repo = repository
        self._fanout = fanout
        self._prefs: dict[str, tuple[float, Preferences]] = {}

    async def _preferences(self, recipient: str) -> Preferences:
        cached = self._prefs.get(recipient)
        if cached and time.monotonic() - cached[0] < PREFERENCES_CACHE_SECONDS:
            return cached[1]
        prefs = await self._repo.get_preferences(recipient)
        if len(self._prefs) > 10_000:
            self._prefs.clear()
        self._prefs[recipient] = (time.monotonic(), prefs)
        return prefs

    async def deliver(self, notifications: list[Notification]) -> list[Notification]:
        wanted = [n for n in notifications if n.kind not in (await self._preferences(n.recipient)).muted_kinds]
        if not wanted:
            return []
        fresh = await self._repo.add(wanted)
        if fresh:
            await self._fanout.announce(fresh)
        return fresh

    async def list(self, recipient: str, unread_only: bool, limit: int, cursor: dict | None):
        return await self._repo.list(recipient, unread_only, limit, cursor), await self._repo.unread_count(recipient)

    async def mark_read(self, recipient: str, ids: list[str], all_: bool) -> int:
        if not ids and not all_:
            raise InvalidArgument(FieldViolation("notification_ids", "name notifications or set all=true"))
        if len(ids) > MAX_IDS_PER_MARK:
            raise InvalidArgument(FieldViolation("notification_ids", f"at most {MAX_IDS_PER_MARK}"))
        await self._repo.mark_read(recipient, None if all_ else ids)
        return await self._repo.unread_count(recipient)

    async def get_preferences(self, recipient: str) -> Preferences:
        return await self._repo.get_preferences(recipient)

    async def update_preferences(self, recipient: str, preferences: Preferences) -> Preferences:
        v = Validator()
        if preferences.email_enabled and "@" not in preferences.email_address:
            v.add("preferences.email_address", "a valid e-mail address is required when e-mail is enabled")
        v.text(preferences.email_address, "preferences.email_address", max_len=254, required=False)
        if preferences.webhook_enabled and not preferences.webhook_url.startswith("https://"):
            v.add("preferences.webhook_url", "must be an https:// URL when webhooks are enabled")
        v.text(preferences.webhook_url, "preferences.webhook_url", max_len=2000, required=False)
        v.raise_if_any()
        await self._repo.save_preferences(recipient, preferences)
        self._prefs.pop(recipient, None)
        return preferences


__all__ = ["NotifyHandlers", "Kind"]
