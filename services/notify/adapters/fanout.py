"""In-app fan-out across notify replicas: each new notification goes out on core NATS
("<prefix>.inapp.notification", outside every stream) and each replica feeds its open
Subscribe streams for that recipient."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from nats.aio.client import Client as NatsClient

from prilavok.notify.v1 import notify_pb2 as pb
from services.notify.adapters.protos import notification_to_pb
from services.notify.domain.model import Notification

log = logging.getLogger(__name__)
QUEUE_LIMIT = 500


class NatsFanout:
    def __init__(self, nc: NatsClient, subject_prefix: str):
        self._nc = nc
        self._subject = f"{subject_prefix}.inapp.notification"
        self._queues: dict[str, set[asyncio.Queue]] = defaultdict(set)

    async def start(self):
        return await self._nc.subscribe(self._subject, cb=self._on_message)

    async def announce(self, notifications: list[Notification]) -> None:
        for n in notifications:
            try:
                await self._nc.publish(self._subject, notification_to_pb(n).SerializeToString())
            except Exception as exc:  # noqa: BLE001 - the stored notification stays listable
                log.warning("in-app announce failed: %s", exc)

    def open(self, recipient: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_LIMIT)
        self._queues[recipient].add(queue)
        return queue

    def close(self, recipient: str, queue: asyncio.Queue) -> None:
        self._queues[recipient].discard(queue)
        if not self._queues[recipient]:
            del self._queues[recipient]

    async def _on_message(self, msg) -> None:
        try:
            notification = pb.Notification.FromString(msg.data)
        except Exception:  # noqa: BLE001
            return
        for queue in list(self._queues.get(notification.recipient, ())):
            if queue.full():
                queue.get_nowait()  # the oldest goes; it remains listable
            queue.put_nowait(notification)
