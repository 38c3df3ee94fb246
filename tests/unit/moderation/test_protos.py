"""The protobuf edge: enum mapping (unknown numbers name their field) and the event mapper."""
from __future__ import annotations

import datetime as dt

import pytest

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2
from prilavok.moderation.v1 import moderation_pb2 as pb
from prilavok_platform.errors import InvalidArgument
from services.moderation.adapters import protos
from services.moderation.adapters.event_mapper import map_event
from services.moderation.domain.events import (
    PenaltyIssued,
    PenaltyWithdrawn,
    ReviewResolved,
    StandingChanged,
    ViolationRecorded,
)
from services.moderation.domain.model import Action, Category, Finding, Sender, SenderRole, Span, Standing, Verdict
from services.moderation.domain.recording import record_violation
from tests.unit.moderation.fakes import DEFAULT

AT = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def test_an_unknown_review_status_is_invalid_argument_naming_status():
    with pytest.raises(InvalidArgument) as err:
        protos.REVIEW_STATUSES.from_pb(42, "status", required=False)
    assert [v.field for v in err.value.violations] == ["status"]
    assert protos.REVIEW_STATUSES.from_pb(0, "status", required=False) is None


def test_an_unknown_or_missing_role_is_left_for_validation_to_name():
    for number in (0, 99):
        assert protos.message_check(pb.CheckMessageRequest(sender_role=number, text="x")).role is None
    check = protos.message_check(pb.CheckMessageRequest(sender_role=common_pb2.ROLE_SELLER, sender_id="u", shop_id="s", text="x"))
    assert (check.role, check.sender_id, check.shop_id, check.text) == (SenderRole.SELLER, "u", "s", "x")


def test_every_event_maps_to_its_subject_and_message():
    verdict = Verdict(Action.REVIEW, (Finding(Category.CONTACT_EXCHANGE, "phone", (Span(0, 3),)),), "причина", "", "v1")
    recording = record_violation(message_id="m1", thread_id="t1", sender=Sender("u", SenderRole.SELLER, "s"), text="текст",
                                 verdict=verdict, policy=DEFAULT, strikes_before=0, at=AT, version=7)
    assert recording.review is not None
    events = [*recording.events, ReviewResolved(AT, recording.review)]
    assert [type(e) for e in events] == [ViolationRecorded, PenaltyIssued, StandingChanged, ReviewResolved]
    mapped = [map_event(e, f"ev-{n}") for n, e in enumerate(events)]
    assert [m.name for m in mapped] == ["violation.recorded", "penalty.issued", "standing.changed", "review.resolved"]
    assert [m.message.event_id for m in mapped] == ["ev-0", "ev-1", "ev-2", "ev-3"]
    violation, penalty, standing, resolved = (m.message for m in mapped)
    assert isinstance(violation, events_pb2.ViolationRecorded) and violation.verdict.action == pb.ACTION_REVIEW
    assert violation.verdict.violations[0].category == pb.CATEGORY_CONTACT_EXCHANGE
    assert isinstance(penalty, events_pb2.PenaltyIssued)
    assert (penalty.sender.role, penalty.sender.shop_id, penalty.penalty.fine.amount_minor) == (common_pb2.ROLE_SELLER, "s", 2_500_000)
    # the offender is explicit: readers (notify) never derive it from the sender
    shop = common_pb2.Party(kind=common_pb2.PARTY_KIND_SHOP, id="s")
    assert violation.offender == penalty.offender == standing.offender == shop
    assert isinstance(standing, events_pb2.StandingChanged)
    assert (standing.previous, standing.current, standing.standing_version) == (pb.STANDING_GOOD, pb.STANDING_WARNING, 7)
    assert isinstance(resolved, events_pb2.ReviewResolved) and resolved.item.status == pb.REVIEW_STATUS_PENDING
    assert protos.STANDINGS.to_pb(Standing.SUSPENDED) == pb.STANDING_SUSPENDED
    later = AT + dt.timedelta(hours=1)
    withdrawn = map_event(PenaltyWithdrawn(later, recording.review.sender, recording.penalties[0].withdraw(later), "m1"), "ev-9")
    assert withdrawn.name == "penalty.withdrawn" and isinstance(withdrawn.message, events_pb2.PenaltyWithdrawn)
    assert (withdrawn.message.event_id, withdrawn.message.review_id, withdrawn.message.penalty.penalty_id) == (
        "ev-9", "m1", "m1:CONTACT_EXCHANGE")
    assert withdrawn.message.offender == shop and withdrawn.message.occurred_at.ToDatetime(tzinfo=dt.UTC) == later


def test_an_unknown_event_is_refused():
    with pytest.raises(TypeError):
        map_event(object(), "ev")


def test_a_support_agents_offence_names_the_agent_not_the_desk():
    verdict = Verdict(Action.BLOCK, (Finding(Category.INSULT, "insult"),), "причина", "", "v1")
    recording = record_violation(message_id="m1", thread_id="t1", sender=Sender("sup-7", SenderRole.SUPPORT), text="текст",
                                 verdict=verdict, policy=DEFAULT, strikes_before=0, at=AT)
    offenders = {map_event(e, "ev").message.offender.SerializeToString() for e in recording.events}
    assert offenders == {common_pb2.Party(kind=common_pb2.PARTY_KIND_USER, id="sup-7").SerializeToString()}
