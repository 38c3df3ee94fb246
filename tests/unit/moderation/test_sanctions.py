"""Suspensions that end and appeals that reverse, over fakes: no server, milliseconds."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok_platform.auth import bind_identity, reset_identity
from prilavok_platform.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from prilavok_platform.idempotency import IdempotencyKeyReused
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.replay import REPLAYED_HEADER
from services.moderation.domain.commands import (
    AppealDecision,
    GetSenderStanding,
    LiftSuspension,
    ListReviewQueue,
    RecordMessage,
    ResolveReview,
)
from services.moderation.domain.events import (
    AppealResolved,
    PenaltyWithdrawn,
    ReviewResolved,
    StandingChanged,
)
from services.moderation.domain.model import (
    Action,
    Category,
    Fine,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
    Sender,
    SenderRole,
    Standing,
    Verdict,
)
from services.moderation.domain.policy import Policy, PolicyError, SuspensionPolicy
from services.moderation.entrypoints.grpc_servicer import ModerationServicer
from tests.unit.moderation.fakes import DEFAULT, World
from tests.unit.platform.test_replay import RecordingContext

MODERATOR = Identity("mod-1", Role.MODERATOR)
SELLER = Identity("s-1", Role.SELLER, "shop-1")
COLLEAGUE = Identity("s-2", Role.SELLER, "shop-1")
OTHER_SHOP = Identity("s-9", Role.SELLER, "shop-9")
BUYER = Identity("b-1", Role.BUYER)
WRITER = Sender("s-1", SenderRole.SELLER, "shop-1")
SHOP = Party.shop("shop-1")


async def strike(world: World, message_id: str, *, action: Action = Action.BLOCK, category: Category = Category.CONTACT_EXCHANGE,
                 sender: Sender = WRITER) -> None:
    """A message the chat stored, dated now, recorded from its event (the chat reports no reason)."""
    verdict = Verdict.reported(action, (category,), "", DEFAULT.version)
    await world.handlers.record_message(RecordMessage(message_id, "t1", sender, "текст", verdict, world.clock.now()))


def changes(world: World) -> list[StandingChanged]:
    return world.uow.events_of(StandingChanged)


async def standing(world: World, shop_id: str = "shop-1"):
    return await world.handlers.get_sender_standing(GetSenderStanding(MODERATOR, shop_id=shop_id))


async def five_strikes(world: World, prefix: str = "m") -> None:
    for n in range(5):
        await strike(world, f"{prefix}{n}")
        world.clock.advance(dt.timedelta(hours=1))


def lift(request_id: str = "l1", reason: str = "Проверили, ошибка модерации", shop_id: str = "shop-1", caller: Identity = MODERATOR,
         sender_id: str = "") -> LiftSuspension:
    return LiftSuspension(caller, request_id, sender_id, shop_id, reason)


def appeal(message_id: str = "m0", *, caller: Identity = SELLER, request_id: str = "a1", reason: str = "Это был номер заказа",
           penalty_id: str = "") -> AppealDecision:
    return AppealDecision(caller, request_id, message_id, penalty_id, reason)


def fields(err: pytest.ExceptionInfo) -> set[str]:
    return {v.field for v in err.value.violations}


# --- suspensions ---------------------------------------------------------------------------


async def test_the_strike_that_reaches_the_threshold_suspends_the_shop_for_the_policys_days():
    world = World()
    await five_strikes(world)
    fifth_at = world.clock.now() - dt.timedelta(hours=1)
    last = changes(world)[-1]
    assert (last.previous, last.current, last.offender) == (Standing.RESTRICTED, Standing.SUSPENDED, SHOP)
    assert (last.suspended_until, last.suspended_party) == (fifth_at + dt.timedelta(days=7), SHOP)
    assert all(c.suspended_until is None for c in changes(world)[:-1]), "only a suspension carries an end"
    shown = await standing(world)
    assert shown.standing is Standing.SUSPENDED and shown.suspension is not None
    assert (shown.suspension.until, shown.suspension.party) == (fifth_at + dt.timedelta(days=7), SHOP)


async def test_a_policy_may_suspend_only_the_writer():
    world = World(dataclasses.replace(DEFAULT, suspension=SuspensionPolicy(days=3, whole_shop=False)))
    await five_strikes(world)
    last = changes(world)[-1]
    assert (last.current, last.offender, last.suspended_party) == (Standing.SUSPENDED, SHOP, Party.user("s-1"))
    assert last.suspended_until == world.clock.now() - dt.timedelta(hours=1) + dt.timedelta(days=3)
    # a buyer is suspended in person either way
    buyer = Sender("b-1", SenderRole.BUYER)
    for n in range(5):
        await strike(world, f"b{n}", category=Category.INSULT, sender=buyer)
    assert changes(world)[-1].suspended_party == Party.user("b-1")


WRITERS_ONLY = dataclasses.replace(DEFAULT, suspension=SuspensionPolicy(days=7, whole_shop=False))
COLLEAGUE_WRITER = Sender("s-2", SenderRole.SELLER, "shop-1")


async def test_when_only_writers_are_suspended_each_seller_at_the_threshold_is_suspended_in_person():
    """The review's reproduction: seller A's fifth strike suspends A; seller B of the same shop
    kept writing violations and was never suspended (the one suspension on record was the
    shop's, and it was in force)."""
    world = World(WRITERS_ONLY)
    await five_strikes(world)  # s-1 is suspended
    await strike(world, "b0", sender=COLLEAGUE_WRITER)  # the shop's sixth strike, s-2's first
    suspended = [(c.previous, c.current, c.suspended_party, c.sender.user_id) for c in changes(world) if c.suspended_party]
    assert suspended == [(Standing.RESTRICTED, Standing.SUSPENDED, Party.user("s-1"), "s-1"),
                         (Standing.RESTRICTED, Standing.SUSPENDED, Party.user("s-2"), "s-2")]
    announced = len(changes(world))
    await strike(world, "b1", sender=COLLEAGUE_WRITER)  # s-2 is suspended already: nothing new
    assert len(changes(world)) == announced
    for seller in ("s-1", "s-2"):
        shown = await world.handlers.get_sender_standing(GetSenderStanding(MODERATOR, sender_id=seller, shop_id="shop-1"))
        assert shown.standing is Standing.SUSPENDED and shown.suspension is not None and shown.suspension.party == Party.user(seller)
    # the shop as a whole is not suspended: its other sellers may write
    assert (await standing(world)).suspension is None


async def test_a_moderator_lifts_a_writers_suspension_by_the_suspended_user_and_nothing_else():
    world = World(WRITERS_ONLY)
    await five_strikes(world)
    await strike(world, "b0", sender=COLLEAGUE_WRITER)
    lifted = await world.handlers.lift_suspension(lift(shop_id="", sender_id="s-2"))
    assert (lifted.suspension.party, lifted.suspension.lifted_by, lifted.standing) == (Party.user("s-2"), "mod-1", Standing.RESTRICTED)
    released = changes(world)[-1]
    assert (released.previous, released.current, released.suspended_party, released.offender) == (
        Standing.SUSPENDED, Standing.RESTRICTED, Party.user("s-2"), SHOP)
    still = await world.handlers.get_sender_standing(GetSenderStanding(MODERATOR, sender_id="s-1", shop_id="shop-1"))
    assert still.standing is Standing.SUSPENDED, "the other seller's suspension stands"
    assert world.strike_counters.suspension(Party.user("s-1")).lifted_at is None  # type: ignore[union-attr]
    # nobody else is suspended: refused, and no counter document is written for them
    for who in ("s-2", "s-7"):
        with pytest.raises(FailedPrecondition) as err:
            await world.handlers.lift_suspension(lift(request_id=f"again-{who}", shop_id="", sender_id=who))
        assert err.value.reason == "NOT_SUSPENDED"
    with pytest.raises(FailedPrecondition):
        await world.handlers.lift_suspension(lift(request_id="shop"))  # the shop itself was never suspended
    assert set(world.strike_counters.changes) == {SHOP}


async def test_withdrawing_strikes_below_the_threshold_releases_every_writer_suspended():
    world = World(WRITERS_ONLY)
    await five_strikes(world)
    await strike(world, "b0", sender=COLLEAGUE_WRITER)
    for message_id in ("m0", "m1"):  # six strikes -> four
        await world.handlers.appeal_decision(appeal(message_id, request_id=f"a-{message_id}"))
        await world.handlers.resolve_review(ResolveReview(MODERATOR, f"{message_id}:appeal", ReviewDecision.REVERSE, "Ошибка"))
    released = [(c.previous, c.current, c.suspended_party) for c in changes(world) if c.previous is Standing.SUSPENDED]
    assert sorted(released, key=lambda r: str(r[2])) == [(Standing.SUSPENDED, Standing.RESTRICTED, Party.user("s-1")),
                                                        (Standing.SUSPENDED, Standing.RESTRICTED, Party.user("s-2"))]
    for seller in ("s-1", "s-2"):
        assert (await world.handlers.get_sender_standing(GetSenderStanding(MODERATOR, sender_id=seller, shop_id="shop-1"))).suspension is None


async def test_strikes_while_suspended_change_nothing_and_after_it_ran_out_the_next_strike_suspends_again():
    world = World()
    await five_strikes(world)
    first_until = changes(world)[-1].suspended_until
    assert first_until is not None
    await strike(world, "m5")  # a message stored while suspended (in flight): no second suspension, no event
    assert len(changes(world)) == 3 and (await standing(world)).suspension.until == first_until  # type: ignore[union-attr]
    # the suspension runs out: nothing is announced, the shop is RESTRICTED while its strikes stay at the threshold
    world.clock.advance(dt.timedelta(days=8))
    after = await standing(world)
    assert (after.standing, after.strikes_in_window, after.suspension) == (Standing.RESTRICTED, 6, None)
    assert len(changes(world)) == 3
    await strike(world, "m6")
    again = changes(world)[-1]
    assert (again.previous, again.current, again.suspended_until) == (
        Standing.RESTRICTED, Standing.SUSPENDED, world.clock.now() + dt.timedelta(days=7))


async def test_a_moderator_lifts_a_suspension_early_once_per_request():
    world = World()
    await five_strikes(world)
    world.clock.advance(dt.timedelta(days=1))
    lifted = await world.handlers.lift_suspension(lift())
    assert (lifted.suspension.lifted_at, lifted.suspension.lifted_by, lifted.standing) == (world.clock.now(), "mod-1", Standing.RESTRICTED)
    assert not lifted.replayed
    released = changes(world)[-1]
    assert (released.previous, released.current, released.suspended_party, released.suspended_until, released.offender) == (
        Standing.SUSPENDED, Standing.RESTRICTED, SHOP, None, SHOP)
    shown = await standing(world)
    assert (shown.standing, shown.suspension) == (Standing.RESTRICTED, None)
    published = list(world.uow.published)
    # a retry gets the first result, marked as a replay; the same id with another reason is refused naming it
    world.clock.advance(dt.timedelta(minutes=1))
    retry = await world.handlers.lift_suspension(lift())
    assert retry == lifted and retry.replayed
    with pytest.raises(IdempotencyKeyReused) as err:
        await world.handlers.lift_suspension(lift(reason="Другая причина"))
    assert fields(err) == {"reason"} and err.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert world.uow.published == published
    # nothing in force any more: another request is refused
    with pytest.raises(FailedPrecondition) as not_suspended:
        await world.handlers.lift_suspension(lift("l2"))
    assert not_suspended.value.reason == "NOT_SUSPENDED"
    # the next strike suspends the shop again
    await strike(world, "m9")
    assert (changes(world)[-1].previous, changes(world)[-1].current) == (Standing.RESTRICTED, Standing.SUSPENDED)


async def strike_written(world: World, message_id: str, written_at: dt.datetime) -> None:
    """A message written at `written_at` (the chat's time), recorded now (moderation's clock)."""
    verdict = Verdict.reported(Action.BLOCK, (Category.CONTACT_EXCHANGE,), "", DEFAULT.version)
    await world.handlers.record_message(RecordMessage(message_id, "t1", WRITER, "текст", verdict, written_at))


async def test_a_suspension_starts_when_moderation_records_the_strike_not_when_the_message_was_written():
    world = World()
    written = world.clock.now()
    for n in range(4):
        await strike_written(world, f"m{n}", written + dt.timedelta(seconds=n))
    world.clock.advance(dt.timedelta(minutes=10))  # the fifth message's event arrives late (a redelivery)
    await strike_written(world, "m4", written + dt.timedelta(seconds=10))
    suspended = changes(world)[-1]
    now = world.clock.now()
    assert (suspended.current, suspended.occurred_at, suspended.suspended_until) == (Standing.SUSPENDED, now, now + dt.timedelta(days=7))
    assert world.violations.items["m4"].at == written + dt.timedelta(seconds=10), "the strike keeps the message's time"


async def test_a_strike_written_before_a_lift_but_recorded_after_it_does_not_suspend_again():
    """The review's reproduction: five strikes suspend the shop, a moderator lifts it an hour
    later, then the event of a message written while it was suspended (the chat had not heard
    yet) arrives. It is a strike, but the lifted suspension answered for it: no new 7-day
    suspension, and nothing is announced that a reader could order before the lift."""
    world = World()
    t0 = world.clock.now()
    for n in range(4):
        await strike_written(world, f"m{n}", t0 + dt.timedelta(seconds=n))
    await strike_written(world, "m5", t0 + dt.timedelta(seconds=10))
    world.clock.advance(dt.timedelta(hours=1))
    await world.handlers.lift_suspension(lift())
    announced = len(changes(world))
    await strike_written(world, "m6", t0 + dt.timedelta(seconds=11))  # written while suspended, recorded after the lift
    await strike_written(world, "m3b", t0 + dt.timedelta(seconds=5))  # written before the suspension began
    assert len(changes(world)) == announced and len(world.violations.items) == 7
    shown = await standing(world)
    assert (shown.standing, shown.suspension, shown.strikes_in_window) == (Standing.RESTRICTED, None, 7)
    # a message written after the lift is a new offence: it suspends again, from now
    await strike_written(world, "m7", world.clock.now())
    again = changes(world)[-1]
    assert (again.previous, again.current, again.suspended_until) == (
        Standing.RESTRICTED, Standing.SUSPENDED, world.clock.now() + dt.timedelta(days=7))


async def test_every_standing_change_carries_the_partys_version_which_grows_with_each_change():
    world = World()
    await five_strikes(world)  # GOOD->WARNING (1st), ->RESTRICTED (3rd), ->SUSPENDED (5th)
    await world.handlers.lift_suspension(lift())  # the 6th change of the shop's record
    await strike(world, "m9")  # the 7th: suspends again
    held = Verdict.reported(Action.REVIEW, (Category.DISPARAGEMENT,), "", DEFAULT.version)
    await world.handlers.record_message(RecordMessage("held", "t1", WRITER, "текст", held, world.clock.now()))  # 8th
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "held", ReviewDecision.APPROVE))  # 9th: withdraws a strike
    versions = [(c.previous, c.current, c.standing_version) for c in changes(world)]
    assert versions == [(Standing.GOOD, Standing.WARNING, 1), (Standing.WARNING, Standing.RESTRICTED, 3),
                        (Standing.RESTRICTED, Standing.SUSPENDED, 5), (Standing.SUSPENDED, Standing.RESTRICTED, 6),
                        (Standing.RESTRICTED, Standing.SUSPENDED, 7)]
    assert world.strike_counters.changes[SHOP] == 9


