"""Moderation's use cases, one frozen dataclass each, and the checks of their arguments."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.errors import FieldViolation, Validator
from prilavok_platform.idempotency import fingerprint
from prilavok_platform.identity import Identity
from services.moderation.domain.model import (
    Action,
    Category,
    MessageToCheck,
    RequestRecord,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
    Sender,
    SenderRole,
    Verdict,
)

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
    text: str  # what the sender wrote, when it is kept (a review shows it): see `of_stored`
    verdict: Verdict
    occurred_at: dt.datetime

    @staticmethod
    def of_stored(
        *,
        message_id: str,
        thread_id: str,
        sender: Sender,
        action: Action,
        categories: tuple[Category, ...],
        reason: str,
        policy_version: str,
        stored_text: str,
        occurred_at: dt.datetime,
    ) -> RecordMessage:
        """A message as the chat's event reports it, with `stored_text` the text the chat
        stored (and published) for it. What that text is depends on the action, and so what is
        kept of it:
        - REVIEW: the original, held and never delivered; the moderator reads it (the review's text);
        - MASK: the masked text the other side got (the verdict's masked_text); the original is
          not needed and not published;
        - BLOCK: nothing (the chat publishes no text for a blocked message; none is needed);
        - delivered as written (WARN): the original, which was delivered anyway.
        A violation is recorded the same whatever the text: only a review shows it."""
        kept = stored_text if action is Action.REVIEW or action.delivered_as_written else ""
        masked = stored_text if action is Action.MASK else ""
        verdict = Verdict.reported(action, categories, reason, policy_version, masked)
        return RecordMessage(message_id, thread_id, sender, kept, verdict, occurred_at)

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
    kind: ReviewKind | None = None  # None: every kind

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
        if self.decision.needs_comment and not self.comment.strip():
            v.add("comment", f"is required to {self.decision.name} an appeal: the appellant is told why")
        else:
            v.text(self.comment, "comment", max_len=MAX_COMMENT_CHARS, required=False)
        return v.violations


@dataclass(frozen=True)
class GetSenderStanding:
    caller: Identity
    sender_id: str = ""
    shop_id: str = ""


@dataclass(frozen=True)
class AppealDecision:
    """The offender appeals a violation, named by its message or one of its penalties."""

    caller: Identity
    request_id: str
    message_id: str
    penalty_id: str
    reason: str

    def problems(self, max_reason_chars: int) -> list[FieldViolation]:
        v = Validator()
        v.identifier(self.request_id, "request_id")
        if not self.message_id and not self.penalty_id:
            v.add("message_id", "name the violation: message_id or penalty_id")
        v.identifier(self.message_id, "message_id", required=False)
        v.identifier(self.penalty_id, "penalty_id", required=False, max_len=160)
        if not self.reason.strip():
            v.add("reason", "must not be empty: say why the decision was wrong")
        else:
            v.text(self.reason, "reason", max_len=max_reason_chars)
        return v.violations

    @property
    def request(self) -> RequestRecord:
        return RequestRecord.of(self.caller, self.request_id, fingerprint(
            {"message_id": self.message_id, "penalty_id": self.penalty_id, "reason": self.reason}))


@dataclass(frozen=True)
class LiftSuspension:
    """A moderator ends a party's suspension early: the shop's (shop_id) or a user's (sender_id)."""

    caller: Identity
    request_id: str
    sender_id: str
    shop_id: str
    reason: str

    def problems(self) -> list[FieldViolation]:
        v = Validator()
        v.identifier(self.request_id, "request_id")
        v.identifier(self.sender_id, "sender_id", required=False)
        v.identifier(self.shop_id, "shop_id", required=False)
        if not self.reason.strip():
            v.add("reason", "must not be empty")
        else:
            v.text(self.reason, "reason", max_len=MAX_COMMENT_CHARS)
        return v.violations

    @property
    def request(self) -> RequestRecord:
        return RequestRecord.of(self.caller, self.request_id, fingerprint(
            {"sender_id": self.sender_id, "shop_id": self.shop_id, "reason": self.reason}))
