"""What moderation tells the rest of the suite. Plain dataclasses; `adapters/event_mapper.py`
turns them into the protobuf events of `prilavok/moderation/v1/events.proto`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.moderation.domain.model import Penalty, ReviewItem, Sender, Standing, Verdict


@dataclass(frozen=True)
class ViolationRecorded:
    occurred_at: dt.datetime
    message_id: str
    thread_id: str
    sender: Sender
    verdict: Verdict


@dataclass(frozen=True)
class PenaltyIssued:
    occurred_at: dt.datetime
    sender: Sender
    penalty: Penalty


@dataclass(frozen=True)
class StandingChanged:
    occurred_at: dt.datetime
    sender: Sender
    previous: Standing
    current: Standing


@dataclass(frozen=True)
class ReviewResolved:
    """The chat delivers an approved held message, or tells the sender it was rejected."""

    occurred_at: dt.datetime
    item: ReviewItem