async def test_only_moderators_lift_and_arguments_are_checked():
    world = World()
    await five_strikes(world)
    for caller in (SELLER, BUYER, Identity("sup", Role.SUPPORT), Identity("chat", Role.SERVICE)):
        with pytest.raises(PermissionDenied):
            await world.handlers.lift_suspension(lift(caller=caller))
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.lift_suspension(lift(request_id="", reason=" "))
    assert fields(err) == {"request_id", "reason"}
    with pytest.raises(InvalidArgument) as err:
        await world.handlers.lift_suspension(lift(shop_id="", sender_id=""))
    assert fields(err) == {"sender_id"}
    with pytest.raises(InvalidArgument):
        await world.handlers.lift_suspension(lift(sender_id="s-1"))  # a shop or a user, not both
    with pytest.raises(FailedPrecondition):
        await world.handlers.lift_suspension(lift(shop_id="shop-9"))
    assert (await standing(world)).standing is Standing.SUSPENDED


async def test_an_approval_that_takes_the_strikes_below_the_threshold_ends_the_suspension():
    world = World()
    for n in range(4):
        await strike(world, f"m{n}")
    await strike(world, "held", action=Action.REVIEW, category=Category.DISPARAGEMENT)
    assert changes(world)[-1].current is Standing.SUSPENDED
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "held", ReviewDecision.APPROVE))
    ended = changes(world)[-1]
    assert (ended.previous, ended.current, ended.suspended_party, ended.suspended_until, ended.standing_version) == (
        Standing.SUSPENDED, Standing.RESTRICTED, SHOP, None, 6)
    assert (await standing(world)).suspension is None
    assert world.strike_counters.suspension(SHOP).lifted_by  # type: ignore[union-attr] == "review:held"


