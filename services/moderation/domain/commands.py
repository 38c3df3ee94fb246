"""Moderation's use cases, one frozen dataclass each, and the checks of their arguments."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.errors import FieldViolation, Validator
from prilavok_platform.identity import Identity
from services.moderation.domain.model import MessageToCheck, ReviewDecision, ReviewStatus, Sender, SenderRole, Verdict

MAX_BATCH = 500
MAX_COMMENT_CHARS = 1000


@dataclass(frozen=True)
class MessageCheck:
    """One text to judge, as written by a sender in a role: the verdict only. Nothing is
    recorded by a check; violations are recorded from the messages the chat stored
    (`RecordMessage`)."""

    sender_id: str
    role: SenderRole | None  # None when the request named no role or an unknown one
    shop_id: str
    text: str

    @property
    def message(self) -> MessageToCheck:
        assert self.role is not None, "checked by problems() first"
        return MessageToCheck(self.text, self.role)

    def problems(self, max_text_chars: int, prefix: str = "") -> list[FieldViolation]:
        v = Validator()
        if self.role is None:
            v.add(prefix + "sender_role", "must be one of ROLE_BUYER, ROLE_SELLER, ROLE_SUPPORT, ROLE_MODERATOR")
        if not self.text.strip():
            v.add(prefix + "text", "must not be empty")
        elif len(self.text) > max_text_chars:
            v.add(prefix + "text", f"must be at most {max_text_chars} characters, got {len(self.text)}")
        return v.violations


def batch_problems(items: tuple[MessageCheck, ...], max_text_chars: int) -> list[FieldViolation]:
    if not items:
        return [FieldViolation("items", "must not be empty")]
    if len(items) > MAX_BATCH:
        return [FieldViolation("items", f"at most {MAX_BATCH} per call, got {len(items)}")]
    return [p for index, item in enumerate(items) for p in item.problems(max_text_chars, f"items[{index}].")]


@dataclass(frozen=True)
class CheckMessage:
    caller: Identity
    item: MessageCheck


@dataclass(frozen=True)
class CheckMessages:
    caller: Identity
    items: tuple[MessageCheck, ...]


@dataclass(frozen=True)
class RecordMessage:
    """A message the chat has stored, with the verdict it was stored under: recorded once per
    message id (a strike, a review item when held, the fines the policy in force sets). It comes
    from the chat's message events (see `Verdict.reported`)."""

    message_id: str
    thread_id: str
    sender: Sender
    text: str  # what the sender wrote, the text judged (a review shows it to the moderator)
    verdict: Verdict
    occurred_at: dt.datetime

    def problems(self) -> list[FieldViolation]:
        v = Validator()
        v.identifier(self.message_id, "message_id")
        v.identifier(self.sender.user_id, "sender.user_id")
        if self.sender.role is SenderRole.SELLER and not self.sender.shop_id:
            v.add("sender.shop_id", "is required for a seller")
        return v.violations


@dataclass(frozen=True)
class ListReviewQueue:
    caller: Identity
    status: ReviewStatus | None = None  # None: the pending items, the queue moderators work through
    page_size: int = 0
    page_token: str = ""

    @property
    def wanted(self) -> ReviewStatus:
        return self.status or ReviewStatus.PENDING


@dataclass(frozen=True)
class ResolveReview:
    caller: Identity
    review_id: str
    decision: ReviewDecision
    comment: str = ""

    def problems(self) -> list[FieldViolation]:
        v = Validator()
        v.identifier(self.review_id, "review_id")
        v.text(self.comment, "comment", max_len=MAX_COMMENT_CHARS, required=False)
        return v.violations


@dataclass(frozen=True)
class GetSenderStanding:
    caller: Identity
    sender_id: str = ""
    shop_id: str = ""
