"""What the moderation service layer needs from the outside world."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from services.moderation.domain.model import Category, SenderRole, Verdict
from services.moderation.domain.policy import Fine, StrikeThresholds


@dataclass(frozen=True)
class Sender:
    user_id: str
    role: SenderRole
    shop_id: str = ""

    @property
    def key(self) -> str:
        """Sellers are accountable per shop; everyone else per user."""
        return f"shop:{self.shop_id}" if self.role is SenderRole.SELLER and self.shop_id else f"user:{self.user_id}"


@dataclass(frozen=True)
class ViolationRecord:
    message_id: str
    thread_id: str
    sender: Sender
    text: str
    verdict: Verdict
    at: dt.datetime
    fines: dict[Category, Fine] = field(default_factory=dict)
    review: bool = False
    thresholds: StrikeThresholds | None = None  # to announce a change of standing


@dataclass
class ReviewRecord:
    review_id: str
    message_id: str
    thread_id: str
    sender: Sender
    text: str
    verdict: Verdict
    status: str  # PENDING | APPROVED | REJECTED
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None
    resolved_by: str = ""
    comment: str = ""


class ModerationRepository(Protocol):
    async def record_violation(self, record: ViolationRecord) -> str | None:
        """Stores the violation (idempotent per message), the review item and penalties, with
        their events, in one transaction. Returns the review id when one was queued."""

    async def list_reviews(self, status: str, limit: int, after: str) -> list[ReviewRecord]: ...

    async def resolve_review(self, review_id: str, approve: bool, moderator: str, comment: str, at: dt.datetime) -> ReviewRecord: ...

    async def strikes(self, sender_key: str, since: dt.datetime) -> tuple[int, int]:
        """(strikes since `since`, strikes in total)"""

    async def penalties(self, sender_key: str, limit: int) -> list[dict]: ...