POLICY_RAW = {"version": "x", "limits": {}, "marketplace": {}, "actions": {c.value: {"default": "BLOCK"} for c in Category},
              "reasons": {c.value: "причина" for c in Category}, "strikes": {}}


def fine_of(**fine) -> dict:
    return {**POLICY_RAW, "fines": {"CONTACT_EXCHANGE": {"seller": fine}}}


@pytest.mark.parametrize("raw,named", [
    (fine_of(amount_minor=0, currency_code="RUB"), "fines.CONTACT_EXCHANGE.seller.amount_minor"),
    (fine_of(amount_minor=-100, currency_code="RUB"), "fines.CONTACT_EXCHANGE.seller.amount_minor"),
    (fine_of(amount_minor="2500000", currency_code="RUB"), "fines.CONTACT_EXCHANGE.seller.amount_minor"),
    (fine_of(amount_minor=True, currency_code="RUB"), "fines.CONTACT_EXCHANGE.seller.amount_minor"),
    (fine_of(amount_minor=10**15, currency_code="RUB"), "fines.CONTACT_EXCHANGE.seller.amount_minor"),
    (fine_of(currency_code="RUB"), "fines.CONTACT_EXCHANGE.seller.amount_minor"),
    (fine_of(amount_minor=2_500_000, currency_code="USD"), "fines.CONTACT_EXCHANGE.seller.currency_code"),
    (fine_of(amount_minor=2_500_000, currency_code="rub"), "fines.CONTACT_EXCHANGE.seller.currency_code"),
    (fine_of(amount_minor=2_500_000, currency="RUB"), "fines.CONTACT_EXCHANGE.seller.unknown fields"),
    ({**fine_of(amount_minor=2_500_000), "marketplace": {"currency_code": "рубли"}}, "marketplace.currency_code"),
    ({**POLICY_RAW, "fines": {"CONTACT_EXCHANGE": {"courier": {"amount_minor": 1}}}}, "fines.CONTACT_EXCHANGE.courier"),
    ({**POLICY_RAW, "fines": {"SPAM": {"seller": {"amount_minor": 1}}}}, "fines.SPAM"),
    ({**POLICY_RAW, "fines": {"CONTACT_EXCHANGE": 2_500_000}}, "fines.CONTACT_EXCHANGE"),
    ({**POLICY_RAW, "fines": ["CONTACT_EXCHANGE"]}, "fines"),
    ({**POLICY_RAW, "reasons": {**POLICY_RAW["reasons"], "INSULT": "о" * 1001}}, "reasons.INSULT"),
])
def test_a_fine_that_could_never_be_posted_or_an_overlong_reason_refuses_the_policy(raw, named):
    with pytest.raises(PolicyError) as err:
        Policy.from_dict(raw)
    assert named in str(err.value)


