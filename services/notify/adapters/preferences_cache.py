"""The PreferencesCache port in process memory: entries expire by the injected clock."""
from __future__ import annotations

from cachetools import TTLCache

from prilavok_platform.clock import Clock
from prilavok_platform.identity import Party
from services.notify.domain.model import Preferences

# Every event reads its recipients' preferences; a change made on another replica is seen
# within this many seconds (on this replica at once: the handler forgets what it saved).
PREFERENCES_CACHE_SECONDS = 30.0
PREFERENCES_CACHE_SIZE = 10_000


class TtlPreferencesCache:
    def __init__(self, clock: Clock, seconds: float = PREFERENCES_CACHE_SECONDS, size: int = PREFERENCES_CACHE_SIZE):
        self._entries: TTLCache[Party, Preferences] = TTLCache(size, seconds, timer=lambda: clock.now().timestamp())

    def get(self, party: Party) -> Preferences | None:
        return self._entries.get(party)

    def put(self, party: Party, preferences: Preferences) -> None:
        self._entries[party] = preferences

    def forget(self, party: Party) -> None:
        self._entries.pop(party, None)
