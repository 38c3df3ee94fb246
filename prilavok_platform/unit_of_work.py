"""The unit of work: one business transaction, in which state changes and the domain events
they emit are saved together or not at all. Plain Python: handlers depend on this port; the
MongoDB implementation is `prilavok_platform.mongo_unit_of_work`, the in-memory one below
serves handler tests.

A service bundles its repositories in one object `R` (e.g. `ChatRepositories`). Handlers write

    async def work(tx: Transaction[ChatRepositories]) -> Thread:
        thread = await tx.repos.threads.get(thread_id)
        ...
        tx.emit(ThreadClosed(...))
        return thread

    thread = await uow.transaction(work)

`work` may run more than once (a write conflict retries the whole transaction), so it must not
have effects outside `tx`. Queries that need no transaction use `uow.reader()`.
"""
from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

R = TypeVar("R")
T = TypeVar("T")


class Transaction(Generic[R]):
    """What a transaction's work sees: the repositories bound to it and the events it emits."""

    def __init__(self, repos: R):
        self.repos = repos
        self.events: list[object] = []

    def emit(self, *events: object) -> None:
        """Queues domain events; they are written to the outbox in this same transaction."""
        self.events.extend(events)


class UnitOfWork(Protocol[R]):
    async def transaction(self, work: Callable[[Transaction[R]], Awaitable[T]]) -> T:
        """Runs `work` in a transaction and commits it with the events it emitted; the outbox
        relay is woken after the commit. An exception aborts everything."""
        ...

    def reader(self) -> R:
        """The repositories outside any transaction, for reads."""
        ...


class InMemoryUnitOfWork(Generic[R]):
    """The unit of work of handler tests: repositories are plain objects holding dicts.

    A failed transaction restores the repositories' state as it was before (a deep copy of each
    repository's attributes is taken at the start and put back in place, so references that
    tests hold stay valid), so tests see the same all-or-nothing behaviour as MongoDB. Committed
    events accumulate in `published`, in order."""

    def __init__(self, repos: R):
        self.repos = repos
        self.published: list[object] = []
        self.commits = 0
        # Transactions run one at a time (serializable, as MongoDB's retried transactions end up):
        # restoring one's snapshot must never wipe what a concurrent one committed.
        self._lock = asyncio.Lock()

    async def transaction(self, work: Callable[[Transaction[R]], Awaitable[T]]) -> T:
        async with self._lock:
            snapshot = _snapshot(self.repos)
            tx = Transaction(self.repos)
            try:
                result = await work(tx)
            except BaseException:
                _restore(self.repos, snapshot)
                raise
            self.published.extend(tx.events)
            self.commits += 1
            return result

    def reader(self) -> R:
        return self.repos

    def events_of(self, kind: type[T]) -> list[T]:
        return [e for e in self.published if isinstance(e, kind)]


def _snapshot(repos: object) -> dict[str, dict[str, object]]:
    return {name: copy.deepcopy(vars(repo)) for name, repo in vars(repos).items() if hasattr(repo, "__dict__")}


def _restore(repos: object, snapshot: dict[str, dict[str, object]]) -> None:
    for name, state in snapshot.items():
        attributes = vars(getattr(repos, name))
        attributes.clear()
        attributes.update(state)