def test_a_fine_is_in_the_marketplaces_currency_which_it_may_leave_out():
    policy = Policy.from_dict({**fine_of(amount_minor=2_500_000), "marketplace": {"currency_code": "KZT"}})
    assert (policy.currency_code, policy.fine_for(Category.CONTACT_EXCHANGE, SenderRole.SELLER)) == ("KZT", Fine(2_500_000, "KZT"))
    assert Policy.from_dict(fine_of(amount_minor=1, currency_code="RUB")).fines == {
        (Category.CONTACT_EXCHANGE, SenderRole.SELLER): Fine(1, "RUB")}
    assert DEFAULT.currency_code == "RUB" and all(f.currency_code == "RUB" and f.amount_minor > 0 for f in DEFAULT.fines.values())


def test_a_policy_with_a_bad_suspension_or_appeal_setting_is_refused():
    raw = {"version": "x", "limits": {}, "marketplace": {}, "actions": {c.value: {"default": "BLOCK"} for c in Category},
           "reasons": {c.value: "причина" for c in Category}, "strikes": {}}
    assert Policy.from_dict(raw).suspension == SuspensionPolicy(7, True)
    with pytest.raises(PolicyError) as err:
        Policy.from_dict({**raw, "suspension": {"days": 0, "whole_shop": "yes"}, "appeals": {"window_days": -1}})
    assert all(s in str(err.value) for s in ("suspension.days", "suspension.whole_shop", "appeals.window_days"))


