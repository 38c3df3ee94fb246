"""What a recorded verdict leaves behind: the violation (one strike), the review item when a
human must decide, the fine the policy sets for the sender's role, and the events saying so;
and what an approved review takes back.

Which policy applies: the verdict (its action and categories) is the one the message was stored
under, decided by the policy named in `Verdict.policy_version`. What the record costs - the
fines and the strike thresholds - is always the policy in force when it is recorded (or
withdrawn), even if that is a newer version than the verdict's: older policies are not kept, and
a fine or a threshold changed by the marketplace applies from the moment it is loaded. The
violation keeps the verdict with its own policy version, so the difference stays visible."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.moderation.domain.events import PenaltyIssued, PenaltyWithdrawn, StandingChanged, ViolationRecorded
from services.moderation.domain.model import (
    Action,
    Category,
    Penalty,
    ReviewItem,
    ReviewStatus,
    Sender,
    Verdict,
    Violation,
)
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
    """`strikes_before` counts the party's strikes inside the policy window before this one;
    `policy` is the policy in force (see the module's note), whatever `verdict.policy_version` says.

    - the violation is one more strike;
    - a REVIEW verdict queues the message for a human, under the message's id;
    - the message costs one fine, the largest the policy sets for the sender's role among the
      categories found, if any (`fine_message`);
    - the standing is announced when this strike moves it to another level."""
    review_id = message_id if verdict.action is Action.REVIEW else ""
    violation = Violation(message_id, thread_id, sender, verdict, at, review_id)
    review = (
        ReviewItem(review_id, message_id, thread_id, sender, text, verdict, ReviewStatus.PENDING, at) if review_id else None
    )
    offender = sender.offender
    penalties = fine_message(message_id, sender, verdict, policy, at)
    events: list[object] = [ViolationRecorded(at, message_id, thread_id, sender, verdict, offender)]
    events.extend(PenaltyIssued(at, sender, penalty) for penalty in penalties)
    before, after = policy.strikes.level(strikes_before), policy.strikes.level(strikes_before + 1)
    if before is not after:
        events.append(StandingChanged(at, sender, before, after, offender))
    return Recording(violation, review, penalties, tuple(events))


def penalty_id(message_id: str, category: Category) -> str:
    """A fine's id, stable per message: the idempotency key of its posting on the ledger."""
    return f"{message_id}:{category.value}"


def fine_message(message_id: str, sender: Sender, verdict: Verdict, policy: Policy, at: dt.datetime) -> tuple[Penalty, ...]:
    """A message is one attempt, fined at most once: the largest fine the policy sets for the
    sender's role among the categories found (`Policy.fine_for_message`), with the policy's
    Russian reason for that category. The reason is never empty: the chat's events report the
    categories, not the words the sender was shown, so it is taken from the policy, not the verdict."""
    fined = policy.fine_for_message(verdict.categories, sender.role)
    if fined is None:
        return ()
    category, fine = fined
    return (Penalty(penalty_id(message_id, category), sender.offender, category, fine, message_id, at,
                    policy.reason_for(category)),)


@dataclass(frozen=True)
class Withdrawal:
    violation: Violation
    penalties: tuple[Penalty, ...]
    events: tuple[object, ...]


def withdraw_strike(
    *,
    review: ReviewItem,
    violation: Violation,
    penalties: tuple[Penalty, ...],
    policy: Policy,
    strikes_in_window: int,
    at: dt.datetime,
) -> Withdrawal | None:
    """A moderator approved the held message (`review`): it was no violation after all.

    - its strike no longer counts: the violation stays on record (the message is never recorded
      again) marked withdrawn;
    - each fine issued for it is withdrawn (PenaltyWithdrawn each: the party owes nothing);
    - the standing is announced when it drops. `strikes_in_window` counts the party's strikes in
      the window of the policy in force as of `at`, this one included if it is still inside;
      a strike that has left the window already changes no level.

    None when there is nothing to take back (the review was not approved, or the strike was
    withdrawn before)."""
    if not review.withdraws_strike or not violation.counts:
        return None
    withdrawn = violation.withdraw(at)
    fines = tuple(p.withdraw(at) for p in penalties if p.in_force)
    events: list[object] = [PenaltyWithdrawn(at, violation.sender, fine, review.review_id) for fine in fines]
    still_inside = violation.at >= policy.strikes.window_start(at)
    after_count = strikes_in_window - 1 if still_inside else strikes_in_window
    before, after = policy.strikes.level(strikes_in_window), policy.strikes.level(after_count)
    if before is not after:
        events.append(StandingChanged(at, violation.sender, before, after, violation.sender.offender))
    return Withdrawal(withdrawn, fines, tuple(events))
