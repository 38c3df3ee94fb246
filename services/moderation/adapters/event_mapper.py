"""Domain events -> the protobuf events of prilavok/moderation/v1/events.proto and their subjects
(<prefix>.moderation.<name>)."""
from __future__ import annotations

from prilavok.moderation.v1 import events_pb2
from prilavok_platform.mongo_unit_of_work import OutboxEvent
from prilavok_platform.protobuf import party_to_pb, timestamp
from services.moderation.adapters import protos
from services.moderation.domain.events import (
    AppealResolved,
    PenaltyIssued,
    PenaltyWithdrawn,
    ReviewResolved,
    StandingChanged,
    ViolationRecorded,
)


def map_event(event: object, event_id: str) -> OutboxEvent:
    match event:
        case ViolationRecorded():
            return OutboxEvent("violation.recorded", events_pb2.ViolationRecorded(
                event_id=event_id, occurred_at=timestamp(event.occurred_at), message_id=event.message_id,
                thread_id=event.thread_id, sender=protos.actor_to_pb(event.sender), verdict=protos.verdict_to_pb(event.verdict),
                offender=party_to_pb(event.offender),
            ))
        case PenaltyIssued():
            return OutboxEvent("penalty.issued", events_pb2.PenaltyIssued(
                event_id=event_id, occurred_at=timestamp(event.occurred_at), sender=protos.actor_to_pb(event.sender),
                penalty=protos.penalty_to_pb(event.penalty), offender=party_to_pb(event.offender),
            ))
        case PenaltyWithdrawn():
            return OutboxEvent("penalty.withdrawn", events_pb2.PenaltyWithdrawn(
                event_id=event_id, occurred_at=timestamp(event.occurred_at), sender=protos.actor_to_pb(event.sender),
                penalty=protos.penalty_to_pb(event.penalty), offender=party_to_pb(event.offender), review_id=event.review_id,
                appeal_id=event.appeal_id,
            ))
        case StandingChanged():
            return OutboxEvent("standing.changed", events_pb2.StandingChanged(
                event_id=event_id, occurred_at=timestamp(event.occurred_at), sender=protos.actor_to_pb(event.sender),
                previous=protos.STANDINGS.to_pb(event.previous), current=protos.STANDINGS.to_pb(event.current),
                offender=party_to_pb(event.offender), suspended_until=timestamp(event.suspended_until),
                suspended_party=party_to_pb(event.suspended_party) if event.suspended_party else None,
                standing_version=event.standing_version,
            ))
        case AppealResolved():
            appeal = event.appeal
            assert appeal.appellant is not None, "an appeal names its appellant"
            return OutboxEvent("appeal.resolved", events_pb2.AppealResolved(
                event_id=event_id, occurred_at=timestamp(event.occurred_at), appeal_id=appeal.review_id,
                message_id=appeal.message_id, thread_id=appeal.thread_id, appellant=party_to_pb(appeal.appellant),
                outcome=events_pb2.APPEAL_OUTCOME_REVERSED if event.reversed else events_pb2.APPEAL_OUTCOME_UPHELD,
                comment=appeal.comment, penalty_ids=list(event.penalty_ids), message_was_blocked=event.message_was_blocked,
            ))
        case ReviewResolved():
            return OutboxEvent("review.resolved", events_pb2.ReviewResolved(
                event_id=event_id, occurred_at=timestamp(event.occurred_at), item=protos.review_to_pb(event.item),
            ))
    raise TypeError(f"moderation publishes no event for {type(event).__name__}")
