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
from services.moderation.domain.events import (
    PenaltyIssued,
    PenaltyWithdrawn,
    ReviewResolved,
    StandingChanged,
    ViolationRecorded,
)
from services.moderation.domain.model import (
    Action,
    Category,
    Fine,
    ReviewDecision,
    ReviewStatus,
    Sender,
    SenderRole,
    Standing,
    Verdict,
    Violation,
)
from services.moderation.domain.policy import Policy, StrikeThresholds
from tests.unit.moderation.fakes import DEFAULT, World

CHAT = Identity("chat", Role.SERVICE)
MODERATOR = Identity("mod-1", Role.MODERATOR)
SUPPORT = Identity("sup-1", Role.SUPPORT)
BUYER = Identity("b-1", Role.BUYER)
SELLER = Identity("s-1", Role.SELLER, "shop-1")
SHOP_SELLER = Sender("s-1", SenderRole.SELLER, "shop-1")

HONEST = "Здравствуйте! Товар есть в наличии, отправим завтра."
CONTACT = "Пишите в телеграм @shop_{n}, там дешевле"
DISPARAGING = "Склад маркетплейса дно, сами виноваты, не мы"


def item(text: str, *, role: SenderRole | None = SenderRole.SELLER, sender_id: str = "s-1", shop_id: str = "shop-1") -> MessageCheck:
    return MessageCheck(sender_id, role, shop_id, text)


def fields(err: pytest.ExceptionInfo) -> dict[str, str]:
    return {v.field: v.description for v in err.value.violations}


async def send(world: World, text: str, message_id: str = "m1", sender: Sender = SHOP_SELLER) -> Violation | None:
    """What happens to a message sent in the chat: the chat asks for the verdict, stores the
    message under it, and moderation records it from the chat's event (dated now)."""
    verdict = await world.handlers.check_message(CheckMessage(CHAT, item(text, role=sender.role, sender_id=sender.user_id,
                                                                         shop_id=sender.shop_id)))
    return await world.handlers.record_message(RecordMessage(message_id, "t1", sender, text, verdict, world.clock.now()))


def stored(action: Action, *categories: Category, message_id: str = "c1", sender: Sender = SHOP_SELLER,
           text: str = "текст", at: dt.datetime | None = None, policy_version: str = DEFAULT.version) -> RecordMessage:
    verdict = Verdict.reported(action, categories, "причина", policy_version)
    return RecordMessage(message_id, "t1", sender, text, verdict, at or dt.datetime(2026, 11, 22, 11, tzinfo=dt.UTC))


def with_fine(category: Category, role: SenderRole, amount_minor: int, policy: Policy = DEFAULT, version: str = "2") -> Policy:
    return dataclasses.replace(policy, fines={**policy.fines, (category, role): Fine(amount_minor, "RUB")}, version=version)


async def standing_of_shop(world: World, shop_id: str = "shop-1"):
    return await world.handlers.get_sender_standing(GetSenderStanding(MODERATOR, shop_id=shop_id))


# --- CheckMessage / CheckMessages: a verdict only ----------------------------------------


async def test_a_check_records_nothing_even_for_a_violation_checked_by_the_chat():
    world = World()
    assert (await world.handlers.check_message(CheckMessage(CHAT, item(HONEST)))).action is Action.ALLOW
    verdict = await world.handlers.check_message(CheckMessage(CHAT, item(CONTACT.format(n=1))))
    assert verdict.action is Action.BLOCK and Category.CONTACT_EXCHANGE in verdict.categories
    assert world.violations.items == {} and world.uow.published == [] and world.uow.commits == 0


