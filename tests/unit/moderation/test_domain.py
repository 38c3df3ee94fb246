"""Moderation's rules as plain functions: what a recorded verdict leaves, who may do what."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from prilavok_platform.errors import FailedPrecondition, PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.moderation.domain import access
from services.moderation.domain.commands import MessageCheck
from services.moderation.domain.events import PenaltyIssued, StandingChanged, ViolationRecorded
from services.moderation.domain.model import (
    Action,
    Category,
    Finding,
    ReviewDecision,
    ReviewStatus,
    Sender,
    SenderRole,
    Standing,
    Verdict,
)
from services.moderation.domain.policy import StrikeThresholds
from services.moderation.domain.recording import must_record, record_violation
from tests.unit.moderation.fakes import DEFAULT

AT = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
SELLER = Sender("s-1", SenderRole.SELLER, "shop-1")


def verdict(action: Action, *categories: Category) -> Verdict:
    return Verdict(action, tuple(Finding(c, "rule") for c in categories), "причина", "", "v1")


def recording(v: Verdict, strikes_before: int = 0, sender: Sender = SELLER):
    return record_violation(message_id="m1", thread_id="t1", sender=sender, text="текст", verdict=v, policy=DEFAULT,
                            strikes_before=strikes_before, at=AT)


def test_only_recording_checks_of_messages_not_allowed_as_is_leave_a_record():
    assert must_record(verdict(Action.WARN, Category.INSULT), True)
    assert not must_record(verdict(Action.BLOCK, Category.INSULT), False)
    assert not must_record(verdict(Action.ALLOW), True)


def test_a_block_is_a_strike_with_the_fines_of_the_senders_role():
    r = recording(verdict(Action.BLOCK, Category.CONTACT_EXCHANGE, Category.OFF_PLATFORM_LURE), strikes_before=1)
    assert r.review is None and r.violation.review_id == ""
    assert [(p.penalty_id, p.party, p.fine.amount_minor, p.reason) for p in r.penalties] == [
        ("m1:CONTACT_EXCHANGE", Party.shop("shop-1"), 2_500_000, "причина")]
    # the 2nd strike stays at WARNING: no standing change
    assert [type(e) for e in r.events] == [ViolationRecorded, PenaltyIssued]
    assert {e.offender for e in r.events if isinstance(e, ViolationRecorded | PenaltyIssued)} == {Party.shop("shop-1")}


def test_a_review_verdict_queues_the_message_under_its_id():
    r = recording(verdict(Action.REVIEW, Category.DISPARAGEMENT), strikes_before=2)
    assert r.review is not None and (r.review.review_id, r.review.status, r.review.text) == ("m1", ReviewStatus.PENDING, "текст")
    assert r.violation.review_id == "m1" and r.penalties == ()
    assert [(e.previous, e.current, e.offender) for e in r.events if isinstance(e, StandingChanged)] == [
        (Standing.WARNING, Standing.RESTRICTED, Party.shop("shop-1"))]


@pytest.mark.parametrize("strikes,level", [(0, Standing.GOOD), (1, Standing.WARNING), (2, Standing.WARNING),
                                           (3, Standing.RESTRICTED), (4, Standing.RESTRICTED), (5, Standing.SUSPENDED)])
def test_standing_levels(strikes, level):
    assert StrikeThresholds(30, 1, 3, 5).level(strikes) is level


def test_the_window_counts_back_from_now():
    assert StrikeThresholds(30, 1, 3, 5).window_start(AT) == AT - dt.timedelta(days=30)


def test_sellers_answer_per_shop_and_everyone_else_per_user():
    assert SELLER.offender.key == "shop:shop-1"
    assert Sender("b", SenderRole.BUYER).offender.key == "user:b"
    assert Sender("sup", SenderRole.SUPPORT).offender.key == "user:sup"
    assert Sender("s", SenderRole.SELLER).offender.key == "user:s"  # dry runs only: recording needs the shop


def test_a_review_is_decided_once():
    review = recording(verdict(Action.REVIEW, Category.DISPARAGEMENT)).review
    assert review is not None
    approved = review.resolve(ReviewDecision.APPROVE, "mod", "", AT)
    assert approved.status is ReviewStatus.APPROVED and review.status is ReviewStatus.PENDING
    with pytest.raises(FailedPrecondition):
        approved.resolve(ReviewDecision.REJECT, "mod", "", AT)


def check(role: SenderRole | None, record: bool = False) -> MessageCheck:
    return MessageCheck("m", "t", "u", role, "", "текст", record)


def test_check_access():
    access.authorize_check(Identity("chat", Role.SERVICE), [check(SenderRole.SELLER, record=True)])
    access.authorize_check(Identity("mod", Role.MODERATOR), [check(SenderRole.SELLER)])
    access.authorize_check(Identity("b", Role.BUYER), [check(SenderRole.BUYER)])
    for caller, item in [(Identity("b", Role.BUYER), check(SenderRole.SELLER)), (Identity("s", Role.SELLER, "x"), check(None)),
                         (Identity("mod", Role.MODERATOR), check(SenderRole.BUYER, record=True))]:
        with pytest.raises(PermissionDenied):
            access.authorize_check(caller, [item])


def test_standing_subject():
    assert access.standing_subject(Identity("s", Role.SELLER, "x"), "", "") == Sender("s", SenderRole.SELLER, "x")
    assert access.standing_subject(Identity("b", Role.BUYER), "b", "") == Sender("b", SenderRole.BUYER)
    assert access.standing_subject(Identity("m", Role.MODERATOR), "u", "x") == Sender("u", SenderRole.SELLER, "x")
    with pytest.raises(PermissionDenied):
        access.standing_subject(Identity("s", Role.SELLER, "x"), "", "y")


def test_a_policy_without_fines_fines_nobody():
    r = record_violation(message_id="m", thread_id="t", sender=SELLER, text="", verdict=verdict(Action.BLOCK, Category.CONTACT_EXCHANGE),
                         policy=dataclasses.replace(DEFAULT, fines={}), strikes_before=0, at=AT)
    assert r.penalties == ()
