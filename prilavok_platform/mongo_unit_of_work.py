"""The unit of work on MongoDB: one multi-document transaction holds the state changes and the
outbox documents of the events they emitted; the relay is woken once it has committed.

Write conflicts and unknown commit results are retried by PyMongo's `with_transaction`, which
runs the work again from the start; the work therefore has no effects outside its transaction.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message as ProtoMessage
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from prilavok_platform.clock import Clock, SystemClock
from prilavok_platform.mongo import in_transaction
from prilavok_platform.nats import subject
from prilavok_platform.outbox import OUTBOX_COLLECTION, new_event_id, outbox_document
from prilavok_platform.unit_of_work import Transaction

R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True)
class OutboxEvent:
    """A domain event as published: its subject below '<prefix>.<producer>.' (dotted, e.g.
    'message.delivered') and the protobuf event, whose event_id the mapper set."""

    name: str
    message: ProtoMessage


# (domain event, event id) -> the protobuf event and its subject; each service has one.
EventMapper = Callable[[object, str], OutboxEvent]
# (database, session or None) -> the service's repositories bound to that session.
RepositoryFactory = Callable[[AsyncDatabase, AsyncClientSession | None], R]


class MongoUnitOfWork(Generic[R]):
    def __init__(
        self,
        client: AsyncMongoClient,
        db: AsyncDatabase,
        *,
        repositories: RepositoryFactory[R],
        map_event: EventMapper,
        subject_prefix: str,
        producer: str,
        on_commit: Callable[[], None] = lambda: None,
        clock: Clock | None = None,
    ):
        self._client = client
        self._db = db
        self._repositories = repositories
        self._map_event = map_event
        self._prefix = subject_prefix
        self._producer = producer
        self._on_commit = on_commit
        self._clock = clock or SystemClock()

    async def transaction(self, work: Callable[[Transaction[R]], Awaitable[T]]) -> T:
        async def attempt(session: AsyncClientSession) -> tuple[T, bool]:
            tx = Transaction(self._repositories(self._db, session))
            result = await work(tx)
            documents = [self._outbox_document(event) for event in tx.events]
            if documents:
                await self._db[OUTBOX_COLLECTION].insert_many(documents, session=session)
            return result, bool(documents)

        result, emitted = await in_transaction(self._client, attempt)
        if emitted:
            self._on_commit()
        return result

    def reader(self) -> R:
        return self._repositories(self._db, None)

    def _outbox_document(self, event: object) -> dict:
        event_id = new_event_id()
        mapped = self._map_event(event, event_id)
        return outbox_document(
            subject(self._prefix, self._producer, *mapped.name.split(".")), mapped.message, event_id, self._clock.now()
        )