async def test_a_check_is_judged_by_the_policy_in_force():
    world = World()
    assert (await world.handlers.check_message(CheckMessage(CHAT, item(DISPARAGING)))).action is Action.REVIEW
    lenient = {**DEFAULT.actions, **{(Category.DISPARAGEMENT, role): Action.ALLOW for role in SenderRole}}
    world.policies.replace(dataclasses.replace(DEFAULT, actions=lenient, version="2"))
    verdict = await world.handlers.check_message(CheckMessage(CHAT, item(DISPARAGING)))
    assert (verdict.action, verdict.policy_version) == (Action.ALLOW, "2")


async def test_invalid_checks_name_their_fields():
    world = World()
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_message(CheckMessage(CHAT, item("   ")))
    assert set(fields(err)) == {"text"}
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_message(CheckMessage(MODERATOR, item("я" * 4001, role=None)))
    assert set(fields(err)) == {"sender_role", "text"} and "4000" in fields(err)["text"]


async def test_a_batch_answers_in_order_and_records_nothing():
    world = World()
    items = (item(HONEST), item(CONTACT.format(n=1)), item(DISPARAGING))
    verdicts = await world.handlers.check_messages(CheckMessages(CHAT, items))
    assert [v.action for v in verdicts] == [Action.ALLOW, Action.BLOCK, Action.REVIEW]
    assert world.violations.items == {} and world.uow.commits == 0


async def test_batch_limits_and_per_item_field_violations():
    world = World()
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_messages(CheckMessages(MODERATOR, ()))
    assert "items" in fields(err)
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_messages(CheckMessages(MODERATOR, (item(HONEST),) * (MAX_BATCH + 1)))
    assert "501" in fields(err)["items"]
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.check_messages(CheckMessages(CHAT, (item(HONEST), item("", role=None))))
    assert set(fields(err)) == {"items[1].text", "items[1].sender_role"}


async def test_users_check_only_their_own_drafts_staff_and_services_anything():
    world = World()
    for caller, draft in [(BUYER, item(HONEST)),  # a buyer as a seller
                          (BUYER, item(HONEST, role=SenderRole.BUYER, sender_id="b-2", shop_id="")),  # as another buyer
                          (SELLER, item(HONEST, shop_id="shop-2")),  # for another shop
                          (SELLER, item(HONEST, sender_id="s-2"))]:  # as a colleague
        with pytest.raises(PermissionDenied):
            await world.handlers.check_message(CheckMessage(caller, draft))
    with pytest.raises(PermissionDenied):
        await world.handlers.check_messages(CheckMessages(BUYER, (item(HONEST, role=SenderRole.BUYER, shop_id=""), item(HONEST))))
    own = [(BUYER, item(HONEST, role=SenderRole.BUYER, sender_id="b-1", shop_id="")),
           (BUYER, item(HONEST, role=SenderRole.BUYER, sender_id="", shop_id="")),
           (SELLER, item(HONEST)), (MODERATOR, item(HONEST, role=SenderRole.BUYER, sender_id="anyone")),
           (SUPPORT, item(HONEST)), (CHAT, item(HONEST, shop_id="shop-9"))]
    for caller, draft in own:
        assert (await world.handlers.check_message(CheckMessage(caller, draft))).action is Action.ALLOW


# --- RecordMessage (the chat's message events) ---------------------------------------------


async def test_a_violation_is_recorded_once_fined_per_policy_and_announced():
    world = World()
    violation = await send(world, CONTACT.format(n=1))
    assert violation is not None and violation.verdict.action is Action.BLOCK and violation.review_id == ""
    assert world.violations.items["m1"] == violation
    assert violation.sender.offender == Party.shop("shop-1") and violation.at == world.clock.now()
    # the default policy fines a seller's contact exchange 25 000 roubles; the lure found with it costs nothing
    assert [(p.penalty_id, p.category, p.fine.amount_minor, p.fine.currency_code) for p in world.penalties.items.values()] == [
        ("m1:CONTACT_EXCHANGE", Category.CONTACT_EXCHANGE, 2_500_000, "RUB")]
    assert [type(e) for e in world.uow.published] == [ViolationRecorded, PenaltyIssued, StandingChanged]
    recorded = world.uow.events_of(ViolationRecorded)[0]
    assert (recorded.message_id, recorded.thread_id, recorded.verdict) == ("m1", "t1", violation.verdict)


