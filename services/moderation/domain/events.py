"""What moderation tells the rest of the suite. Plain dataclasses; `adapters/event_mapper.py`
turns them into the protobuf events of `prilavok/moderation/v1/events.proto`.

Each event about a violation names its `offender` (the party it counts against, decided by
`Sender.offender`) explicitly, so that no reader derives it again from the sender."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.identity import Party
from services.moderation.domain.model import Penalty, ReviewItem, ReviewStatus, Sender, Standing, Verdict


@dataclass(frozen=True)
class ViolationRecorded:
    occurred_at: dt.datetime
    message_id: str
    thread_id: str
    sender: Sender
    verdict: Verdict
    offender: Party


@dataclass(frozen=True)
class PenaltyIssued:
    occurred_at: dt.datetime
    sender: Sender
    penalty: Penalty

    @property
    def offender(self) -> Party:
        """The party fined: the penalty's own."""
        return self.penalty.party


@dataclass(frozen=True)
class PenaltyWithdrawn:
    """A fine is no longer owed: a moderator approved the held message it was issued for
    (`review_id`), or reversed an appeal against it (`appeal_id`). The penalty is the one
    issued, with the moment it was withdrawn."""

    occurred_at: dt.datetime
    sender: Sender
    penalty: Penalty
    review_id: str = ""
    appeal_id: str = ""

    @property
    def offender(self) -> Party:
        """The party that was fined: the penalty's own."""
        return self.penalty.party


@dataclass(frozen=True)
class StandingChanged:
    """A recorded strike moved the party's standing up, a withdrawn one moved it down, or a
    moderator lifted a suspension. `suspended_until` is set when `current` is SUSPENDED;
    `suspended_party` names who may not send then, and who may send again when a suspension
    ended early (`previous` SUSPENDED). `occurred_at` is when moderation made the change (its own
    clock); `standing_version` is the offender's counter after it (one more with every change of
    its strikes or suspension), the order readers apply a party's news in."""

    occurred_at: dt.datetime
    sender: Sender
    previous: Standing
    current: Standing
    offender: Party
    suspended_until: dt.datetime | None = None
    suspended_party: Party | None = None
    standing_version: int = 0


@dataclass(frozen=True)
class ReviewResolved:
    """The chat delivers an approved held message, or tells the sender it was rejected."""

    occurred_at: dt.datetime
    item: ReviewItem


@dataclass(frozen=True)
class AppealResolved:
    """A moderator upheld or reversed an appeal (`appeal`, decided). On a reversal the fines
    `penalty_ids` were withdrawn; the chat delivers the message if it had been kept from the
    other side (`message_was_blocked`)."""

    occurred_at: dt.datetime
    appeal: ReviewItem
    penalty_ids: tuple[str, ...]
    message_was_blocked: bool

    @property
    def reversed(self) -> bool:
        return self.appeal.status is ReviewStatus.REVERSED
