"""In-app fan-out across notify replicas: each new notification goes out on core NATS
("<prefix>.inapp.notification", outside every stream) and each replica feeds its open
Subscribe streams for that recipient."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from prilavok.notify.v1 import notify_pb2 as pb
from prilavok_platform.identity import Party
from services.notify.adapters.protos import notification_from_pb, notification_to_pb
from services.notify.domain.model import Notification

log = logging.getLogger(__name__)
QUEUE_LIMIT = 500


class QueueFeed:
    """One Subscribe stream's queue. A slow reader loses the oldest first; those stay listable."""

    def __init__(self, fanout: NatsFanout, recipient: Party):
        self._fanout = fanout
        self.recipient = recipient
        self.queue: asyncio.Queue[Notification] = asyncio.Queue(QUEUE_LIMIT)

    async def next(self) -> Notification:
        return await self.queue.get()

    def put(self, notification: Notification) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(notification)

    def close(self) -> None:
        self._fanout.release(self)


class NatsFanout:
    def __init__(self, nc: NatsClient, subject_prefix: str):
        self._nc = nc
        self._subject = f"{subject_prefix}.inapp.notification"
        self._feeds: dict[Party, set[QueueFeed]] = defaultdict(set)

    async def start(self) -> Subscription:
        return await self._nc.subscribe(self._subject, cb=self._on_message)

    async def announce(self, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            try:
                await self._nc.publish(self._subject, notification_to_pb(n).SerializeToString())
            except Exception as exc:  # noqa: BLE001 - the stored notification stays listable
                log.warning("in-app announce failed: %s", exc)

    def open(self, recipient: Party) -> QueueFeed:
        feed = QueueFeed(self, recipient)
        self._feeds[recipient].add(feed)
        return feed

    def release(self, feed: QueueFeed) -> None:
        feeds = self._feeds.get(feed.recipient)
        if feeds is None:
            return
        feeds.discard(feed)
        if not feeds:
            del self._feeds[feed.recipient]

    async def _on_message(self, msg: Msg) -> None:
        try:
            notification = notification_from_pb(pb.Notification.FromString(msg.data))
        except Exception:  # noqa: BLE001 - a foreign or garbled message on the subject is ignored
            log.warning("ignoring an undecodable in-app notification")
            return
        for feed in list(self._feeds.get(notification.recipient, ())):
            feed.put(notification)
