"""Moderation's use cases over fakes: no server, milliseconds."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from prilavok_platform.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.moderation.domain.commands import (
    MAX_BATCH,
    CheckMessage,
    CheckMessages,
    GetSenderStanding,
    ListReviewQueue,
    MessageCheck,
    RecordMessage,
    ResolveReview,
)
from services.moderation.domain.events import PenaltyIssued, ReviewResolved, StandingChanged, ViolationRecorded
from services.moderation.domain.model import (
    Action,
    Category,
    ReviewDecision,
    ReviewStatus,
    Sender,
    SenderRole,
    Standing,
    Verdict,
)
from services.moderation.domain.policy import StrikeThresholds
from tests.unit.moderation.fakes import DEFAULT, World

CHAT = Identity("chat", Role.SERVICE)
MODERATOR = Identity("mod-1", Role.MODERATOR)
SUPPORT = Identity("sup-1", Role.SUPPORT)
BUYER = Identity("b-1", Role.BUYER)
SELLER = Identity("s-1", Role.SELLER, "shop-1")

HONEST = "Здравствуйте! Товар есть в наличии, отправим завтра."
CONTACT = "Пишите в телеграм @shop_{n}, там дешевле"
DISPARAGING = "Склад маркетплейса дно, сами виноваты, не мы"


def item(text: str, *, message_id: str = "m1", role: SenderRole | None = SenderRole.SELLER, sender_id: str = "s-1",
         shop_id: str = "shop-1", record: bool = True) -> MessageCheck:
    return MessageCheck(message_id, "t1", sender_id, role, shop_id, text, record)


async def record(world: World, text: str, message_id: str = "m1", **kw):
    return await world.handlers.check_message(CheckMessage(CHAT, item(text, message_id=message_id, **kw)))


def fields(err: pytest.ExceptionInfo) -> dict[str, str]:
    return {v.field: v.description for v in err.value.violations}


# --- CheckMessage -------------------------------------------------------------------------


async def test_an_allowed_message_records_nothing():
    world = World()
    result = await record(world, HONEST)
    assert result.verdict.action is Action.ALLOW and result.review_id == ""
    assert world.violations.items == {} and world.uow.published == [] and world.uow.commits == 0


async def test_a_dry_run_of_a_violation_records_nothing():
    world = World()
    result = await world.handlers.check_message(CheckMessage(SELLER, item(CONTACT.format(n=1), record=False)))
    assert result.verdict.action is Action.BLOCK
    assert world.violations.items == {} and world.uow.published == []


async def test_a_violation_is_recorded_once_fined_per_policy_and_announced():
    world = World()
    result = await record(world, CONTACT.format(n=1))
    assert result.verdict.action is Action.BLOCK and result.review_id == ""
    violation = world.violations.items["m1"]
    assert violation.sender.offender == Party.shop("shop-1") and violation.at == world.clock.now()
    # the default policy fines a seller's contact exchange 25 000 roubles; the lure found with it costs nothing
    assert [(p.penalty_id, p.category, p.fine.amount_minor, p.fine.currency_code) for p in world.penalties.items.values()] == [
        ("m1:CONTACT_EXCHANGE", Category.CONTACT_EXCHANGE, 2_500_000, "RUB")]
    assert [type(e) for e in world.uow.published] == [ViolationRecorded, PenaltyIssued, StandingChanged]
    recorded = world.uow.events_of(ViolationRecorded)[0]
    assert (recorded.message_id, recorded.thread_id, recorded.verdict) == ("m1", "t1", result.verdict)


async def test_checking_the_same_message_again_records_nothing_new():
    world = World()
    first = await record(world, DISPARAGING)
    published = list(world.uow.published)
    again = await record(world, DISPARAGING)
    assert again == first and first.review_id == "m1"
    assert world.uow.published == published and len(world.violations.items) == 1 and len(world.reviews.items) == 1


async def test_a_review_verdict_queues_the_message_for_a_human():
    world = World()
    result = await record(world, DISPARAGING)
    assert result.verdict.action is Action.REVIEW and result.review_id == "m1"
    review = world.reviews.items["m1"]
    assert (review.status, review.text, review.created_at) == (ReviewStatus.PENDING, DISPARAGING, world.clock.now())
    assert world.violations.items["m1"].review_id == "m1"


async def test_buyers_are_not_fined_when_the_policy_sets_no_fine_for_them():
    world = World()
    result = await record(world, "ты идиот", role=SenderRole.BUYER, sender_id="b-1", shop_id="")
    assert result.verdict.action is Action.BLOCK
    assert world.penalties.items == {} and world.uow.events_of(PenaltyIssued) == []
    assert world.violations.items["m1"].sender.offender == Party.user("b-1")


async def test_a_fine_set_by_a_reloaded_policy_applies_from_the_next_check():
    fines = {**DEFAULT.fines}
    fines[(Category.INSULT, SenderRole.BUYER)] = dataclasses.replace(next(iter(DEFAULT.fines.values())), amount_minor=50_000)
    world = World()
    world.policies.replace(dataclasses.replace(DEFAULT, fines=fines, version="2"))
    result = await record(world, "ты идиот", role=SenderRole.BUYER, sender_id="b-1", shop_id="")
    assert result.verdict.policy_version == "2"
    assert [p.fine.amount_minor for p in world.penalties.items.values()] == [50_000]


async def test_a_retried_recording_check_answers_the_recorded_verdict_even_after_a_policy_reload():
    world = World()
    first = await record(world, DISPARAGING)
    assert first.verdict.action is Action.REVIEW and first.review_id == "m1"
    # the reloaded policy lets this text through: a retry must still say what the message was stored under
    lenient = {**DEFAULT.actions, **{(Category.DISPARAGEMENT, role): Action.ALLOW for role in SenderRole}}
    world.policies.replace(dataclasses.replace(DEFAULT, actions=lenient, version="2"))
    again = await record(world, DISPARAGING)
    assert again == first and again.verdict.policy_version == DEFAULT.version
    dry = await world.handlers.check_message(CheckMessage(CHAT, item(DISPARAGING, record=False)))
    assert dry.verdict.action is Action.ALLOW, "a dry run is judged by the policy in force"
    assert len(world.violations.items) == 1 and len(world.uow.events_of(ViolationRecorded)) == 1


async def test_the_standing_changes_exactly_when_a_threshold_is_crossed_inside_the_window():
    policy = dataclasses.replace(DEFAULT, strikes=StrikeThresholds(window_days=30, warning=1, restricted=3, suspended=5))
    world = World(policy)
    changes = []
    for n in range(5):
        await record(world, CONTACT.format(n=n), message_id=f"m{n}")
        changes.append([(e.previous, e.current) for e in world.uow.events_of(StandingChanged)])
        world.clock.advance(dt.timedelta(days=1))
    assert changes[-1] == [(Standing.GOOD, Standing.WARNING), (Standing.WARNING, Standing.RESTRICTED),
                           (Standing.RESTRICTED, Standing.SUSPENDED)]
    assert [len(c) for c in changes] == [1, 1, 2, 2, 3]  # the 1st, 3rd and 5th strike cross a threshold
    # a month later the old strikes have left the window: the next one is a first warning again
    world.clock.advance(dt.timedelta(days=31))
    await record(world, CONTACT.format(n=9), message_id="m9")
    assert [(e.previous, e.current) for e in world.uow.events_of(StandingChanged)][-1] == (Standing.GOOD, Standing.WARNING)


async def test_invalid_checks_name_their_fields():
    world = World()
    with pytest.raises(InvalidArgument) as err:
        await record(world, "   ", message_id="", shop_id="")
    assert set(fields(err)) == {"text", "message_id", "shop_id"}
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_message(CheckMessage(MODERATOR, item("я" * 4001, role=None, record=False)))
    assert set(fields(err)) == {"sender_role", "text"} and "4000" in fields(err)["text"]


# --- RecordMessage (the chat's message events) ---------------------------------------------


SHOP_SELLER = Sender("s-1", SenderRole.SELLER, "shop-1")


def stored(action: Action, *categories: Category, message_id: str = "c1", sender: Sender = SHOP_SELLER,
           text: str = "текст", at: dt.datetime | None = None) -> RecordMessage:
    verdict = Verdict.reported(action, categories, "причина", "2026-11-22.1")
    return RecordMessage(message_id, "t1", sender, text, verdict, at or dt.datetime(2026, 11, 22, 11, tzinfo=dt.UTC))


async def test_a_stored_message_is_recorded_once_with_the_fines_of_the_policy():
    world = World()
    command = stored(Action.BLOCK, Category.CONTACT_EXCHANGE, Category.OFF_PLATFORM_LURE)
    result = await world.handlers.record_message(command)
    assert result.review_id == "" and result.verdict == command.verdict
    violation = world.violations.items["c1"]
    # recorded when the chat stored it, not when the event arrived
    assert (violation.at, violation.sender.offender) == (command.occurred_at, Party.shop("shop-1"))
    assert [f.spans for f in violation.verdict.findings] == [(), ()], "the chat's events carry categories, not spans"
    assert [p.penalty_id for p in world.penalties.items.values()] == ["c1:CONTACT_EXCHANGE"]
    published = list(world.uow.published)
    assert [type(e) for e in published] == [ViolationRecorded, PenaltyIssued, StandingChanged]
    # the event redelivered (or the chat's recording check of the same message): nothing new
    assert await world.handlers.record_message(command) == result
    assert world.uow.published == published and len(world.penalties.items) == 1


async def test_a_held_message_is_queued_for_review_under_its_id_with_the_text_the_sender_wrote():
    world = World()
    result = await world.handlers.record_message(stored(Action.REVIEW, Category.DISPARAGEMENT, text=DISPARAGING))
    assert result.review_id == "c1"
    review = world.reviews.items["c1"]
    assert (review.status, review.text, review.message_id) == (ReviewStatus.PENDING, DISPARAGING, "c1")
    page, _ = await world.handlers.list_review_queue(ListReviewQueue(MODERATOR))
    assert [r.review_id for r in page] == ["c1"]


async def test_an_allowed_stored_message_records_nothing():
    world = World()
    await world.handlers.record_message(stored(Action.ALLOW))
    assert world.violations.items == {} and world.uow.commits == 0


async def test_a_recorded_event_counts_towards_the_standing_and_dates_it():
    world = World()
    before = await world.handlers.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-1"))
    assert (before.standing, before.updated_at) == (Standing.GOOD, None)
    await world.handlers.record_message(stored(Action.WARN, Category.INSULT, message_id="c1"))
    await world.handlers.record_message(stored(Action.BLOCK, Category.CONTACT_EXCHANGE, message_id="c2",
                                               at=dt.datetime(2026, 11, 22, 11, 30, tzinfo=dt.UTC)))
    after = await world.handlers.get_sender_standing(GetSenderStanding(MODERATOR, shop_id="shop-1"))
    assert (after.standing, after.strikes_in_window, after.updated_at) == (
        Standing.WARNING, 2, dt.datetime(2026, 11, 22, 11, 30, tzinfo=dt.UTC))


async def test_a_stored_message_without_ids_is_invalid():
    world = World()
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, message_id="",
                                                   sender=Sender("", SenderRole.SELLER)))
    assert set(fields(err)) == {"message_id", "sender.user_id", "sender.shop_id"}
    assert world.violations.items == {}


# --- CheckMessages ------------------------------------------------------------------------


async def test_a_batch_answers_in_order_and_records_each_item():
    world = World()
    items = (item(HONEST, message_id="a"), item(CONTACT.format(n=1), message_id="b"), item(DISPARAGING, message_id="c"))
    results = await world.handlers.check_messages(CheckMessages(CHAT, items))
    assert [r.verdict.action for r in results] == [Action.ALLOW, Action.BLOCK, Action.REVIEW]
    assert [r.review_id for r in results] == ["", "", "c"]
    assert set(world.violations.items) == {"b", "c"}


async def test_batch_limits_and_per_item_field_violations():
    world = World()
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_messages(CheckMessages(MODERATOR, ()))
    assert "items" in fields(err)
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_messages(CheckMessages(MODERATOR, (item(HONEST, record=False),) * (MAX_BATCH + 1)))
    assert "501" in fields(err)["items"]
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_messages(CheckMessages(CHAT, (item(HONEST, message_id="a"), item("", message_id="b", role=None))))
    assert set(fields(err)) == {"items[1].text", "items[1].sender_role"}
    assert world.violations.items == {}, "nothing of a refused batch is recorded"


# --- authorization ------------------------------------------------------------------------


async def test_a_buyer_may_not_check_as_a_seller():
    world = World()
    with pytest.raises(PermissionDenied):
        await world.handlers.check_message(CheckMessage(BUYER, item(HONEST, record=False)))
    with pytest.raises(PermissionDenied):
        await world.handlers.check_messages(CheckMessages(
            BUYER, (item(HONEST, role=SenderRole.BUYER, record=False), item(HONEST, role=SenderRole.SELLER, record=False))))
    ok = await world.handlers.check_message(CheckMessage(BUYER, item(HONEST, role=SenderRole.BUYER, shop_id="", record=False)))
    assert ok.verdict.action is Action.ALLOW


@pytest.mark.parametrize("caller", [SELLER, BUYER, MODERATOR, SUPPORT])
async def test_only_a_service_records(caller):
    world = World()
    with pytest.raises(PermissionDenied):
        await world.handlers.check_message(CheckMessage(caller, item(CONTACT.format(n=1))))
    assert world.violations.items == {}


# --- ListReviewQueue ----------------------------------------------------------------------


async def _queue(world: World, n: int) -> None:
    for i in range(n):
        await record(world, DISPARAGING, message_id=f"r{i}")
        world.clock.advance(dt.timedelta(seconds=1 if i % 2 else 0))  # ties on created_at too


@pytest.mark.parametrize("caller", [SELLER, BUYER, SUPPORT, CHAT])
async def test_only_moderators_see_the_queue(caller):
    with pytest.raises(PermissionDenied):
        await World().handlers.list_review_queue(ListReviewQueue(caller))


async def test_paging_by_one_returns_each_item_once_oldest_first_while_items_are_resolved():
    world = World()
    await _queue(world, 7)
    seen, token = [], ""
    while True:
        page, token = await world.handlers.list_review_queue(ListReviewQueue(MODERATOR, page_size=1, page_token=token))
        assert len(page) <= 1
        seen += [r.review_id for r in page]
        if len(seen) == 3:  # a moderator decides an item not yet seen meanwhile: it leaves the PENDING queue
            await world.handlers.resolve_review(ResolveReview(MODERATOR, "r5", ReviewDecision.APPROVE))
        if not token:
            break
    assert seen == ["r0", "r1", "r2", "r3", "r4", "r6"]
    approved, _ = await world.handlers.list_review_queue(ListReviewQueue(MODERATOR, ReviewStatus.APPROVED))
    assert [r.review_id for r in approved] == ["r5"]


async def test_a_token_not_returned_by_the_method_is_invalid():
    with pytest.raises(InvalidArgument):
        await World().handlers.list_review_queue(ListReviewQueue(MODERATOR, page_token="bm90IGEgdG9rZW4"))


# --- ResolveReview ------------------------------------------------------------------------


async def test_resolving_an_unknown_review_is_not_found():
    with pytest.raises(NotFound):
        await World().handlers.resolve_review(ResolveReview(MODERATOR, "nope", ReviewDecision.APPROVE))


@pytest.mark.parametrize("decision,status", [(ReviewDecision.APPROVE, ReviewStatus.APPROVED),
                                             (ReviewDecision.REJECT, ReviewStatus.REJECTED)])
async def test_a_decision_is_stored_and_announced_once(decision, status):
    world = World()
    await record(world, DISPARAGING)
    world.clock.advance(dt.timedelta(minutes=5))
    resolved = await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", decision, "Не обсуждайте склад"))
    assert (resolved.status, resolved.resolved_by, resolved.comment, resolved.resolved_at) == (
        status, "mod-1", "Не обсуждайте склад", world.clock.now())
    assert world.reviews.items["m1"] == resolved
    assert [e.item for e in world.uow.events_of(ReviewResolved)] == [resolved]
    with pytest.raises(FailedPrecondition) as err:
        await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", ReviewDecision.REJECT))
    assert err.value.reason == "REVIEW_ALREADY_RESOLVED"
    assert len(world.uow.events_of(ReviewResolved)) == 1 and world.reviews.items["m1"] == resolved


async def test_only_moderators_resolve_and_arguments_are_checked():
    world = World()
    await record(world, DISPARAGING)
    with pytest.raises(PermissionDenied):
        await world.handlers.resolve_review(ResolveReview(SUPPORT, "m1", ReviewDecision.APPROVE))
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.resolve_review(ResolveReview(MODERATOR, "", ReviewDecision.APPROVE, "я" * 1001))
    assert set(fields(err)) == {"review_id", "comment"}
    assert world.reviews.items["m1"].status is ReviewStatus.PENDING


# --- GetSenderStanding --------------------------------------------------------------------


async def test_a_seller_sees_their_shops_standing_and_no_other():
    world = World()
    for n in range(3):
        await record(world, CONTACT.format(n=n), message_id=f"m{n}")
    world.clock.advance(dt.timedelta(days=31))
    await record(world, CONTACT.format(n=9), message_id="m9")
    colleague = Identity("s-2", Role.SELLER, "shop-1")
    standing = await world.handlers.get_sender_standing(GetSenderStanding(colleague))
    assert (standing.standing, standing.strikes_in_window, standing.strikes_total) == (Standing.WARNING, 1, 4)
    # newest first; the three older ones were issued at the same moment
    assert standing.penalties[0].message_id == "m9"
    assert sorted(p.message_id for p in standing.penalties[1:]) == ["m0", "m1", "m2"]
    with pytest.raises(PermissionDenied):
        await world.handlers.get_sender_standing(GetSenderStanding(SELLER, shop_id="shop-2"))


async def test_a_buyer_sees_only_their_own_standing():
    world = World()
    await record(world, "ты идиот", role=SenderRole.BUYER, sender_id="b-1", shop_id="")
    mine = await world.handlers.get_sender_standing(GetSenderStanding(BUYER))
    assert (mine.standing, mine.strikes_in_window, mine.penalties) == (Standing.WARNING, 1, ())
    with pytest.raises(PermissionDenied):
        await world.handlers.get_sender_standing(GetSenderStanding(BUYER, sender_id="b-2"))


@pytest.mark.parametrize("caller", [MODERATOR, SUPPORT])
async def test_staff_see_anyones_standing_named_by_user_or_shop(caller):
    world = World()
    await record(world, CONTACT.format(n=1))
    shop = await world.handlers.get_sender_standing(GetSenderStanding(caller, shop_id="shop-1"))
    assert (shop.sender.shop_id, shop.standing, shop.strikes_total) == ("shop-1", Standing.WARNING, 1)
    buyer = await world.handlers.get_sender_standing(GetSenderStanding(caller, sender_id="b-9"))
    assert (buyer.standing, buyer.strikes_total) == (Standing.GOOD, 0)
    with pytest.raises(InvalidArgument):
        await world.handlers.get_sender_standing(GetSenderStanding(caller))