# --- appeals ---------------------------------------------------------------------------------


async def test_the_offender_appeals_a_fine_and_it_waits_in_the_review_queue():
    world = World()
    await strike(world, "m0", category=Category.CONTACT_EXCHANGE)
    world.clock.advance(dt.timedelta(days=2))
    filed = await world.handlers.appeal_decision(appeal(penalty_id="m0:CONTACT_EXCHANGE", message_id=""))
    assert (filed.review_id, filed.kind, filed.status, filed.message_id, filed.appellant, filed.appealed_by) == (
        "m0:appeal", ReviewKind.APPEAL, ReviewStatus.PENDING, "m0", SHOP, "s-1")
    assert (filed.appeal_reason, filed.penalty_ids, filed.text) == ("Это был номер заказа", ("m0:CONTACT_EXCHANGE",), "")
    assert world.violations.items["m0"].appeal_id == "m0:appeal"
    appeals, _ = await world.handlers.list_review_queue(ListReviewQueue(MODERATOR, kind=ReviewKind.APPEAL))
    held, _ = await world.handlers.list_review_queue(ListReviewQueue(MODERATOR, kind=ReviewKind.HELD_MESSAGE))
    everything, _ = await world.handlers.list_review_queue(ListReviewQueue(MODERATOR))
    assert ([a.review_id for a in appeals], held, [i.review_id for i in everything]) == (["m0:appeal"], [], ["m0:appeal"])
    assert world.uow.events_of(AppealResolved) == []


@pytest.mark.parametrize("caller,allowed", [(SELLER, True), (COLLEAGUE, True), (OTHER_SHOP, False), (BUYER, False),
                                            (MODERATOR, False), (Identity("shop-1", Role.BUYER), False),
                                            (Identity("chat", Role.SERVICE), False)])
async def test_only_the_offender_may_appeal(caller, allowed):
    world = World()
    await strike(world, "m0")
    if allowed:
        assert (await world.handlers.appeal_decision(appeal(caller=caller))).appealed_by == caller.user_id
    else:
        with pytest.raises(PermissionDenied):
            await world.handlers.appeal_decision(appeal(caller=caller))
        assert world.reviews.items == {}


