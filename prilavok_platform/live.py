"""Live streams to connected clients (chat's StreamEvents, notify's Subscribe): a hub that hands
each published item to the open feeds of its audience, with one back-pressure policy for the
whole suite.

Back-pressure: every feed has a bounded queue. A client that reads too slowly to keep up is not
silently thinned out; once its queue is full the feed is marked overflowed and its next read
fails with RESOURCE_EXHAUSTED (reason STREAM_OVERFLOW), telling the client to reconnect and list
what it missed (everything streamed is also stored and listable). Plain asyncio, no I/O."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from prilavok_platform.errors import ResourceExhausted

T = TypeVar("T")

DEFAULT_QUEUE_LIMIT = 1000


class LiveFeed(Generic[T]):
    """One open stream: items for its audience that pass its filter, in publication order."""

    def __init__(self, hub: LiveHub[T], audience: Hashable, accepts: Callable[[T], bool] | None, limit: int):
        self._hub = hub
        self.audience = audience
        self._accepts = accepts
        self._queue: asyncio.Queue[T] = asyncio.Queue(limit)
        self.overflowed = False

    def offer(self, item: T) -> bool:
        if self.overflowed or (self._accepts is not None and not self._accepts(item)):
            return False
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True

    async def next(self, timeout: float | None = None) -> T | None:
        """The next item; None when `timeout` passes first (the caller checks whether the client
        is still there). RESOURCE_EXHAUSTED once the client has fallen too far behind."""
        if self.overflowed:
            raise ResourceExhausted(
                "the client reads events too slowly; reconnect and list what was missed", reason="STREAM_OVERFLOW"
            )
        try:
            return await asyncio.wait_for(self._queue.get(), timeout=timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self._hub.release(self)


class LiveHub(Generic[T]):
    """The open feeds of one process, by audience (a party, or any hashable key)."""

    def __init__(self, queue_limit: int = DEFAULT_QUEUE_LIMIT):
        self._limit = queue_limit
        self._feeds: dict[Hashable, set[LiveFeed[T]]] = defaultdict(set)

    def open(self, audience: Hashable, accepts: Callable[[T], bool] | None = None) -> LiveFeed[T]:
        feed = LiveFeed(self, audience, accepts, self._limit)
        self._feeds[audience].add(feed)
        return feed

    def release(self, feed: LiveFeed[T]) -> None:
        feeds = self._feeds.get(feed.audience)
        if feeds is None:
            return
        feeds.discard(feed)
        if not feeds:
            del self._feeds[feed.audience]

    def publish(self, item: T, audiences: Iterable[Hashable]) -> int:
        """Offers the item to every open feed of the given audiences; returns how many took it."""
        taken = 0
        for audience in set(audiences):
            for feed in list(self._feeds.get(audience, ())):
                taken += feed.offer(item)
        return taken

    @property
    def open_feeds(self) -> int:
        return sum(len(feeds) for feeds in self._feeds.values())
