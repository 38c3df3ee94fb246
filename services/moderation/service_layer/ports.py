"""What the moderation handlers need from storage: repositories that load and save, bundled
for the unit of work. They decide nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from prilavok_platform.identity import Party
from prilavok_platform.pagination import KeysetOrder
from services.moderation.domain.model import (
    Penalty,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    SuspensionLift,
    Suspensions,
    Violation,
)

# The review queue's order, oldest first; the page token is built from exactly these fields.
REVIEW_ORDER = KeysetOrder(("created_at", 1, dt.datetime), ("_id", 1, str))


@dataclass(frozen=True)
class PartyRecord:
    """An offender's strike counter as a transaction bumped it: `version` counts the changes of
    its strikes and suspensions, this one included (StandingChanged.standing_version);
    `suspensions` are those on record, one per suspended party (in force or not)."""

    version: int
    suspensions: Suspensions


class StrikeCounters(Protocol):
    """One document per offender (a shop, a user): written by every transaction that changes its
    strikes or suspensions, counting those changes, and holding its suspensions on record - one
    per suspended party: the offender itself, or each writer the policy suspended in person."""

    async def bump(self, party: Party) -> PartyRecord:
        """Counts one more change on the party's own document and returns its record (read in the
        same round trip). A transaction that changes a party's strikes does this before it counts
        them: two such transactions for one party then write the same document and conflict, and
        the one retried counts the other's strike (no write skew: a threshold is crossed, a
        suspension started, and announced, exactly once); the versions of the changes committed
        follow each other."""
        ...

    async def suspensions(self, party: Party) -> Suspensions:
        """The offender's suspensions on record, without writing (reads)."""
        ...

    async def holding(self, suspended: Party) -> list[Party]:
        """The offenders whose records hold a suspension of `suspended` (itself, or the shop a
        seller suspended in person writes for), without writing: how a moderator's lift, which
        names the suspended party, finds the record to change."""
        ...

    async def save_suspensions(self, party: Party, suspensions: Suspensions) -> None:
        """Records the offender's suspensions (one started, replacing that party's before; or
        ended)."""
        ...


class ViolationRepository(Protocol):
    async def get(self, message_id: str) -> Violation | None: ...

    async def count(self, party: Party, since: dt.datetime | None = None) -> int:
        """The party's strikes (violations not withdrawn) at or after `since` (all of them without it)."""
        ...

    async def latest_at(self, party: Party) -> dt.datetime | None:
        """When the party's latest strike (not withdrawn) was recorded; None when it has none."""
        ...

    async def add(self, violation: Violation) -> None: ...

    async def save(self, violation: Violation) -> None:
        """Stores whether (and when) the violation was withdrawn, and its appeal."""
        ...


class ReviewRepository(Protocol):
    async def get(self, review_id: str) -> ReviewItem | None: ...

    async def add(self, item: ReviewItem) -> None: ...

    async def save(self, item: ReviewItem) -> None:
        """Stores the item's status and resolution."""
        ...

    async def by_request(self, key: str) -> ReviewItem | None:
        """The appeal filed under a request key (`RequestRecord.key`), if any."""
        ...

    async def page(self, status: ReviewStatus, size: int, token: str, kind: ReviewKind | None = None) -> tuple[list[ReviewItem], str]:
        """Items of one status (and kind, when given), oldest first, after `token`; and the next
        token ("" at the end)."""
        ...


class PenaltyRepository(Protocol):
    async def add(self, penalties: tuple[Penalty, ...]) -> None: ...

    async def get(self, penalty_id: str) -> Penalty | None: ...

    async def of_message(self, message_id: str) -> list[Penalty]:
        """The penalties issued for one message, withdrawn or not."""
        ...

    async def save(self, penalties: tuple[Penalty, ...]) -> None:
        """Stores whether (and when) each penalty was withdrawn."""
        ...

    async def latest(self, party: Party, limit: int) -> list[Penalty]:
        """The party's most recent penalties in force (not withdrawn), newest first."""
        ...


class SuspensionLifts(Protocol):
    async def get(self, key: str) -> SuspensionLift | None:
        """The lift made under a request key (`RequestRecord.key`), if any."""
        ...

    async def add(self, lift: SuspensionLift) -> None: ...


@dataclass
class ModerationRepositories:
    violations: ViolationRepository
    reviews: ReviewRepository
    penalties: PenaltyRepository
    strike_counters: StrikeCounters
    lifts: SuspensionLifts