async def test_a_buyer_appeals_their_own_strike_and_nobody_elses():
    world = World()
    buyer = Sender("b-1", SenderRole.BUYER)
    await strike(world, "m0", category=Category.INSULT, sender=buyer)
    with pytest.raises(PermissionDenied):
        await world.handlers.appeal_decision(appeal(caller=Identity("b-2", Role.BUYER)))
    with pytest.raises(PermissionDenied):  # the same id in another role is someone else
        await world.handlers.appeal_decision(appeal(caller=Identity("b-1", Role.SUPPORT)))
    assert (await world.handlers.appeal_decision(appeal(caller=BUYER))).appellant == Party.user("b-1")


async def test_one_appeal_per_violation_and_request_ids_with_stripe_semantics():
    world = World()
    await strike(world, "m0")
    await strike(world, "m1")
    first = await world.handlers.appeal_decision(appeal())
    # the same request again: the same appeal (also once decided), marked as a replay (the first is not)
    retry = await world.handlers.appeal_decision(appeal())
    assert retry == first and (first.replayed, retry.replayed) == (False, True)
    # the same id with other values: refused naming what differs
    with pytest.raises(IdempotencyKeyReused) as err:
        await world.handlers.appeal_decision(appeal("m1", reason="Другое"))
    assert fields(err) == {"message_id", "reason"}
    # another request for the same violation, even by a colleague: one appeal per violation
    with pytest.raises(FailedPrecondition) as again:
        await world.handlers.appeal_decision(appeal(caller=COLLEAGUE, request_id="a2"))
    assert (again.value.reason, again.value.metadata) == ("APPEAL_ALREADY_FILED", {"appeal_id": "m0:appeal"})
    # a request id is the caller's own: a colleague may use "a1" for another violation (a first answer, no replay)
    colleagues = await world.handlers.appeal_decision(appeal("m1", caller=COLLEAGUE))
    assert (colleagues.review_id, colleagues.replayed) == ("m1:appeal", False)


@pytest.mark.parametrize("decision", [ReviewDecision.UPHOLD, ReviewDecision.REVERSE])
async def test_a_retried_appeal_answers_what_was_first_answered_also_once_decided(decision):
    """Stripe semantics: a retry after the appeal was decided gets the appeal as filed, the
    first answer - not its current status (the decision is the review queue's and the appellant
    is told it by notify)."""
    world = World()
    await strike(world, "m0")
    first = await world.handlers.appeal_decision(appeal())
    world.clock.advance(dt.timedelta(hours=2))
    decided = await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", decision, "Решение модератора"))
    assert decided.status is not ReviewStatus.PENDING
    world.clock.advance(dt.timedelta(hours=2))
    again = await world.handlers.appeal_decision(appeal())
    assert again == first and again.status is ReviewStatus.PENDING and again.resolved_at is None
    assert again.replayed and not first.replayed and not decided.replayed
    stored = world.reviews.items["m0:appeal"]
    assert stored == decided and not stored.replayed, "the stored appeal keeps its decision and is never marked"


async def test_a_request_id_is_the_callers_own_in_each_role():
    """One user id acting as a seller and as a buyer has two sets of request ids (as in returns):
    the same id in the other role is another request, neither a replay of the first nor a reuse."""
    world = World()
    await strike(world, "m0")  # the shop's violation, written by s-1
    await strike(world, "b0", category=Category.INSULT, sender=Sender("s-1", SenderRole.BUYER))  # s-1's own, as a buyer
    as_buyer = Identity("s-1", Role.BUYER)
    by_seller = await world.handlers.appeal_decision(appeal("m0", caller=SELLER, request_id="r"))
    by_buyer = await world.handlers.appeal_decision(appeal("b0", caller=as_buyer, request_id="r"))
    assert (by_seller.review_id, by_buyer.review_id) == ("m0:appeal", "b0:appeal")
    assert not by_seller.replayed and not by_buyer.replayed, "the same id in the other role is no replay"
    for caller, message_id, first in ((as_buyer, "b0", by_buyer), (SELLER, "m0", by_seller)):
        retry = await world.handlers.appeal_decision(appeal(message_id, caller=caller, request_id="r"))
        assert retry == first and retry.replayed
    assert by_seller.request is not None and by_seller.request.key == "seller\x1fs-1\x1fr"


async def test_a_retried_lift_answers_the_first_lift_whatever_happened_since():
    world = World()
    await five_strikes(world)
    first = await world.handlers.lift_suspension(lift())
    await strike(world, "m9")  # suspends the shop again
    world.clock.advance(dt.timedelta(days=1))
    retry = await world.handlers.lift_suspension(lift())
    assert retry == first and (first.replayed, retry.replayed) == (False, True)
    assert (await standing(world)).standing is Standing.SUSPENDED, "a retry lifts nothing"