@pytest.mark.parametrize("text", ["Напишите мне в WhatsApp", "Оставьте ваш номер", "Скиньте свой телефон",
                                  "Оставьте ваши контакты, обсудим детали", "Скиньте телефон", "Какой у вас номер телефона?",
                                  "Подскажите ваш номер телефона", "Оставьте ваш e-mail", "Напишите вашу электронную почту"])
async def test_a_seller_soliciting_the_buyers_contact_is_blocked_and_fined_as_contact_exchange(text):
    world = World()
    violation = await send(world, text)
    assert violation is not None and violation.verdict.action is Action.BLOCK
    [penalty] = world.penalties.items.values()
    assert (penalty.penalty_id, penalty.fine, penalty.party) == ("m1:CONTACT_EXCHANGE", Fine(2_500_000, "RUB"), Party.shop("shop-1"))
    assert penalty.reason == DEFAULT.reasons[Category.CONTACT_EXCHANGE] != ""
    [issued] = world.uow.events_of(PenaltyIssued)
    assert issued.penalty == penalty


@pytest.mark.parametrize("text", ["Могу продать напрямую без комиссии маркетплейса", "Приезжайте к нам на склад, отдам дешевле",
                                  "Давайте созвонимся"])
async def test_a_lure_without_a_contact_is_blocked_and_a_strike_but_not_fined(text):
    world = World()
    violation = await send(world, text)
    assert violation is not None and violation.verdict.action is Action.BLOCK
    assert violation.verdict.categories == [Category.OFF_PLATFORM_LURE]
    assert (list(world.penalties.items), world.uow.events_of(PenaltyIssued)) == ([], [])


@pytest.mark.parametrize("text", ["Здравствуйте! Напишите, пожалуйста, ваш номер стикера с коробки, проверим поставку",
                                  "Мы отправим замену напрямую со склада завтра", "Оставьте ваш номер сборочного задания",
                                  "Заходите в наш магазин на Wildberries", "Можем созвониться через чат маркетплейса?"])
async def test_honest_messages_the_lure_rules_misfired_on_leave_no_record_and_no_fine(text):
    world = World()
    assert await send(world, text) is None
    assert (list(world.violations.items), list(world.penalties.items)) == ([], [])


async def test_the_penalty_reason_comes_from_the_policy_when_the_chats_event_reports_none():
    world = World()
    command = dataclasses.replace(stored(Action.BLOCK, Category.CONTACT_EXCHANGE),
                                  verdict=Verdict.reported(Action.BLOCK, (Category.CONTACT_EXCHANGE,), "", "v7"))
    await world.handlers.record_message(command)
    assert [p.reason for p in world.penalties.items.values()] == [DEFAULT.reasons[Category.CONTACT_EXCHANGE]]


async def test_a_stored_message_is_recorded_once_with_the_fines_of_the_policy():
    world = World()
    command = stored(Action.BLOCK, Category.CONTACT_EXCHANGE, Category.OFF_PLATFORM_LURE)
    violation = await world.handlers.record_message(command)
    assert violation is not None and violation.review_id == "" and violation.verdict == command.verdict
    # recorded when the chat stored it, not when the event arrived
    assert (violation.at, violation.sender.offender) == (command.occurred_at, Party.shop("shop-1"))
    assert [f.spans for f in violation.verdict.findings] == [(), ()], "the chat's events carry categories, not spans"
    assert [p.penalty_id for p in world.penalties.items.values()] == ["c1:CONTACT_EXCHANGE"]
    published = list(world.uow.published)
    assert [type(e) for e in published] == [ViolationRecorded, PenaltyIssued, StandingChanged]
    # the event redelivered: the first record is answered, nothing new
    assert await world.handlers.record_message(command) == violation
    assert world.uow.published == published and len(world.penalties.items) == 1


