"""Transactional outbox: events are inserted in the same MongoDB transaction as the state
change, and a relay publishes them to JetStream with Nats-Msg-Id = event id, then deletes them.
The relay stamps each event with `Prilavok-Producer: <its service>`, which consumers check
against the subject (prilavok_platform.nats.check_authenticity).

A crash between publish and delete republishes; JetStream's duplicate window and the
consumers' idempotency absorb that. The service's EventPublisher knows its own streams
(infrastructure), so a publish that finds its stream deleted creates it again and goes out."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from bson.binary import Binary
from google.protobuf.message import Message as ProtoMessage
from pymongo.asynchronous.collection import AsyncCollection

from prilavok_platform import telemetry
from prilavok_platform.ids import random_id
from prilavok_platform.mongo import IndexSpec
from prilavok_platform.nats import EVENT_TYPE_HEADER, PRODUCER_HEADER, EventPublisher

log = logging.getLogger(__name__)

OUTBOX_COLLECTION = "outbox"
OUTBOX_INDEXES = [IndexSpec(OUTBOX_COLLECTION, [("ts", 1)], name="outbox_ts")]


def new_event_id() -> str:
    return random_id()


def outbox_document(subject: str, event: ProtoMessage, event_id: str, now: dt.datetime) -> dict[str, Any]:
    """The document to insert in the caller's transaction. Carries the trace context."""
    headers = telemetry.inject({})
    headers[EVENT_TYPE_HEADER] = event.DESCRIPTOR.full_name
    return {
        "_id": event_id,
        "subject": subject,
        "payload": Binary(event.SerializeToString()),
        "headers": dict(headers),
        "ts": now,
    }


class OutboxRelay:
    def __init__(
        self, collection: AsyncCollection, publisher: EventPublisher, *, producer: str, batch: int = 200, poll_seconds: float = 1.0
    ):
        self._collection = collection
        self._publisher = publisher
        self._producer = producer
        self._batch = batch
        self._poll = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit so events go out now rather than at the next poll."""
        self._wake.set()

    async def publish_pending(self) -> int:
        published: list[str] = []
        try:
            async for doc in self._collection.find({}).sort("ts", 1).limit(self._batch):
                headers = {**(doc.get("headers") or {}), PRODUCER_HEADER: self._producer}
                await self._publisher.publish(doc["subject"], bytes(doc["payload"]), doc["_id"], headers)
                published.append(doc["_id"])
        finally:
            if published:
                await self._collection.delete_many({"_id": {"$in": published}})
        return len(published)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Cleared before reading, so a wake during the read is not lost.
            self._wake.clear()
            try:
                count = await self.publish_pending()
            except Exception:  # noqa: BLE001 - NATS or Mongo briefly away: retry at the next poll
                log.exception("outbox relay failed; retrying")
                count = 0
            if count >= self._batch:
                continue
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        # Final flush so a clean shutdown leaves nothing behind that could go out now.
        try:
            await self.publish_pending()
        except Exception:  # noqa: BLE001
            log.warning("outbox not fully flushed at shutdown; the next start publishes the rest")
