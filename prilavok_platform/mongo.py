"""MongoDB through pymongo's native async API: client factory, index bootstrap with
explicit names, and transactions. Writes are journaled with majority acknowledgement."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from prilavok_platform.pagination import KeysetOrder

log = logging.getLogger(__name__)

T = TypeVar("T")

JOURNALED = WriteConcern(w="majority", j=True)


def create_client(uri: str, app_name: str) -> AsyncMongoClient:
    """Connects lazily (pymongo connects on first use, never at import)."""
    return AsyncMongoClient(
        uri,
        appname=app_name,
        tz_aware=True,
        w="majority",
        journal=True,
        serverSelectionTimeoutMS=10_000,
        uuidRepresentation="standard",
    )


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    keys: list[tuple[str, int]]
    name: str
    unique: bool = False
    partial_filter: dict[str, Any] | None = None
    expire_after_seconds: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"name": self.name, "unique": self.unique, **self.extra}
        if self.partial_filter is not None:
            options["partialFilterExpression"] = self.partial_filter
        if self.expire_after_seconds is not None:
            options["expireAfterSeconds"] = self.expire_after_seconds
        return options


async def ensure_indexes(db: AsyncDatabase, specs: list[IndexSpec]) -> None:
    for spec in specs:
        try:
            await db[spec.collection].create_index(spec.keys, **spec.options())
        except OperationFailure as exc:
            # An index of the same name but other options: say so instead of silently running without it.
            raise RuntimeError(f"index {spec.collection}.{spec.name} cannot be created: {exc}") from exc


async def in_transaction(
    client: AsyncMongoClient, work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Runs `work` in a transaction, retried on transient errors (write conflicts)."""
    async with client.start_session() as session:
        return await session.with_transaction(
            work,
            read_concern=ReadConcern("snapshot"),
            write_concern=JOURNALED,
        )


async def ping(client: AsyncMongoClient) -> None:
    await client.admin.command("ping")


async def fetch_page(
    collection: AsyncCollection,
    query: dict[str, Any],
    order: KeysetOrder,
    size: int,
    token: str,
    *,
    session: AsyncClientSession | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """One page of `collection` in `order`, continuing after `token`.

    The filter is `query` plus a plain range on the first sort field, so one index on
    (equality fields..., sort fields...) answers it; items tied with the cursor on that field
    are skipped here. The next token is built from the last document's stored sort values."""
    cursor = order.decode(token)
    full_query = dict(query)
    if cursor is not None:
        bound = order.leading_bound(cursor)
        field = order.keys[0].field
        if field in full_query:
            full_query = {"$and": [full_query, bound]}
        else:
            full_query.update(bound)
    extra = 0
    while True:
        fetch = size + 1 + extra
        docs = [d async for d in collection.find(full_query, session=session).sort(order.sort).limit(fetch)]
        if cursor is not None:
            after = [d for d in docs if order.is_after(order.sort_values(d), cursor)]
        else:
            after = docs
        # Only ties with the cursor are dropped; if they filled the fetch, read further.
        if len(after) > size or len(docs) < fetch:
            break
        extra = max(extra * 2, size + 1)
    page = after[:size]
    return page, (order.token_of_document(page[-1]) if len(after) > size else "")