async def test_each_recording_writes_the_partys_document_before_counting_and_a_redelivery_does_not():
    world = World()
    await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, message_id="c1"))
    await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, message_id="c2"))
    await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, message_id="c1"))
    await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, sender=Sender("b-1", SenderRole.BUYER)))
    assert world.strike_counters.changes == {Party.shop("shop-1"): 2}


async def test_a_held_message_is_queued_for_review_under_its_id_with_the_text_the_sender_wrote():
    world = World()
    violation = await world.handlers.record_message(stored(Action.REVIEW, Category.DISPARAGEMENT, text=DISPARAGING))
    assert violation is not None and violation.review_id == "c1"
    review = world.reviews.items["c1"]
    assert (review.status, review.text, review.message_id) == (ReviewStatus.PENDING, DISPARAGING, "c1")
    page, _ = await world.handlers.list_review_queue(ListReviewQueue(MODERATOR))
    assert [r.review_id for r in page] == ["c1"]


async def test_an_allowed_stored_message_records_nothing():
    world = World()
    assert await world.handlers.record_message(stored(Action.ALLOW)) is None
    assert world.violations.items == {} and world.uow.commits == 0


async def test_buyers_are_not_fined_when_the_policy_sets_no_fine_for_them():
    world = World()
    violation = await send(world, "ты идиот", sender=Sender("b-1", SenderRole.BUYER))
    assert violation is not None and violation.verdict.action is Action.BLOCK
    assert world.penalties.items == {} and world.uow.events_of(PenaltyIssued) == []
    assert violation.sender.offender == Party.user("b-1")


async def test_fines_and_thresholds_are_the_policy_in_force_not_the_verdicts_version():
    """The chat stored the message under an older policy's verdict; the policy reloaded since
    fines buyers' insults and warns only from the second strike: the record follows it."""
    world = World()
    newer = with_fine(Category.INSULT, SenderRole.BUYER, 50_000, dataclasses.replace(
        DEFAULT, strikes=StrikeThresholds(window_days=30, warning=2, restricted=3, suspended=5)))
    world.policies.replace(newer)
    buyer = Sender("b-1", SenderRole.BUYER)
    violation = await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, sender=buyer, policy_version="2025-01-01.1"))
    assert violation is not None and violation.verdict.policy_version == "2025-01-01.1", "the verdict keeps the version that decided it"
    assert [p.fine.amount_minor for p in world.penalties.items.values()] == [50_000]
    assert world.uow.events_of(StandingChanged) == [], "one strike is still GOOD under the thresholds in force"
    await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, sender=buyer, message_id="c2"))
    assert [(e.previous, e.current) for e in world.uow.events_of(StandingChanged)] == [(Standing.GOOD, Standing.WARNING)]


async def test_the_standing_changes_exactly_when_a_threshold_is_crossed_inside_the_window():
    policy = dataclasses.replace(DEFAULT, strikes=StrikeThresholds(window_days=30, warning=1, restricted=3, suspended=5))
    world = World(policy)
    changes = []
    for n in range(5):
        await send(world, CONTACT.format(n=n), message_id=f"m{n}")
        changes.append([(e.previous, e.current) for e in world.uow.events_of(StandingChanged)])
        world.clock.advance(dt.timedelta(days=1))
    assert changes[-1] == [(Standing.GOOD, Standing.WARNING), (Standing.WARNING, Standing.RESTRICTED),
                           (Standing.RESTRICTED, Standing.SUSPENDED)]
    assert [len(c) for c in changes] == [1, 1, 2, 2, 3]  # the 1st, 3rd and 5th strike cross a threshold
    # a month later the old strikes have left the window: the next one is a first warning again
    world.clock.advance(dt.timedelta(days=31))
    await send(world, CONTACT.format(n=9), message_id="m9")
    assert [(e.previous, e.current) for e in world.uow.events_of(StandingChanged)][-1] == (Standing.GOOD, Standing.WARNING)


