"""What a recorded verdict leaves behind: the violation (one strike), the review item when a
human must decide, the fines the policy sets for the sender's role, and the events saying so."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.moderation.domain.events import PenaltyIssued, StandingChanged, ViolationRecorded
from services.moderation.domain.model import Action, Penalty, ReviewItem, ReviewStatus, Sender, Verdict, Violation
from services.moderation.domain.policy import Policy


@dataclass(frozen=True)
class Recording:
    violation: Violation
    review: ReviewItem | None
    penalties: tuple[Penalty, ...]
    events: tuple[object, ...]


def is_violation(verdict: Verdict) -> bool:
    """A stored message leaves a record (a strike) unless it was allowed as written."""
    return verdict.action is not Action.ALLOW


def must_record(verdict: Verdict, record: bool) -> bool:
    """Only a recording check (its caller has stored the message; a dry run has not) of a
    violation leaves a record; everything else is just a verdict."""
    return record and is_violation(verdict)


def record_violation(
    *,
    message_id: str,
    thread_id: str,
    sender: Sender,
    text: str,
    verdict: Verdict,
    policy: Policy,
    strikes_before: int,
    at: dt.datetime,
) -> Recording:
    """`strikes_before` counts the party's strikes inside the policy window before this one.

    - the violation is one more strike;
    - a REVIEW verdict queues the message for a human, under the message's id;
    - each category found costs the fine the policy sets for the sender's role, if any;
    - the standing is announced when this strike moves it to another level."""
    review_id = message_id if verdict.action is Action.REVIEW else ""
    violation = Violation(message_id, thread_id, sender, verdict, at, review_id)
    review = (
        ReviewItem(review_id, message_id, thread_id, sender, text, verdict, ReviewStatus.PENDING, at) if review_id else None
    )
    offender = sender.offender
    penalties = tuple(
        Penalty(f"{message_id}:{category.value}", offender, category, fine, message_id, at, verdict.reason)
        for category in verdict.categories
        if (fine := policy.fine_for(category, sender.role)) is not None
    )
    events: list[object] = [ViolationRecorded(at, message_id, thread_id, sender, verdict, offender)]
    events.extend(PenaltyIssued(at, sender, penalty) for penalty in penalties)
    before, after = policy.strikes.level(strikes_before), policy.strikes.level(strikes_before + 1)
    if before is not after:
        events.append(StandingChanged(at, sender, before, after, offender))
    return Recording(violation, review, penalties, tuple(events))
