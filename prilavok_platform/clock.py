"""The one clock of the suite. Handlers take a `Clock`; tests pass a `FixedClock` they move."""
from __future__ import annotations

import datetime as dt
from typing import Protocol


def to_millisecond(at: dt.datetime) -> dt.datetime:
    """`at` cut to the millisecond, what MongoDB stores: a result answered at once and the same
    result read back later (a replayed request, a redelivered event) compare equal."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that stands still until told to move: handler tests use it to cross deadlines."""

    def __init__(self, at: dt.datetime | None = None):
        self._at = at or dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
        if self._at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware time")

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self._at += delta
        return self._at

    def set(self, at: dt.datetime) -> None:
        self._at = at
