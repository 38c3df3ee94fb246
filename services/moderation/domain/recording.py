"""What a recorded verdict leaves behind: the violation (one strike), the review item when a
human must decide, the fine the policy sets for the sender's role, the suspension when the strike
reaches the threshold, and the events saying so; what an approved review or a reversed appeal
takes back; and a suspension a moderator lifts.

Which policy applies: the verdict (its action and categories) is the one the message was stored
under, decided by the policy named in `Verdict.policy_version`. What the record costs - the
fines and the strike thresholds - is always the policy in force when it is recorded (or
withdrawn), even if that is a newer version than the verdict's: older policies are not kept, and
a fine or a threshold changed by the marketplace applies from the moment it is loaded. The
violation keeps the verdict with its own policy version, so the difference stays visible."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.errors import FailedPrecondition
from services.moderation.domain.events import PenaltyIssued, PenaltyWithdrawn, StandingChanged, ViolationRecorded
from services.moderation.domain.model import (
    NO_SUSPENSIONS,
    Action,
    Category,
    Penalty,
    RequestRecord,
    ReviewItem,
    ReviewStatus,
    Sender,
    Standing,
    Suspension,
    SuspensionLift,
    Suspensions,
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
    suspension: Suspension | None = None  # started by this strike (None: the party's record is unchanged)
    suspensions: Suspensions = NO_SUSPENSIONS  # the offender's suspensions on record after it


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
    now: dt.datetime | None = None,
    suspensions: Suspensions = NO_SUSPENSIONS,
    version: int = 0,
) -> Recording:
    """`at` is when the message was written (the chat's time: the strike is dated by it), `now`
    when moderation records it (its own clock; `at` when not given). `strikes_before` counts the
    party's strikes inside the policy window as of `now`, before this one; `suspensions` are the
    party's suspensions on record (in force or not, one per suspended party); `version` the
    party's change counter in this transaction; `policy` is the policy in force (see the module's
    note), whatever `verdict.policy_version` says.

    - the violation is one more strike (counted while it is inside the window);
    - a REVIEW verdict queues the message for a human, under the message's id;
    - the message costs one fine, the largest the policy sets for the sender's role among the
      categories found, if any (`fine_message`);
    - a strike that reaches the `suspended` threshold starts a suspension of the policy's
      suspended party (the shop, or the writer in person) from `now` for the policy's duration,
      unless one stopping the writer is in force or answered for it (it was written before that
      one ended: `StrikeThresholds.suspends`). Another seller of the shop, when only writers are
      suspended, is suspended by their own strike at the threshold;
    - the standing - the writer's: the offender's strikes and the suspension stopping the writer
      - is announced (at `now`, with `version`) when this strike moves it to another level, with
      the suspension's end and party when it suspends."""
    now = now or at
    review_id = message_id if verdict.action is Action.REVIEW else ""
    violation = Violation(message_id, thread_id, sender, verdict, at, review_id)
    review = (
        ReviewItem(review_id, message_id, thread_id, sender, text, verdict, ReviewStatus.PENDING, at) if review_id else None
    )
    offender = sender.offender
    penalties = fine_message(message_id, sender, verdict, policy, at)
    events: list[object] = [ViolationRecorded(at, message_id, thread_id, sender, verdict, offender)]
    events.extend(PenaltyIssued(at, sender, penalty) for penalty in penalties)
    thresholds = policy.strikes
    strikes_after = strikes_before + (1 if at >= thresholds.window_start(now) else 0)
    mine = suspensions.affecting(sender)
    started = policy.suspension.start(sender, now) if thresholds.suspends(strikes_after, mine, now, at) else None
    stopping = suspensions.in_force_for(sender, now)
    before = thresholds.standing(strikes_before, stopping, now)
    after = thresholds.standing(strikes_after, started or stopping, now)
    if before is not after:
        events.append(StandingChanged(now, sender, before, after, offender, suspended_until=started.until if started else None,
                                      suspended_party=started.party if started else None, standing_version=version))
    return Recording(violation, review, penalties, tuple(events), started,
                     suspensions.replaced(started) if started else suspensions)


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
    ended: tuple[Suspension, ...] = ()  # the suspensions it ended (none: the party's record is unchanged)
    suspensions: Suspensions = NO_SUSPENSIONS  # the offender's suspensions on record after it