async def test_a_recorded_event_counts_towards_the_standing_and_dates_it():
    world = World()
    before = await standing_of_shop(world)
    assert (before.standing, before.updated_at) == (Standing.GOOD, None)
    await world.handlers.record_message(stored(Action.BLOCK, Category.CONTACT_EXCHANGE))
    await world.handlers.record_message(stored(Action.BLOCK, Category.CONTACT_EXCHANGE, message_id="c2",
                                               at=dt.datetime(2026, 11, 22, 11, 30, tzinfo=dt.UTC)))
    after = await standing_of_shop(world)
    assert (after.standing, after.strikes_in_window, after.updated_at) == (
        Standing.WARNING, 2, dt.datetime(2026, 11, 22, 11, 30, tzinfo=dt.UTC))


async def test_a_stored_message_without_ids_is_invalid():
    world = World()
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.record_message(stored(Action.BLOCK, Category.INSULT, message_id="",
                                                   sender=Sender("", SenderRole.SELLER)))
    assert set(fields(err)) == {"message_id", "sender.user_id", "sender.shop_id"}
    assert world.violations.items == {}


# --- ListReviewQueue ----------------------------------------------------------------------


async def _queue(world: World, n: int) -> None:
    for i in range(n):
        await send(world, DISPARAGING, message_id=f"r{i}")
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
    await send(world, DISPARAGING)
    world.clock.advance(dt.timedelta(minutes=5))
    resolved = await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", decision, "Не обсуждайте склад"))
    assert (resolved.status, resolved.resolved_by, resolved.comment, resolved.resolved_at) == (
        status, "mod-1", "Не обсуждайте склад", world.clock.now())
    assert world.reviews.items["m1"] == resolved
    assert [e.item for e in world.uow.events_of(ReviewResolved)] == [resolved]
    published = list(world.uow.published)
    other = ReviewDecision.REJECT if decision is ReviewDecision.APPROVE else ReviewDecision.APPROVE
    with pytest.raises(FailedPrecondition) as err:
        await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", other))
    assert err.value.reason == "REVIEW_ALREADY_RESOLVED"
    assert world.uow.published == published and world.reviews.items["m1"] == resolved


@pytest.mark.parametrize("decision", [ReviewDecision.APPROVE, ReviewDecision.REJECT])
@pytest.mark.parametrize("again_by", [MODERATOR, Identity("mod-2", Role.MODERATOR)])
async def test_the_same_decision_again_returns_the_item_as_decided(decision, again_by):
    """A retry after a timeout (or a second moderator agreeing) gets the decided item: nothing
    is saved, announced or withdrawn again."""
    world = World()
    await send(world, DISPARAGING)
    world.clock.advance(dt.timedelta(minutes=5))
    resolved = await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", decision, "Первое решение"))
    published = list(world.uow.published)
    world.clock.advance(dt.timedelta(minutes=5))
    again = await world.handlers.resolve_review(ResolveReview(again_by, "m1", decision, "Повтор"))
    assert again == resolved and world.reviews.items["m1"] == resolved
    assert (again.resolved_by, again.comment, again.resolved_at) == ("mod-1", "Первое решение", resolved.resolved_at)
    assert world.uow.published == published


async def test_only_moderators_resolve_and_arguments_are_checked():
    world = World()
    await send(world, DISPARAGING)
    with pytest.raises(PermissionDenied):
        await world.handlers.resolve_review(ResolveReview(SUPPORT, "m1", ReviewDecision.APPROVE))
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.resolve_review(ResolveReview(MODERATOR, "", ReviewDecision.APPROVE, "я" * 1001))
    assert set(fields(err)) == {"review_id", "comment"}
    assert world.reviews.items["m1"].status is ReviewStatus.PENDING


