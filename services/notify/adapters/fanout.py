"""In-app fan-out across notify replicas: each new notification goes out on core NATS
("<prefix>.inapp.notification", outside every stream) and each replica hands it to the open
Subscribe streams of its recipient through the suite's live hub (one back-pressure policy:
a reader that falls behind gets RESOURCE_EXHAUSTED, nothing is dropped silently).

Whatever arrives on the subject is taken as a notify replica's: the subject exists in notify's
NATS account alone and only the notify user may publish there (devstack/nats_config.py;
tests/integration/test_nats_permissions.py shows the other services refused and a user of
another account unheard)."""
from __future__ import annotations

import logging
from collections.abc import Sequence

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from prilavok.notify.v1 import notify_pb2 as pb
from prilavok_platform.identity import Party
from prilavok_platform.live import LiveFeed, LiveHub
from services.notify.adapters.protos import notification_from_pb, notification_to_pb
from services.notify.domain.model import Notification

log = logging.getLogger(__name__)


class NatsFanout:
    def __init__(self, nc: NatsClient, subject_prefix: str, hub: LiveHub[Notification] | None = None):
        self._nc = nc
        self._subject = f"{subject_prefix}.inapp.notification"
        self.hub: LiveHub[Notification] = hub or LiveHub()

    async def start(self) -> Subscription:
        return await self._nc.subscribe(self._subject, cb=self._on_message)

    async def announce(self, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            try:
                await self._nc.publish(self._subject, notification_to_pb(n).SerializeToString())
            except Exception as exc:  # noqa: BLE001 - the stored notification stays listable
                log.warning("in-app announce failed: %s", exc)

    def open(self, recipient: Party) -> LiveFeed[Notification]:
        return self.hub.open(recipient)

    async def _on_message(self, msg: Msg) -> None:
        try:
            notification = notification_from_pb(pb.Notification.FromString(msg.data))
        except Exception:  # noqa: BLE001 - a foreign or garbled message on the subject is ignored
            log.warning("ignoring an undecodable in-app notification")
            return
        self.hub.publish(notification, [notification.recipient])
