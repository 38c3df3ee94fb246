"""The use cases of notify, one frozen dataclass each."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from prilavok_platform.identity import Identity
from services.notify.domain.model import Notification, Preferences


@dataclass(frozen=True)
class Deliver:
    """Store (once) and announce the notifications an event produced; muted kinds are dropped."""

    notifications: tuple[Notification, ...]


@dataclass(frozen=True)
class ListNotifications:
    caller: Identity
    unread_only: bool = False
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class MarkNotificationsRead:
    caller: Identity
    notification_ids: tuple[str, ...] = ()
    all: bool = False


@dataclass(frozen=True)
class Subscribe:
    caller: Identity


@dataclass(frozen=True)
class GetPreferences:
    caller: Identity


class PreferencesChange(Protocol):
    """The preferences a caller sent and which of their fields to take (an update mask)."""

    def applied_to(self, current: Preferences) -> Preferences: ...


@dataclass(frozen=True)
class UpdatePreferences:
    caller: Identity
    change: PreferencesChange