async def test_an_approved_message_takes_back_its_strike_and_fine_and_the_standing_drops():
    world = World(with_fine(Category.DISPARAGEMENT, SenderRole.SELLER, 100_000))
    await send(world, DISPARAGING)
    assert (await standing_of_shop(world)).standing is Standing.WARNING
    world.clock.advance(dt.timedelta(hours=1))
    before = len(world.uow.published)
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", ReviewDecision.APPROVE))
    now = world.clock.now()
    assert world.violations.items["m1"].withdrawn_at == now, "the violation stays on record, withdrawn"
    assert [p.withdrawn_at for p in world.penalties.items.values()] == [now]
    events = world.uow.published[before:]
    assert [type(e) for e in events] == [ReviewResolved, PenaltyWithdrawn, StandingChanged]
    withdrawn, change = events[1], events[2]
    assert isinstance(withdrawn, PenaltyWithdrawn) and isinstance(change, StandingChanged)
    assert (withdrawn.penalty.penalty_id, withdrawn.penalty.fine.amount_minor, withdrawn.review_id, withdrawn.offender) == (
        "m1:DISPARAGEMENT", 100_000, "m1", Party.shop("shop-1"))
    assert (change.previous, change.current, change.offender) == (Standing.WARNING, Standing.GOOD, Party.shop("shop-1"))
    standing = await standing_of_shop(world)
    assert (standing.standing, standing.strikes_in_window, standing.strikes_total, standing.penalties, standing.updated_at) == (
        Standing.GOOD, 0, 0, (), None)
    # the chat then delivers the approved message: its event records nothing again
    violation = await world.handlers.record_message(RecordMessage("m1", "t1", SHOP_SELLER, DISPARAGING,
                                                                  world.violations.items["m1"].verdict, now))
    assert violation is not None and violation.withdrawn_at == now
    assert len(world.uow.published) == before + 3 and (await standing_of_shop(world)).strikes_total == 0


async def test_a_rejected_message_keeps_its_strike_and_fine():
    world = World(with_fine(Category.DISPARAGEMENT, SenderRole.SELLER, 100_000))
    await send(world, DISPARAGING)
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", ReviewDecision.REJECT, "Не обсуждайте склад"))
    assert world.uow.events_of(PenaltyWithdrawn) == [] and len(world.uow.events_of(StandingChanged)) == 1
    standing = await standing_of_shop(world)
    assert (standing.standing, standing.strikes_total, [p.message_id for p in standing.penalties]) == (Standing.WARNING, 1, ["m1"])


async def test_an_approval_announces_the_standing_only_when_it_drops():
    world = World()
    for n in range(2):  # two strikes: WARNING either way
        await send(world, CONTACT.format(n=n), message_id=f"m{n}")
    await send(world, DISPARAGING, message_id="h")  # the third: RESTRICTED
    await send(world, DISPARAGING, message_id="h2")  # the fourth: still RESTRICTED
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "h2", ReviewDecision.APPROVE))
    assert [(e.previous, e.current) for e in world.uow.events_of(StandingChanged)][-1] == (Standing.WARNING, Standing.RESTRICTED)
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "h", ReviewDecision.APPROVE))
    assert [(e.previous, e.current) for e in world.uow.events_of(StandingChanged)][-1] == (Standing.RESTRICTED, Standing.WARNING)
    assert world.uow.events_of(PenaltyWithdrawn) == [], "no fine was issued for the held messages"
    assert (await standing_of_shop(world)).strikes_total == 2
    assert world.strike_counters.changes[Party.shop("shop-1")] == 6, "four recordings and two withdrawals"


async def test_approving_a_strike_that_left_the_window_changes_no_level_but_withdraws_its_fine():
    world = World(with_fine(Category.DISPARAGEMENT, SenderRole.SELLER, 100_000))
    await send(world, DISPARAGING)
    world.clock.advance(dt.timedelta(days=31))
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "m1", ReviewDecision.APPROVE))
    assert len(world.uow.events_of(StandingChanged)) == 1, "only the first warning"
    assert [e.penalty.penalty_id for e in world.uow.events_of(PenaltyWithdrawn)] == ["m1:DISPARAGEMENT"]
    assert (await standing_of_shop(world)).strikes_total == 0


