"""The NATS fan-out across replicas, over a loop-back stand-in for core NATS: what one replica
announces reaches the Subscribe feeds of its recipient on every replica, through the live hub."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from prilavok_platform.errors import ResourceExhausted
from prilavok_platform.identity import Party
from prilavok_platform.live import LiveHub
from services.notify.adapters.fanout import NatsFanout
from services.notify.domain.model import Kind, Notification

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
SHOP, BUYER = Party.shop("s1"), Party.user("b1")


class LoopbackNats:
    """Core NATS between replicas: every subscriber of a subject gets each published message."""

    def __init__(self) -> None:
        self.subscribers: dict[str, list] = {}
        self.fail = False

    async def subscribe(self, subject, cb):
        self.subscribers.setdefault(subject, []).append(cb)
        return SimpleNamespace(subject=subject)

    async def publish(self, subject, data):
        if self.fail:
            raise ConnectionError("nats is down")
        for cb in self.subscribers.get(subject, []):
            await cb(SimpleNamespace(subject=subject, data=data))


def note(n: str, recipient: Party = SHOP) -> Notification:
    return Notification(n, recipient, Kind.NEW_MESSAGE, "title", "body", NOW, thread_id="t1")


async def replicas(nats: LoopbackNats, count: int, queue_limit: int = 1000) -> list[NatsFanout]:
    fanouts = [NatsFanout(nats, "test", LiveHub(queue_limit)) for _ in range(count)]  # type: ignore[arg-type]
    for f in fanouts:
        await f.start()
    return fanouts


async def test_an_announcement_reaches_the_recipients_feeds_on_every_replica():
    nats = LoopbackNats()
    one, two = await replicas(nats, 2)
    mine_here, mine_there, buyers = one.open(SHOP), two.open(SHOP), two.open(BUYER)
    await one.announce([note("n1")])
    assert await mine_here.next(timeout=0.1) == note("n1")
    assert await mine_there.next(timeout=0.1) == note("n1")
    assert await buyers.next(timeout=0.01) is None
    mine_here.close()
    assert one.hub.open_feeds == 0


async def test_a_slow_reader_overflows_instead_of_losing_notifications_silently():
    nats = LoopbackNats()
    [fanout] = await replicas(nats, 1, queue_limit=2)
    feed = fanout.open(SHOP)
    await fanout.announce([note("n1"), note("n2"), note("n3")])
    with pytest.raises(ResourceExhausted):
        await feed.next(timeout=0.1)


async def test_garbled_messages_are_ignored_and_a_failed_announce_is_not_an_error():
    nats = LoopbackNats()
    [fanout] = await replicas(nats, 1)
    feed = fanout.open(SHOP)
    await nats.publish("test.inapp.notification", b"\xff\x00garbage")
    assert await feed.next(timeout=0.01) is None
    nats.fail = True
    await fanout.announce([note("n1")])  # logged; the notification stays listable
    assert await feed.next(timeout=0.01) is None
