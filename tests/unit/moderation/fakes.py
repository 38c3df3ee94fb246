"""Dict-backed moderation repositories implementing service_layer.ports, for handler tests."""
from __future__ import annotations

import datetime as dt

from prilavok_platform.clock import FixedClock
from prilavok_platform.identity import Party
from prilavok_platform.pagination import page_in_memory
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import InMemoryUnitOfWork
from services.moderation.bootstrap import load_policy
from services.moderation.domain.model import (
    Penalty,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Suspension,
    SuspensionLift,
    Suspensions,
    Violation,
)
from services.moderation.domain.policy import Policy
from services.moderation.service_layer.handlers import ModerationHandlers
from services.moderation.service_layer.ports import REVIEW_ORDER, ModerationRepositories, PartyRecord


class FakeStrikeCounters:
    def __init__(self) -> None:
        self.changes: dict[Party, int] = {}
        self.records: dict[Party, Suspensions] = {}  # by offender

    async def bump(self, party: Party) -> PartyRecord:
        self.changes[party] = self.changes.get(party, 0) + 1
        return PartyRecord(self.changes[party], self.records.get(party, Suspensions()))

    async def suspensions(self, party: Party) -> Suspensions:
        return self.records.get(party, Suspensions())

    async def holding(self, suspended: Party) -> list[Party]:
        return [offender for offender, record in self.records.items() if record.of(suspended) is not None]

    async def save_suspensions(self, party: Party, suspensions: Suspensions) -> None:
        self.records[party] = suspensions

    def suspension(self, suspended: Party) -> Suspension | None:
        """The suspension on record of a suspended party, whichever offender's record holds it."""
        return next((s for record in self.records.values() if (s := record.of(suspended)) is not None), None)


class FakeViolations:
    def __init__(self) -> None:
        self.items: dict[str, Violation] = {}

    async def get(self, message_id: str) -> Violation | None:
        return self.items.get(message_id)

    def _strikes(self, party: Party) -> list[Violation]:
        return [v for v in self.items.values() if v.sender.offender == party and v.withdrawn_at is None]

    async def count(self, party: Party, since: dt.datetime | None = None) -> int:
        return sum(1 for v in self._strikes(party) if since is None or v.at >= since)

    async def latest_at(self, party: Party) -> dt.datetime | None:
        return max((v.at for v in self._strikes(party)), default=None)

    async def add(self, violation: Violation) -> None:
        assert violation.message_id not in self.items, "duplicate key"
        self.items[violation.message_id] = violation

    async def save(self, violation: Violation) -> None:
        assert violation.message_id in self.items
        self.items[violation.message_id] = violation


class FakeReviews:
    def __init__(self) -> None:
        self.items: dict[str, ReviewItem] = {}

    async def get(self, review_id: str) -> ReviewItem | None:
        return self.items.get(review_id)

    async def add(self, item: ReviewItem) -> None:
        assert item.review_id not in self.items, "duplicate key"
        self.items[item.review_id] = item

    async def save(self, item: ReviewItem) -> None:
        assert item.review_id in self.items
        self.items[item.review_id] = item

    async def by_request(self, key: str) -> ReviewItem | None:
        return next((r for r in self.items.values() if r.request is not None and r.request.key == key), None)

    async def page(self, status: ReviewStatus, size: int, token: str, kind: ReviewKind | None = None) -> tuple[list[ReviewItem], str]:
        matching = [r for r in self.items.values() if r.status is status and kind in (None, r.kind)]
        return page_in_memory(matching, REVIEW_ORDER, size, token, values=lambda r: (r.created_at, r.review_id))


class FakePenalties:
    def __init__(self) -> None:
        self.items: dict[str, Penalty] = {}

    async def add(self, penalties: tuple[Penalty, ...]) -> None:
        for p in penalties:
            assert p.penalty_id not in self.items, "duplicate key"
            self.items[p.penalty_id] = p

    async def get(self, penalty_id: str) -> Penalty | None:
        return self.items.get(penalty_id)

    async def of_message(self, message_id: str) -> list[Penalty]:
        return [p for p in self.items.values() if p.message_id == message_id]

    async def save(self, penalties: tuple[Penalty, ...]) -> None:
        for p in penalties:
            assert p.penalty_id in self.items
            self.items[p.penalty_id] = p

    async def latest(self, party: Party, limit: int) -> list[Penalty]:
        mine = [p for p in self.items.values() if p.party == party and p.withdrawn_at is None]
        return sorted(mine, key=lambda p: p.issued_at, reverse=True)[:limit]


class FakeSuspensionLifts:
    def __init__(self) -> None:
        self.items: dict[str, SuspensionLift] = {}

    async def get(self, key: str) -> SuspensionLift | None:
        return self.items.get(key)

    async def add(self, lift: SuspensionLift) -> None:
        assert lift.request.key not in self.items, "duplicate key"
        self.items[lift.request.key] = lift


def fake_repositories() -> ModerationRepositories:
    return ModerationRepositories(FakeViolations(), FakeReviews(), FakePenalties(), FakeStrikeCounters(), FakeSuspensionLifts())


DEFAULT = load_policy()


class World:
    """Handlers over fakes, a fixed clock and a policy holder the test may replace."""

    def __init__(self, policy: Policy = DEFAULT):
        self.repos = fake_repositories()
        self.uow: InMemoryUnitOfWork[ModerationRepositories] = InMemoryUnitOfWork(self.repos)
        self.clock = FixedClock(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC))
        self.policies = PolicyHolder.fixed(policy)
        self.handlers = ModerationHandlers(self.uow, self.policies, self.clock)

    @property
    def violations(self) -> FakeViolations:
        assert isinstance(self.repos.violations, FakeViolations)
        return self.repos.violations

    @property
    def reviews(self) -> FakeReviews:
        assert isinstance(self.repos.reviews, FakeReviews)
        return self.repos.reviews

    @property
    def penalties(self) -> FakePenalties:
        assert isinstance(self.repos.penalties, FakePenalties)
        return self.repos.penalties

    @property
    def strike_counters(self) -> FakeStrikeCounters:
        assert isinstance(self.repos.strike_counters, FakeStrikeCounters)
        return self.repos.strike_counters

    @property
    def lifts(self) -> FakeSuspensionLifts:
        assert isinstance(self.repos.lifts, FakeSuspensionLifts)
        return self.repos.lifts