# --- GetSenderStanding --------------------------------------------------------------------


async def test_a_seller_sees_their_shops_standing_and_no_other():
    world = World()
    for n in range(3):
        await send(world, CONTACT.format(n=n), message_id=f"m{n}")
    world.clock.advance(dt.timedelta(days=31))
    await send(world, CONTACT.format(n=9), message_id="m9")
    colleague = Identity("s-2", Role.SELLER, "shop-1")
    standing = await world.handlers.get_sender_standing(GetSenderStanding(colleague))
    assert (standing.standing, standing.strikes_in_window, standing.strikes_total) == (Standing.WARNING, 1, 4)
    # newest first; the three older ones were issued at the same moment
    assert standing.penalties[0].message_id == "m9"
    assert sorted(p.message_id for p in standing.penalties[1:]) == ["m0", "m1", "m2"]
    with pytest.raises(PermissionDenied):
        await world.handlers.get_sender_standing(GetSenderStanding(SELLER, shop_id="shop-2"))
    assert (await world.handlers.get_sender_standing(GetSenderStanding(SELLER, shop_id="shop-1"))).strikes_total == 4
    # a seller's standing is the shop's, whoever wrote: a sender_id is refused, not ignored
    for sender_id in ("s-1", "s-2"):
        with pytest.raises(InvalidArgument) as err:
            await world.handlers.get_sender_standing(GetSenderStanding(SELLER, sender_id=sender_id))
        assert set(fields(err)) == {"sender_id"}


async def test_a_standing_shows_the_latest_penalties_only():
    world = World()
    for n in range(52):
        await world.handlers.record_message(stored(Action.BLOCK, Category.CONTACT_EXCHANGE, message_id=f"c{n:02}",
                                                   at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)))
    standing = await standing_of_shop(world)
    assert standing.strikes_total == 52 and len(standing.penalties) == 50
    assert [p.message_id for p in standing.penalties[:2]] == ["c51", "c50"] and standing.penalties[-1].message_id == "c02"


async def test_a_buyer_sees_only_their_own_standing():
    world = World()
    await send(world, "ты идиот", sender=Sender("b-1", SenderRole.BUYER))
    mine = await world.handlers.get_sender_standing(GetSenderStanding(BUYER))
    assert (mine.standing, mine.strikes_in_window, mine.penalties) == (Standing.WARNING, 1, ())
    with pytest.raises(PermissionDenied):
        await world.handlers.get_sender_standing(GetSenderStanding(BUYER, sender_id="b-2"))
    assert (await world.handlers.get_sender_standing(GetSenderStanding(BUYER, sender_id="b-1"))).strikes_total == 1
    # a buyer has no shop: a shop_id is refused, not ignored
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.get_sender_standing(GetSenderStanding(BUYER, shop_id="shop-1"))
    assert set(fields(err)) == {"shop_id"}


@pytest.mark.parametrize("caller", [MODERATOR, SUPPORT])
async def test_staff_see_anyones_standing_named_by_user_or_shop(caller):
    world = World()
    await send(world, CONTACT.format(n=1))
    shop = await world.handlers.get_sender_standing(GetSenderStanding(caller, shop_id="shop-1"))
    assert (shop.sender.shop_id, shop.standing, shop.strikes_total) == ("shop-1", Standing.WARNING, 1)
    buyer = await world.handlers.get_sender_standing(GetSenderStanding(caller, sender_id="b-9"))
    assert (buyer.standing, buyer.strikes_total) == (Standing.GOOD, 0)
    with pytest.raises(InvalidArgument):
        await world.handlers.get_sender_standing(GetSenderStanding(caller))
