"""Appeals: the offender of a violation asks a moderator to look again at its block, strike or
fine. Filed once per violation, within the policy's window, while the strike is in force and no
review of the same message is still pending; decided in the review queue (UPHOLD / REVERSE).
What a reversal takes back is `recording.withdraw_strike`'s, as for an approved held message."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from prilavok_platform.errors import FailedPrecondition
from services.moderation.domain.events import AppealResolved
from services.moderation.domain.model import (
    Penalty,
    RequestRecord,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Violation,
    appeal_id_of,
)
from services.moderation.domain.policy import Policy


@dataclass(frozen=True)
class Filing:
    violation: Violation  # now naming its appeal
    appeal: ReviewItem  # waiting in the review queue


def file_appeal(
    *,
    violation: Violation,
    held: ReviewItem | None,
    penalties: tuple[Penalty, ...],
    appealed_by: str,
    reason: str,
    request: RequestRecord,
    policy: Policy,
    at: dt.datetime,
) -> Filing:
    """`held` is the review of the violation's message when it was held (None otherwise);
    `penalties` the fines issued for it. Who may appeal is `access.authorize_appeal`'s.

    Refused (FAILED_PRECONDITION) when there is nothing to appeal (the strike was withdrawn), when
    it was appealed before (one appeal per violation, whatever the request), while the held
    message waits for its review (the moderator decides it anyway), and after the window."""
    if violation.appeal_id:
        raise FailedPrecondition(f"violation {violation.message_id} was appealed already", reason="APPEAL_ALREADY_FILED",
                                 metadata={"appeal_id": violation.appeal_id})
    if not violation.counts:
        raise FailedPrecondition(f"violation {violation.message_id} was withdrawn: nothing to appeal", reason="VIOLATION_WITHDRAWN")
    if held is not None and held.status is ReviewStatus.PENDING:
        raise FailedPrecondition(f"message {violation.message_id} still waits for its review", reason="REVIEW_PENDING",
                                 metadata={"review_id": held.review_id})
    deadline = policy.appeals.deadline(violation.at)
    if at > deadline:
        raise FailedPrecondition(f"violation {violation.message_id} could be appealed until {deadline.isoformat()}",
                                 reason="APPEAL_WINDOW_CLOSED", metadata={"deadline": deadline.isoformat()})
    appeal = ReviewItem(
        review_id=appeal_id_of(violation.message_id), message_id=violation.message_id, thread_id=violation.thread_id,
        sender=violation.sender, text="", verdict=violation.verdict, status=ReviewStatus.PENDING, created_at=at,
        kind=ReviewKind.APPEAL, appeal_reason=reason, appealed_by=appealed_by, appellant=violation.sender.offender,
        penalty_ids=tuple(p.penalty_id for p in penalties if p.in_force), request=request,
    )
    return Filing(replace(violation, appeal_id=appeal.review_id), appeal)


def appeal_resolved(appeal: ReviewItem, violation: Violation, withdrawn: tuple[Penalty, ...], at: dt.datetime) -> AppealResolved:
    """What the appellant (notify) and the chat learn: the outcome with the moderator's comment;
    on a reversal the fines withdrawn, and whether the message had been kept from the other side
    (the chat then delivers it)."""
    reversed_ = appeal.status is ReviewStatus.REVERSED
    return AppealResolved(at, appeal, tuple(p.penalty_id for p in withdrawn) if reversed_ else (),
                          violation.blocked_message)