async def test_the_servicer_marks_a_replayed_appeal_or_lift_and_no_first_answer():
    """A retry's answer carries the response metadata prilavok-idempotent-replayed: true (from
    the handlers' `replayed`), as chat and returns mark theirs; the first answer carries none."""
    world = World()
    await five_strikes(world)
    servicer = ModerationServicer(world.handlers)

    async def metadata_of(method: str, request, caller: Identity) -> list[tuple[str, str]]:
        context = RecordingContext()
        token = bind_identity(caller)
        try:
            await getattr(servicer, method)(request, context)
        finally:
            reset_identity(token)
        return context.sent

    filing = mpb.AppealDecisionRequest(request_id="a1", message_id="m0", reason="Это был номер заказа")
    lifting = mpb.LiftSuspensionRequest(request_id="l1", shop_id="shop-1", reason="Проверили, ошибка модерации")
    for method, request, caller in (("AppealDecision", filing, SELLER), ("LiftSuspension", lifting, MODERATOR)):
        assert await metadata_of(method, request, caller) == [], f"{method}: a first answer is not marked"
        assert await metadata_of(method, request, caller) == [(REPLAYED_HEADER, "true")], f"{method}: a retry is"


async def test_an_appeal_is_filed_within_the_window_for_a_strike_in_force_and_names_its_violation():
    world = World()
    await strike(world, "m0")
    await strike(world, "late")
    await strike(world, "held", action=Action.REVIEW, category=Category.DISPARAGEMENT)
    with pytest.raises(FailedPrecondition) as pending:
        await world.handlers.appeal_decision(appeal("held"))
    assert pending.value.reason == "REVIEW_PENDING"
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "held", ReviewDecision.APPROVE))
    with pytest.raises(FailedPrecondition) as withdrawn:
        await world.handlers.appeal_decision(appeal("held", request_id="a2"))
    assert withdrawn.value.reason == "VIOLATION_WITHDRAWN"
    with pytest.raises(NotFound):
        await world.handlers.appeal_decision(appeal("nope", request_id="a3"))
    with pytest.raises(NotFound):
        await world.handlers.appeal_decision(appeal("", penalty_id="nope", request_id="a4"))
    with pytest.raises(InvalidArgument) as mismatch:
        await world.handlers.appeal_decision(appeal("late", penalty_id="m0:CONTACT_EXCHANGE", request_id="a5"))
    assert fields(mismatch) == {"penalty_id"}
    with pytest.raises(InvalidArgument) as bad:
        await world.handlers.appeal_decision(appeal("", request_id="", reason="я" * 1001))
    assert fields(bad) == {"request_id", "message_id", "reason"}
    world.clock.advance(dt.timedelta(days=30, seconds=1))
    with pytest.raises(FailedPrecondition) as closed:
        await world.handlers.appeal_decision(appeal("late", request_id="a6"))
    assert closed.value.reason == "APPEAL_WINDOW_CLOSED" and "deadline" in closed.value.metadata
    assert [i.kind for i in world.reviews.items.values()] == [ReviewKind.HELD_MESSAGE]


async def test_decisions_of_the_wrong_kind_or_without_a_comment_are_invalid():
    world = World()
    await strike(world, "m0")
    await strike(world, "held", action=Action.REVIEW, category=Category.DISPARAGEMENT)
    await world.handlers.appeal_decision(appeal())
    for review_id, decision in (("m0:appeal", ReviewDecision.APPROVE), ("held", ReviewDecision.UPHOLD)):
        with pytest.raises(InvalidArgument) as err:
            await world.handlers.resolve_review(ResolveReview(MODERATOR, review_id, decision, "Комментарий"))
        assert fields(err) == {"decision"}
    for decision in (ReviewDecision.UPHOLD, ReviewDecision.REVERSE):
        with pytest.raises(InvalidArgument) as err:
            await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", decision, "  "))
        assert fields(err) == {"comment"}
    assert {i.status for i in world.reviews.items.values()} == {ReviewStatus.PENDING}


