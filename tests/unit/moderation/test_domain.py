"""Moderation's rules as plain functions: what a recorded verdict leaves, who may do what."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from prilavok_platform.errors import FailedPrecondition, PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.moderation.domain import access
from services.moderation.domain.commands import MessageCheck, RecordMessage
from services.moderation.domain.events import PenaltyIssued, PenaltyWithdrawn, StandingChanged, ViolationRecorded
from services.moderation.domain.model import (
    Action,
    Category,
    Finding,
    Fine,
    ReviewDecision,
    ReviewStatus,
    Sender,
    SenderRole,
    Standing,
    Suspensions,
    Verdict,
)
from services.moderation.domain.policy import StrikeThresholds
from services.moderation.domain.recording import is_violation, record_violation, withdraw_strike
from tests.unit.moderation.fakes import DEFAULT

AT = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
SELLER = Sender("s-1", SenderRole.SELLER, "shop-1")


def verdict(action: Action, *categories: Category) -> Verdict:
    return Verdict(action, tuple(Finding(c, "rule") for c in categories), "причина", "", "v1")


def recording(v: Verdict, strikes_before: int = 0, sender: Sender = SELLER):
    return record_violation(message_id="m1", thread_id="t1", sender=sender, text="текст", verdict=v, policy=DEFAULT,
                            strikes_before=strikes_before, at=AT)


def test_only_messages_not_allowed_as_written_leave_a_record():
    assert is_violation(verdict(Action.WARN, Category.INSULT)) and is_violation(verdict(Action.MASK, Category.PERSONAL_DATA))
    assert not is_violation(verdict(Action.ALLOW))


def test_a_block_is_a_strike_with_one_fine_for_the_senders_role_and_the_policys_reason():
    r = recording(verdict(Action.BLOCK, Category.CONTACT_EXCHANGE, Category.OFF_PLATFORM_LURE), strikes_before=1)
    assert r.review is None and r.violation.review_id == ""
    # both categories are fined 25 000 roubles by default: one message is one attempt, one fine
    assert [(p.penalty_id, p.party, p.fine.amount_minor, p.reason) for p in r.penalties] == [
        ("m1:CONTACT_EXCHANGE", Party.shop("shop-1"), 2_500_000, DEFAULT.reasons[Category.CONTACT_EXCHANGE])]
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


def check(role: SenderRole | None, sender_id: str = "", shop_id: str = "") -> MessageCheck:
    return MessageCheck(sender_id, role, shop_id, "текст")


def test_check_access():
    access.authorize_check(Identity("chat", Role.SERVICE), [check(SenderRole.SELLER, "u", "x")])
    access.authorize_check(Identity("mod", Role.MODERATOR), [check(SenderRole.SELLER, "u", "x")])
    access.authorize_check(Identity("b", Role.BUYER), [check(SenderRole.BUYER), check(SenderRole.BUYER, "b")])
    access.authorize_check(Identity("s", Role.SELLER, "x"), [check(SenderRole.SELLER, "s", "x")])
    for caller, item in [(Identity("b", Role.BUYER), check(SenderRole.SELLER)), (Identity("s", Role.SELLER, "x"), check(None)),
                         (Identity("b", Role.BUYER), check(SenderRole.BUYER, "b2")),
                         (Identity("s", Role.SELLER, "x"), check(SenderRole.SELLER, "s", "y"))]:
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


# --- an approved review withdraws the strike -----------------------------------------------


def held(strikes_before: int = 0, fined: bool = True):
    fines = {(Category.DISPARAGEMENT, SenderRole.SELLER): Fine(100_000, "RUB")} if fined else {}
    policy = dataclasses.replace(DEFAULT, fines=fines)
    r = record_violation(message_id="m1", thread_id="t1", sender=SELLER, text="текст", verdict=verdict(Action.REVIEW, Category.DISPARAGEMENT),
                         policy=policy, strikes_before=strikes_before, at=AT)
    assert r.review is not None
    return r, policy


LATER = AT + dt.timedelta(hours=2)


def test_an_approval_withdraws_the_strike_and_its_fines_and_announces_the_drop():
    r, policy = held()
    assert r.review is not None
    approved = r.review.resolve(ReviewDecision.APPROVE, "mod", "", LATER)
    assert approved.withdraws_strike
    w = withdraw_strike(violation=r.violation, penalties=r.penalties, policy=policy, strikes_in_window=1, suspensions=Suspensions(), at=LATER,
                        review_id=approved.review_id)
    assert w is not None and w.violation.withdrawn_at == LATER and not w.violation.counts
    assert [(p.penalty_id, p.withdrawn_at) for p in w.penalties] == [("m1:DISPARAGEMENT", LATER)]
    assert [type(e) for e in w.events] == [PenaltyWithdrawn, StandingChanged]
    assert [(e.previous, e.current) for e in w.events if isinstance(e, StandingChanged)] == [(Standing.WARNING, Standing.GOOD)]


def test_a_withdrawal_keeps_the_level_when_it_does_not_cross_a_threshold_and_needs_no_fine():
    r, policy = held(strikes_before=1, fined=False)
    assert r.review is not None
    w = withdraw_strike(violation=r.violation, penalties=(), policy=policy, strikes_in_window=2, suspensions=Suspensions(), at=LATER,
                        review_id="m1")
    assert w is not None and w.events == () and w.penalties == ()


def test_a_strike_outside_the_window_changes_no_level():
    r, policy = held()
    assert r.review is not None
    much_later = AT + dt.timedelta(days=31)
    # one other strike inside the window; the approved one is not among those counted
    w = withdraw_strike(violation=r.violation, penalties=r.penalties, policy=policy, strikes_in_window=1, suspensions=Suspensions(),
                        at=much_later, review_id="m1")
    assert w is not None and [type(e) for e in w.events] == [PenaltyWithdrawn]


def test_nothing_is_withdrawn_on_rejection_or_twice():
    r, policy = held()
    assert r.review is not None
    rejected = r.review.resolve(ReviewDecision.REJECT, "mod", "", LATER)
    assert not rejected.withdraws_strike, "a rejection keeps the strike"
    assert withdraw_strike(violation=r.violation.withdraw(AT), penalties=r.penalties, policy=policy,
                           strikes_in_window=0, suspensions=Suspensions(), at=LATER, review_id="m1") is None


@pytest.mark.parametrize("action,kept,masked", [
    (Action.REVIEW, "stored", ""),  # the held original: the moderator reads it
    (Action.MASK, "", "stored"),  # what the other side got; the original is not needed
    (Action.BLOCK, "", ""),  # no text is needed (the chat publishes none)
    (Action.WARN, "stored", ""),  # delivered as written
])
def test_what_is_kept_of_a_stored_messages_text_depends_on_its_action(action, kept, masked):
    command = RecordMessage.of_stored(
        message_id="m1", thread_id="t1", sender=Sender("u1", SenderRole.BUYER), action=action,
        categories=(Category.INSULT, Category.INSULT), reason="r", policy_version="v7", stored_text="stored", occurred_at=AT)
    assert (command.text, command.verdict.masked_text, command.verdict.action) == (kept, masked, action)
    assert command.verdict.categories == [Category.INSULT]


def test_a_lure_alone_is_not_fined_and_soliciting_a_contact_is_fined_as_contact_exchange():
    # a lure without a contact (buy directly, call us, our site): blocked, a strike, no fine
    assert recording(verdict(Action.BLOCK, Category.OFF_PLATFORM_LURE)).penalties == ()
    # soliciting the buyer's contact is found as CONTACT_EXCHANGE beside the lure: one fine, contact exchange's reason
    r = recording(verdict(Action.BLOCK, Category.OFF_PLATFORM_LURE, Category.CONTACT_EXCHANGE))
    assert [(p.penalty_id, p.category, p.fine, p.reason) for p in r.penalties] == [
        ("m1:CONTACT_EXCHANGE", Category.CONTACT_EXCHANGE, Fine(2_500_000, "RUB"), DEFAULT.reasons[Category.CONTACT_EXCHANGE])]
    assert r.penalties[0].reason.startswith("Обмен контактами запрещён")
    # a buyer is blocked but not fined (the policy fines sellers only)
    assert recording(verdict(Action.BLOCK, Category.OFF_PLATFORM_LURE, Category.CONTACT_EXCHANGE),
                     sender=Sender("b-1", SenderRole.BUYER)).penalties == ()


def test_a_message_with_several_fined_categories_is_fined_once_with_the_largest_fine():
    policy = dataclasses.replace(DEFAULT, fines={
        **DEFAULT.fines, (Category.INSULT, SenderRole.SELLER): Fine(500_000, "RUB"),
        (Category.THREAT, SenderRole.SELLER): Fine(3_000_000, "RUB")})
    for order in ((Category.INSULT, Category.THREAT, Category.CONTACT_EXCHANGE),
                  (Category.CONTACT_EXCHANGE, Category.THREAT, Category.INSULT)):
        r = record_violation(message_id="m1", thread_id="t1", sender=SELLER, text="", verdict=verdict(Action.BLOCK, *order),
                             policy=policy, strikes_before=0, at=AT)
        assert [(p.penalty_id, p.fine.amount_minor, p.reason) for p in r.penalties] == [
            ("m1:THREAT", 3_000_000, DEFAULT.reasons[Category.THREAT])], "the largest, whatever the order found"
    # equal fines: the category first in the policy's order, so the id is stable
    both = dataclasses.replace(DEFAULT, fines={**DEFAULT.fines, (Category.OFF_PLATFORM_LURE, SenderRole.SELLER): Fine(2_500_000, "RUB")})
    tie = verdict(Action.BLOCK, Category.OFF_PLATFORM_LURE, Category.CONTACT_EXCHANGE)
    r = record_violation(message_id="m1", thread_id="t1", sender=SELLER, text="", verdict=tie, policy=both, strikes_before=0, at=AT)
    assert [p.penalty_id for p in r.penalties] == ["m1:CONTACT_EXCHANGE"]


def test_a_penalty_reason_is_never_empty_even_for_a_policy_without_one():
    bare = dataclasses.replace(DEFAULT, reasons={})
    r = record_violation(message_id="m1", thread_id="t1", sender=SELLER, text="", verdict=verdict(Action.BLOCK, Category.CONTACT_EXCHANGE),
                         policy=bare, strikes_before=0, at=AT)
    assert r.penalties[0].reason == "Сообщение нарушает правила общения на маркетплейсе."
