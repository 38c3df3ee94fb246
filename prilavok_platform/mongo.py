"""MongoDB through pymongo's native async API: client factory, index bootstrap with
explicit names, and transactions. Writes are journaled with majority acknowledgement.

Transactions are short and bounded: `in_transaction` gives the whole run (every retry after a
write conflict, every statement, the commit) `TRANSACTION_TIMEOUT_SECONDS` through pymongo's
client-side operation timeout, which also becomes each command's maxTimeMS (the commit's
maxCommitTimeMS included). A transaction that keeps conflicting — with a live one, or with one a
crashed process left open until the server reaps it — ends as ABORTED (TRANSACTION_CONFLICT:
retry) instead of spinning for pymongo's default 120 s; a database that is away or silent ends
it as UNAVAILABLE (DATABASE_UNAVAILABLE, DATABASE_TIMEOUT), never as a conflict. The server side of the bound is its
transaction lifetime, after which it aborts a transaction its client abandoned (a crashed
process) and frees its documents: mongod's `transactionLifetimeLimitSeconds` (default 60;
production sets it to this timeout, 10 s, which no live transaction of ours outlasts), the
embedded SecantusDB's `transaction_lifetime_seconds` (devstack.mongo_server: 5 s of idleness)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pymongo
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, ExecutionTimeout, NetworkTimeout, OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from prilavok_platform.errors import Aborted, PrilavokError, Unavailable
from prilavok_platform.pagination import KeysetOrder

log = logging.getLogger(__name__)

T = TypeVar("T")

JOURNALED = WriteConcern(w="majority", j=True)
# The whole of one transaction, retries included. Our transactions take milliseconds; a few
# seconds covers a burst of conflicts, and a client waiting longer would rather be told to retry.
TRANSACTION_TIMEOUT_SECONDS = 10.0
# The server's error for a write to a document another transaction holds (TransientTransactionError).
WRITE_CONFLICT = 112


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
    client: AsyncMongoClient, work: Callable[[AsyncClientSession], Awaitable[T]], *, timeout_seconds: float | None = None
) -> T:
    """Runs `work` in a transaction, retried on transient errors (write conflicts) for at most
    `timeout_seconds` (default TRANSACTION_TIMEOUT_SECONDS) in all. When it fails for good, what
    failed decides the error: Aborted (TRANSACTION_CONFLICT: retry now) only when the last attempt
    met a write conflict (code 112: the documents held by another transaction); Unavailable
    DATABASE_UNAVAILABLE when the database could not be reached or the connection broke (nothing
    listening, the server killed mid-transaction), DATABASE_TIMEOUT when it did not answer in time
    (frozen, overloaded). Other errors (a duplicate key, a bad query) are raised as they are."""
    limit = TRANSACTION_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    attempts = 0
    seen: list[PyMongoError] = []  # what each attempt failed with, in order

    async def attempt(session: AsyncClientSession) -> T:
        nonlocal attempts
        attempts += 1
        try:
            return await work(session)
        except PyMongoError as exc:
            seen.append(exc)
            raise

    try:
        with pymongo.timeout(limit):
            async with client.start_session() as session:
                return await session.with_transaction(attempt, read_concern=ReadConcern("snapshot"), write_concern=JOURNALED)
    except PyMongoError as exc:
        failure = _database_failure(exc, [*seen, *_causes(exc)], limit, attempts)
        if failure is None:
            raise
        raise failure from exc


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it was raised from, oldest first (pymongo raises its time-out error
    `from` the error it gave up on, such as a conflict at commit)."""
    chain = [exc]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)
    return chain[::-1]


def _database_failure(exc: PyMongoError, errors: list[BaseException], limit: float, attempts: int) -> PrilavokError | None:
    """The error a client can act on, decided by the last telling error the run met: the
    driver's own "time is up" (ExecutionTimeout) tells nothing of why."""
    telling = [e for e in errors if isinstance(e, PyMongoError) and not isinstance(e, ExecutionTimeout)]
    cause = telling[-1] if telling else exc
    metadata = {"timeout_seconds": f"{limit:g}", "attempts": str(attempts)}
    if isinstance(cause, OperationFailure) and cause.code == WRITE_CONFLICT:
        log.warning("transaction still conflicting after %g s and %d attempts: %s", limit, attempts, cause)
        return Aborted(f"the change kept conflicting with another one for {limit:g} s; retry",
                       reason="TRANSACTION_CONFLICT", metadata=metadata)
    if isinstance(cause, ConnectionFailure) and not isinstance(cause, NetworkTimeout):
        log.warning("database unreachable during a transaction (%d attempts): %s", attempts, cause)
        return Unavailable("the database is unreachable; retry later", reason="DATABASE_UNAVAILABLE", metadata=metadata)
    if exc.timeout or (isinstance(cause, PyMongoError) and cause.timeout):
        log.warning("transaction not done within %g s: %s", limit, cause)
        return Unavailable(f"the database did not complete the change within {limit:g} s; retry later",
                           reason="DATABASE_TIMEOUT", metadata=metadata)
    return None


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