def withdraw_strike(
    *,
    violation: Violation,
    penalties: tuple[Penalty, ...],
    policy: Policy,
    strikes_in_window: int,
    suspensions: Suspensions,
    at: dt.datetime,
    review_id: str = "",
    appeal_id: str = "",
    version: int = 0,
) -> Withdrawal | None:
    """The violation was none after all: a moderator approved its held message (`review_id`) or
    reversed an appeal against it (`appeal_id`).

    - its strike no longer counts: the violation stays on record (the message is never recorded
      again) marked withdrawn;
    - each fine issued for it and still in force is withdrawn (PenaltyWithdrawn each, naming the
      review or the appeal: the party owes nothing, the ledger posts the reversal);
    - the offender's suspensions in force (the shop's, or each writer's) end when the strikes
      fall below the `suspended` threshold: each is announced, naming its released
      `suspended_party`;
    - otherwise the writer's standing is announced when it drops. `strikes_in_window` counts the party's strikes in the window of the
      policy in force as of `at`, this one included if it is still inside; a strike that has left
      the window already changes no level.

    None when there is nothing to take back (the strike was withdrawn before)."""
    if not violation.counts:
        return None
    withdrawn = violation.withdraw(at)
    fines = tuple(p.withdraw(at) for p in penalties if p.in_force)
    events: list[object] = [PenaltyWithdrawn(at, violation.sender, fine, review_id, appeal_id) for fine in fines]
    thresholds = policy.strikes
    still_inside = violation.at >= thresholds.window_start(at)
    after_count = strikes_in_window - 1 if still_inside else strikes_in_window
    ended: tuple[Suspension, ...] = ()
    if after_count < thresholds.suspended:
        by = f"appeal:{appeal_id}" if appeal_id else f"review:{review_id}"
        ended = tuple(s.lift(at, by, "нарушение отменено") for s in suspensions.in_force(at))
    after = thresholds.standing(after_count, None, at)
    offender = violation.sender.offender
    events += [StandingChanged(at, s.sender, Standing.SUSPENDED, after, offender, suspended_party=s.party, standing_version=version)
               for s in ended]
    if not ended:
        stopping = suspensions.in_force_for(violation.sender, at)
        before, after = thresholds.standing(strikes_in_window, stopping, at), thresholds.standing(after_count, stopping, at)
        if before is not after:
            events.append(StandingChanged(at, violation.sender, before, after, offender, standing_version=version))
    return Withdrawal(withdrawn, fines, tuple(events), ended, suspensions.replaced(*ended))


def lift_suspension(
    *,
    suspension: Suspension | None,
    strikes_in_window: int,
    policy: Policy,
    moderator: str,
    reason: str,
    request: RequestRecord,
    at: dt.datetime,
    version: int = 0,
) -> tuple[SuspensionLift, StandingChanged]:
    """A moderator ends a suspension in force before its time (`suspension`: the one on record of
    the party named). The party is then at the standing its offender's strikes give (RESTRICTED
    while they stay at the threshold: the next strike suspends it again). The event names the
    released party, so the chat lets it send at once."""
    if suspension is None or not suspension.in_force(at):
        raise FailedPrecondition("the party is not suspended", reason="NOT_SUSPENDED")
    lifted = suspension.lift(at, moderator, reason)
    after = policy.strikes.standing(strikes_in_window, lifted, at)
    event = StandingChanged(at, suspension.sender, Standing.SUSPENDED, after, suspension.offender, suspended_party=suspension.party,
                            standing_version=version)
    return SuspensionLift(request, lifted, after), event
