"""Conversions between moderation's domain objects and its protobuf contracts."""
from __future__ import annotations

import enum
from typing import TypeVar

from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2 as pb
from prilavok_platform.errors import FieldViolation, InvalidArgument
from prilavok_platform.protobuf import EnumMapping, datetime_of, party_to_pb, timestamp
from services.moderation.domain.commands import MessageCheck, RecordMessage
from services.moderation.domain.model import (
    Action,
    Category,
    Fine,
    Penalty,
    ReviewDecision,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Sender,
    SenderRole,
    SenderStanding,
    Standing,
    Suspension,
    SuspensionLift,
    Verdict,
)

SENDER_ROLES = EnumMapping(common_pb2.Role, SenderRole, "ROLE_")
ACTIONS = EnumMapping(pb.Action, Action, "ACTION_")
CATEGORIES = EnumMapping(pb.Category, Category, "CATEGORY_")
STANDINGS = EnumMapping(pb.Standing, Standing, "STANDING_")
REVIEW_STATUSES = EnumMapping(pb.ReviewStatus, ReviewStatus, "REVIEW_STATUS_")
REVIEW_DECISIONS = EnumMapping(pb.ReviewDecision, ReviewDecision, "REVIEW_DECISION_")
REVIEW_KINDS = EnumMapping(pb.ReviewKind, ReviewKind, "REVIEW_KIND_")

E = TypeVar("E", bound=enum.Enum)


# --- requests -----------------------------------------------------------------------------


def message_check(request: pb.CheckMessageRequest) -> MessageCheck:
    try:
        role = SENDER_ROLES.from_pb(request.sender_role, "sender_role")
    except InvalidArgument:
        role = None  # reported with the request's other problems (and the item's index in a batch)
    return MessageCheck(sender_id=request.sender_id, role=role, shop_id=request.shop_id, text=request.text)


class NewerThanThisVersion(Exception):
    """An event carries an enum number this build does not know: it comes from a newer version
    of its producer (or of moderation itself, whose verdicts the chat stores). Not malformed: a
    newer moderation process can record it, so it is left for redelivery, not terminated."""


def _known(mapping: EnumMapping[E], number: int, field: str) -> E:
    member = mapping.from_pb(number, field, unknown_ok=True)
    if member is None:
        raise NewerThanThisVersion(f"{field}: {number} is unknown to this version")
    return member


def record_message(
    event: chat_events.MessageDelivered | chat_events.MessageHeld | chat_events.MessageBlocked,
) -> RecordMessage | None:
    """A chat message event -> the verdict to record on it; None for a message moderation never
    judged (no action: nothing to record). Fields that are missing or cannot be read are
    INVALID_ARGUMENT (the event can never be recorded); enum numbers from a newer version raise
    NewerThanThisVersion."""
    message, outcome = event.message, event.message.moderation
    if outcome.action == 0:
        return None
    action = _known(ACTIONS, outcome.action, "message.moderation.action")
    role = _known(SENDER_ROLES, message.sender.role, "message.sender.role")
    categories = tuple(_known(CATEGORIES, c, "message.moderation.categories") for c in outcome.categories)
    occurred_at = datetime_of(event, "occurred_at") or datetime_of(message, "created_at")
    if occurred_at is None:
        raise InvalidArgument(FieldViolation("occurred_at", "is required"))
    # message.text is the text the chat stored for the message; which of it is kept is the
    # domain's (RecordMessage.of_stored). moderated_text is not read: the held message's text is
    # the original already.
    command = RecordMessage.of_stored(
        message_id=message.message_id, thread_id=message.thread_id or event.thread.thread_id,
        sender=Sender(message.sender.user_id, role, message.sender.shop_id), action=action, categories=categories,
        reason=outcome.reason, policy_version=outcome.policy_version, stored_text=message.text, occurred_at=occurred_at,
    )
    problems = command.problems()
    if problems:
        raise InvalidArgument(problems)
    return command


# --- responses and events -----------------------------------------------------------------


def verdict_to_pb(verdict: Verdict) -> pb.Verdict:
    return pb.Verdict(
        action=ACTIONS.to_pb(verdict.action),
        violations=[
            pb.Violation(
                category=CATEGORIES.to_pb(f.category),
                rule=f.rule,
                spans=[common_pb2.TextSpan(start=s.start, end=s.end) for s in f.spans],
            )
            for f in verdict.findings
        ],
        reason=verdict.reason,
        masked_text=verdict.masked_text,
        policy_version=verdict.policy_version,
    )


def actor_to_pb(sender: Sender) -> common_pb2.Actor:
    return common_pb2.Actor(role=SENDER_ROLES.to_pb(sender.role), user_id=sender.user_id, shop_id=sender.shop_id)


def money_to_pb(fine: Fine) -> common_pb2.Money:
    return common_pb2.Money(currency_code=fine.currency_code, amount_minor=fine.amount_minor)


def penalty_to_pb(penalty: Penalty) -> pb.Penalty:
    return pb.Penalty(
        penalty_id=penalty.penalty_id,
        category=CATEGORIES.to_pb(penalty.category),
        fine=money_to_pb(penalty.fine),
        message_id=penalty.message_id,
        issued_at=timestamp(penalty.issued_at),
        reason=penalty.reason,
    )


def review_to_pb(review: ReviewItem) -> pb.ReviewItem:
    item = pb.ReviewItem(
        review_id=review.review_id,
        message_id=review.message_id,
        thread_id=review.thread_id,
        sender=actor_to_pb(review.sender),
        text=review.text,
        verdict=verdict_to_pb(review.verdict),
        status=REVIEW_STATUSES.to_pb(review.status),
        created_at=timestamp(review.created_at),
        resolved_by=review.resolved_by,
        resolution_comment=review.comment,
        kind=REVIEW_KINDS.to_pb(review.kind),
        appeal_reason=review.appeal_reason,
        appealed_by=review.appealed_by,
        penalty_ids=list(review.penalty_ids),
    )
    if review.resolved_at:
        item.resolved_at.CopyFrom(timestamp(review.resolved_at))
    if review.appellant is not None:
        item.appellant.CopyFrom(party_to_pb(review.appellant))
    return item


def suspension_to_pb(suspension: Suspension) -> pb.Suspension:
    return pb.Suspension(
        suspended_party=party_to_pb(suspension.party), offender=party_to_pb(suspension.offender),
        since=timestamp(suspension.since), until=timestamp(suspension.until), lifted_at=timestamp(suspension.lifted_at),
        lifted_by=suspension.lifted_by, lift_reason=suspension.lift_reason,
    )


def lift_to_pb(lift: SuspensionLift) -> pb.LiftSuspensionResponse:
    return pb.LiftSuspensionResponse(suspension=suspension_to_pb(lift.suspension), standing=STANDINGS.to_pb(lift.standing))


def standing_to_pb(standing: SenderStanding) -> pb.GetSenderStandingResponse:
    return pb.GetSenderStandingResponse(
        sender_id=standing.sender.user_id,
        shop_id=standing.sender.shop_id,
        standing=STANDINGS.to_pb(standing.standing),
        strikes_in_window=standing.strikes_in_window,
        strikes_total=standing.strikes_total,
        penalties=[penalty_to_pb(p) for p in standing.penalties],
        updated_at=timestamp(standing.updated_at),
        suspended_until=timestamp(standing.suspension.until) if standing.suspension else None,
        suspended_party=party_to_pb(standing.suspension.party) if standing.suspension else None,
    )