async def test_a_reversed_appeal_withdraws_the_strike_and_fine_restores_the_standing_and_is_announced():
    world = World()
    await strike(world, "m0", category=Category.CONTACT_EXCHANGE)
    assert (await standing(world)).standing is Standing.WARNING
    await world.handlers.appeal_decision(appeal())
    world.clock.advance(dt.timedelta(hours=3))
    before = len(world.uow.published)
    decided = await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", ReviewDecision.REVERSE,
                                                                "Вы правы: это был номер заказа"))
    now = world.clock.now()
    assert (decided.status, decided.resolved_by, decided.comment) == (ReviewStatus.REVERSED, "mod-1", "Вы правы: это был номер заказа")
    events = world.uow.published[before:]
    assert [type(e) for e in events] == [PenaltyWithdrawn, StandingChanged, AppealResolved], "no ReviewResolved for an appeal"
    withdrawn, change, resolved = events
    assert isinstance(withdrawn, PenaltyWithdrawn) and isinstance(change, StandingChanged) and isinstance(resolved, AppealResolved)
    assert (withdrawn.penalty.penalty_id, withdrawn.appeal_id, withdrawn.review_id, withdrawn.offender) == (
        "m0:CONTACT_EXCHANGE", "m0:appeal", "", SHOP)
    assert (change.previous, change.current) == (Standing.WARNING, Standing.GOOD)
    assert (resolved.appeal.review_id, resolved.reversed, resolved.penalty_ids, resolved.message_was_blocked) == (
        "m0:appeal", True, ("m0:CONTACT_EXCHANGE",), True)
    assert world.violations.items["m0"].withdrawn_at == now and world.penalties.items["m0:CONTACT_EXCHANGE"].withdrawn_at == now
    shown = await standing(world)
    assert (shown.standing, shown.strikes_total, shown.penalties) == (Standing.GOOD, 0, ())
    # decided once: the same decision again changes nothing, the other one is refused
    published = list(world.uow.published)
    assert await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", ReviewDecision.REVERSE, "Повтор")) == decided
    with pytest.raises(FailedPrecondition):
        await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", ReviewDecision.UPHOLD, "Передумал"))
    assert world.uow.published == published


async def test_an_upheld_appeal_changes_nothing_but_is_announced():
    world = World()
    await strike(world, "m0")
    await world.handlers.appeal_decision(appeal())
    before = len(world.uow.published)
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", ReviewDecision.UPHOLD, "Нарушение подтверждено"))
    [resolved] = world.uow.published[before:]
    assert isinstance(resolved, AppealResolved)
    assert (resolved.reversed, resolved.penalty_ids, resolved.appeal.comment, resolved.appeal.appellant) == (
        False, (), "Нарушение подтверждено", SHOP)
    shown = await standing(world)
    assert (shown.standing, shown.strikes_total, [p.penalty_id for p in shown.penalties]) == (
        Standing.WARNING, 1, ["m0:CONTACT_EXCHANGE"])


async def test_reversing_the_strike_that_suspended_the_shop_ends_the_suspension():
    world = World()
    await five_strikes(world)
    await world.handlers.appeal_decision(appeal("m4"))
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "m4:appeal", ReviewDecision.REVERSE, "Ошибка модерации"))
    ended = changes(world)[-1]
    assert (ended.previous, ended.current, ended.suspended_party, ended.suspended_until) == (
        Standing.SUSPENDED, Standing.RESTRICTED, SHOP, None)
    shown = await standing(world)
    assert (shown.standing, shown.strikes_in_window, shown.suspension) == (Standing.RESTRICTED, 4, None)
    assert world.strike_counters.suspension(SHOP).lifted_by  # type: ignore[union-attr] == "appeal:m4:appeal"


async def test_a_rejected_held_message_may_be_appealed_and_its_reversal_delivers_it():
    world = World()
    await strike(world, "held", action=Action.REVIEW, category=Category.DISPARAGEMENT)
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "held", ReviewDecision.REJECT, "Не обсуждайте склад"))
    await world.handlers.appeal_decision(appeal("held"))
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "held:appeal", ReviewDecision.REVERSE, "Допустимая критика"))
    [resolved] = world.uow.events_of(AppealResolved)
    assert (resolved.message_was_blocked, resolved.penalty_ids) == (True, ())
    assert [e.item.status for e in world.uow.events_of(ReviewResolved)] == [ReviewStatus.REJECTED]


async def test_a_masked_message_reversed_on_appeal_is_not_delivered_again():
    world = World()
    await strike(world, "m0", action=Action.MASK, category=Category.PERSONAL_DATA, sender=Sender("b-1", SenderRole.BUYER))
    await world.handlers.appeal_decision(appeal(caller=BUYER))
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", ReviewDecision.REVERSE, "Это был адрес ПВЗ"))
    assert [e.message_was_blocked for e in world.uow.events_of(AppealResolved)] == [False]


async def test_a_moderator_does_not_decide_their_own_appeal():
    world = World()
    await strike(world, "m0", category=Category.INSULT, sender=Sender("mod-2", SenderRole.MODERATOR))
    await world.handlers.appeal_decision(appeal(caller=Identity("mod-2", Role.MODERATOR)))
    with pytest.raises(PermissionDenied):
        await world.handlers.resolve_review(ResolveReview(Identity("mod-2", Role.MODERATOR), "m0:appeal", ReviewDecision.REVERSE, "Я прав"))
    await world.handlers.resolve_review(ResolveReview(MODERATOR, "m0:appeal", ReviewDecision.UPHOLD, "Нарушение подтверждено"))
