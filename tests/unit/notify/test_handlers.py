"""Notify's use cases over fake repositories and the in-memory unit of work: no server, no I/O.
Events go in through the consumer's dispatcher, so each test covers event -> command -> handler
-> domain -> what is stored and announced."""
from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace

import pytest

from prilavok.chat.v1 import chat_pb2
from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok.notify.v1 import notify_pb2 as pb
from prilavok.returns.v1 import events_pb2 as returns_events
from prilavok.returns.v1 import returns_pb2
from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import Aborted, InvalidArgument, PermissionDenied, ResourceExhausted
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage, TransientError
from prilavok_platform.protobuf import actor_to_pb, party_to_pb, timestamp
from services.notify.adapters.preferences_cache import PREFERENCES_CACHE_SECONDS, TtlPreferencesCache
from services.notify.adapters.protos import claim_from_pb, preferences_change_from_pb, preferences_to_pb
from services.notify.domain import commands
from services.notify.domain import notifications as tell
from services.notify.domain.model import MAX_IDS_PER_MARK, Kind, Notification, Preferences, PreferencesChange
from services.notify.entrypoints import consumers
from services.notify.service_layer.handlers import NotifyHandlers
from services.notify.service_layer.ports import StoredPreferences
from tests.unit.notify.fakes import FakeFanout, fake_unit_of_work

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
AT = dt.datetime(2026, 11, 22, 9, 59, 30, tzinfo=dt.UTC)  # when the events happened
BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u-s1", Role.SELLER, "s1")
OTHER_SELLER_OF_THE_SHOP = Identity("u2-s1", Role.SELLER, "s1")
SUPPORT = Identity("agent", Role.SUPPORT)
MODERATOR = Identity("mod", Role.MODERATOR)
BUYER_P, SHOP_P, DESK = Party.user("b1"), Party.shop("s1"), Party.support()


def make_env(queue_limit: int = 1000) -> SimpleNamespace:
    uow = fake_unit_of_work()
    fanout = FakeFanout(queue_limit)
    clock = FixedClock(NOW)
    handlers = NotifyHandlers(uow, fanout, TtlPreferencesCache(clock))
    return SimpleNamespace(uow=uow, repos=uow.repos, fanout=fanout, handlers=handlers, clock=clock,
                           dispatch=consumers.dispatcher(handlers))


@pytest.fixture
def env():
    return make_env()


async def consume(env, event, *, event_type: str | None = None) -> None:
    # as the producer's outbox relay publishes it: the type and the producer headers, on the producer's subjects
    producer = event.DESCRIPTOR.full_name.split(".")[1]
    headers = {EVENT_TYPE_HEADER: event_type if event_type is not None else event.DESCRIPTOR.full_name, "Prilavok-Producer": producer}
    await env.dispatch(SimpleNamespace(headers=headers, data=event.SerializeToString(), subject=f"test.{producer}.event"))


def thread() -> chat_pb2.Thread:
    return chat_pb2.Thread(thread_id="t1", kind=chat_pb2.THREAD_KIND_ORDER, buyer_id="b1", shop_id="s1", order_id="o1")


def delivered(event_id="e1", sender=BUYER, recipients=(SHOP_P,), text="Здравствуйте! Когда отправите?"):
    return chat_events.MessageDelivered(
        event_id=event_id, occurred_at=timestamp(AT), thread=thread(),
        message=chat_pb2.Message(message_id="m1", thread_id="t1", sender=actor_to_pb(sender), text=text),
        recipients=[party_to_pb(r) for r in recipients])


def claim(status=returns_pb2.CLAIM_STATUS_AWAITING_SELLER) -> returns_pb2.Claim:
    return returns_pb2.Claim(claim_id="c1", order_id="o1", buyer_id="b1", shop_id="s1", thread_id="t1", status=status)


def status_changed(event_id: str, status: int, by: Identity | None, comment: str = "") -> returns_events.ClaimStatusChanged:
    return returns_events.ClaimStatusChanged(event_id=event_id, occurred_at=timestamp(AT), claim=claim(status),
                                             changed_by=actor_to_pb(by) if by else None, comment=comment)


def penalty(offender: Party | None, sender: Identity = SELLER) -> moderation_events.PenaltyIssued:
    return moderation_events.PenaltyIssued(
        event_id="p", occurred_at=timestamp(AT), sender=actor_to_pb(sender),
        offender=party_to_pb(offender) if offender else None,
        penalty=moderation_pb2.Penalty(fine=common_pb2.Money(amount_minor=2_500_000, currency_code="RUB"), reason="Запрос контактов."))


def rub(amount_minor: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount_minor, currency_code="RUB")


def refund(event_id: str = "r") -> returns_events.RefundIssued:
    """As an older returns published it: the total only."""
    return returns_events.RefundIssued(event_id=event_id, occurred_at=timestamp(AT), claim_id="c1", buyer_id="b1", shop_id="s1",
                                       amount=rub(249_990))


def split_refund(refund_minor: int, shipping_minor: int) -> returns_events.RefundIssued:
    """As returns publishes it now: the total and its split (both always set, zero when none)."""
    return returns_events.RefundIssued(event_id="r", occurred_at=timestamp(AT), claim_id="c1", buyer_id="b1", shop_id="s1",
                                       amount=rub(refund_minor + shipping_minor), posting_id="refund:c1",
                                       refund=rub(refund_minor), shipping_reimbursement=rub(shipping_minor))


def stored(env) -> dict[str, Notification]:
    return env.repos.notifications.stored


def kinds_and_recipients(env) -> list[tuple[Kind, Party]]:
    return sorted((n.kind, n.recipient) for n in stored(env).values())


# --- consumed events: who is told what ----------------------------------------------------------

async def test_a_delivered_message_tells_exactly_the_recipients_chat_named(env):
    # The thread has a buyer and a shop; chat names only the shop (the buyer sent it).
    await consume(env, delivered())
    [n] = stored(env).values()
    assert n.recipient == SHOP_P and n.kind is Kind.NEW_MESSAGE and n.thread_id == "t1"
    assert n.notification_id == "e1:shop:s1" and "Когда отправите" in n.body
    assert n.created_at == AT  # the event's time, not the clock's
    assert n.title == "Новое сообщение от покупателя по заказу o1"
    assert env.fanout.announced == [n]


async def test_a_support_reply_goes_to_whom_chat_names(env):
    await consume(env, delivered(sender=SUPPORT, recipients=(Party.user("author"),)))
    [n] = stored(env).values()
    assert n.recipient == Party.user("author") and n.title == "Ответ службы поддержки"


async def test_held_and_blocked_messages_tell_the_sender(env):
    message = chat_pb2.Message(message_id="m1", sender=actor_to_pb(SELLER), moderation=chat_pb2.ModerationOutcome(reason="Не обсуждайте контакты."))
    common = dict(occurred_at=timestamp(AT), thread=thread(), message=message, recipients=[party_to_pb(SHOP_P)])
    await consume(env, chat_events.MessageHeld(event_id="h", **common))
    await consume(env, chat_events.MessageBlocked(event_id="b", **common))
    assert kinds_and_recipients(env) == sorted([(Kind.MESSAGE_HELD, SHOP_P), (Kind.MESSAGE_BLOCKED, SHOP_P)])
    assert stored(env)["b:shop:s1"].body == "Не обсуждайте контакты."
    assert stored(env)["h:shop:s1"].body.startswith("Сообщение будет доставлено после проверки")


def undelivered(event_id="u", review_id="", appeal_id="a1", recipients=(SHOP_P,)) -> chat_events.MessageUndelivered:
    closed = chat_pb2.Thread(thread_id="t1", kind=chat_pb2.THREAD_KIND_ORDER, buyer_id="b1", shop_id="s1", order_id="o1",
                             status=chat_pb2.THREAD_STATUS_CLOSED, closed_at=timestamp(AT - dt.timedelta(hours=1)))
    message = chat_pb2.Message(message_id="m1", thread_id="t1", sender=actor_to_pb(SELLER), status=chat_pb2.MESSAGE_STATUS_UNDELIVERED,
                               created_at=timestamp(AT - dt.timedelta(hours=3)), status_reason="Обжалование удовлетворено, но ...")
    return chat_events.MessageUndelivered(event_id=event_id, occurred_at=timestamp(AT), thread=closed, message=message,
                                          recipients=[party_to_pb(r) for r in recipients], review_id=review_id, appeal_id=appeal_id)


async def test_a_message_cleared_after_its_chat_closed_tells_the_senders_party_once(env):
    await consume(env, undelivered())
    await consume(env, undelivered())  # redelivered
    await consume(env, undelivered("r", review_id="m1", appeal_id=""))  # (a held message approved, in another thread's life)
    assert sorted(stored(env)) == ["r:shop:s1", "u:shop:s1"]
    on_appeal, on_review = stored(env)["u:shop:s1"], stored(env)["r:shop:s1"]
    assert (on_appeal.kind, on_appeal.title, on_appeal.thread_id, on_appeal.created_at) == (
        Kind.MESSAGE_UNDELIVERED, "Сообщение не доставлено: чат закрыт", "t1", AT)
    assert on_appeal.body == ("Ваша апелляция удовлетворена: модератор отменил блокировку сообщения от 22.11.2026 06:59 UTC по заказу o1, "
                              "но доставить его нельзя: чат закрыт 22.11.2026 08:59 UTC. Сообщение видно только вам.")
    assert on_review.body.startswith("Модератор проверил ваше сообщение от 22.11.2026 06:59 UTC по заказу o1 и одобрил его")
    assert [n.notification_id for n in env.fanout.announced] == ["u:shop:s1", "r:shop:s1"]
    inbox = await env.handlers.list_notifications(commands.ListNotifications(OTHER_SELLER_OF_THE_SHOP))
    assert len(inbox.notifications) == 2, "every seller of the shop reads it"
    assert (await env.handlers.list_notifications(commands.ListNotifications(BUYER))).notifications == [], "the buyer is not told"


async def test_an_undelivered_message_is_muted_like_any_kind_and_without_a_recipient_is_poison(env):
    await env.handlers.update_preferences(commands.UpdatePreferences(SELLER, mute(Kind.MESSAGE_UNDELIVERED)))
    await consume(env, undelivered())
    assert not stored(env)
    nameless = undelivered("x")
    nameless.recipients[0].id = ""  # a shop without its id: nobody to tell
    with pytest.raises(PoisonMessage):
        await consume(env, nameless)
    with pytest.raises(PoisonMessage):
        await consume(env, without_time(undelivered("y")))


async def test_a_reply_deadline_tells_the_party_that_owes_the_reply(env):
    await consume(env, chat_events.ReplyDeadline(event_id="d", occurred_at=timestamp(AT), thread=thread(),
                                                 due_at=timestamp(NOW + dt.timedelta(hours=2)), breached=True,
                                                 recipients=[party_to_pb(SHOP_P)]))
    [n] = stored(env).values()
    assert (n.kind, n.recipient, n.title) == (Kind.REPLY_DEADLINE, SHOP_P, "Срок ответа истёк")
    assert n.body == "Покупатель ждёт ответа по заказу o1. Срок ответа истёк 22.11.2026 12:00 UTC."


async def test_a_support_threads_deadline_names_its_author_who_waits(env):
    support_thread = chat_pb2.Thread(thread_id="t2", kind=chat_pb2.THREAD_KIND_SUPPORT, shop_id="s1",
                                     author=actor_to_pb(SELLER))
    await consume(env, chat_events.ReplyDeadline(event_id="d", occurred_at=timestamp(AT), thread=support_thread,
                                                 due_at=timestamp(NOW + dt.timedelta(hours=2)), breached=False,
                                                 recipients=[party_to_pb(DESK)]))
    [n] = stored(env).values()
    assert (n.recipient, n.thread_id) == (DESK, "t2")
    assert n.body == "Ответьте продавцу на обращение в поддержку до 22.11.2026 12:00 UTC."


async def test_claim_events_tell_everyone_but_the_side_that_acted(env):
    await consume(env, returns_events.ClaimOpened(event_id="o", occurred_at=timestamp(AT), claim=claim()))
    await consume(env, status_changed("s", returns_pb2.CLAIM_STATUS_AWAITING_BUYER, SELLER, "Предлагаем вернуть 50%."))
    await consume(env, status_changed("x", returns_pb2.CLAIM_STATUS_CANCELLED, BUYER))
    await consume(env, status_changed("m", returns_pb2.CLAIM_STATUS_SETTLED, SUPPORT))
    await consume(env, status_changed("n", returns_pb2.CLAIM_STATUS_SETTLED, None))
    assert sorted(stored(env)) == ["m:shop:s1", "m:user:b1", "n:shop:s1", "n:user:b1", "o:shop:s1", "s:user:b1", "x:shop:s1"]
    assert stored(env)["s:user:b1"].title == "Продавец одобрил заявку и предложил компенсацию"
    assert stored(env)["s:user:b1"].claim_id == "c1"
    assert stored(env)["x:shop:s1"].title == "Заявка на возврат отменена"
    assert stored(env)["s:user:b1"].body == "Заказ o1, заявка c1. Комментарий: «Предлагаем вернуть 50%.»"
    assert stored(env)["x:shop:s1"].body == "Заказ o1, заявка c1."


@pytest.mark.parametrize("status", [99, returns_pb2.CLAIM_STATUS_UNSPECIFIED])  # added by a newer returns; none named
async def test_a_claim_status_unknown_to_this_version_is_told_with_the_general_title(env, status):
    await consume(env, status_changed("u", status, SELLER))
    [n] = stored(env).values()
    assert n.recipient == BUYER_P and n.title == tell.UNKNOWN_CLAIM_STATUS_TITLE and n.claim_id == "c1"


def test_every_claim_status_returns_publishes_is_read_as_its_own():
    for number in returns_pb2.ClaimStatus.values():
        if number:
            status = claim_from_pb(claim(number)).status
            assert status is not None and returns_pb2.ClaimStatus.Name(number) == f"CLAIM_STATUS_{status.name}"


async def test_a_refund_tells_buyer_and_shop(env):
    await consume(env, refund())
    buyer, shop = stored(env)["r:user:b1"], stored(env)["r:shop:s1"]
    assert buyer.title == "Деньги возвращены" and "2\u00a0499,90\u00a0₽" in buyer.body
    assert shop.title == "Списание с баланса" and shop.kind is Kind.REFUND


@pytest.mark.parametrize("event, buyer_body, shop_body", [
    pytest.param(refund(), "Возврат 2\u00a0499,90\u00a0₽ по заявке c1 оформлен.",
                 "С баланса магазина списано 2\u00a0499,90\u00a0₽: возврат покупателю по заявке c1.", id="older returns: total only"),
    pytest.param(split_refund(249_990, 0), "Возврат 2\u00a0499,90\u00a0₽ по заявке c1 оформлен.",
                 "С баланса магазина списано 2\u00a0499,90\u00a0₽: возврат покупателю по заявке c1.", id="refund only"),
    pytest.param(split_refund(0, 15_000), "Компенсация доставки 150,00\u00a0₽ по заявке c1 оформлена.",
                 "С баланса магазина списано 150,00\u00a0₽: компенсация доставки покупателю по заявке c1.", id="shipping only"),
    pytest.param(split_refund(249_990, 15_000),
                 "Возврат 2\u00a0499,90\u00a0₽ и компенсация доставки 150,00\u00a0₽ по заявке c1 оформлены.",
                 "С баланса магазина списано 2\u00a0649,90\u00a0₽: возврат 2\u00a0499,90\u00a0₽ и компенсация доставки "
                 "150,00\u00a0₽ покупателю по заявке c1.", id="both"),
])
async def test_a_refund_event_is_worded_by_what_was_paid(env, event, buyer_body, shop_body):
    await consume(env, event)
    assert (stored(env)["r:user:b1"].body, stored(env)["r:shop:s1"].body) == (buyer_body, shop_body)


def test_a_refund_event_translates_its_split_only_when_it_carries_one():
    old = consumers.refund_issued(refund())
    assert (old.amount_minor, old.refund_minor, old.shipping_minor, old.currency) == (249_990, None, None, "RUB")
    new = consumers.refund_issued(split_refund(0, 15_000))
    assert (new.amount_minor, new.refund_minor, new.shipping_minor, new.currency) == (15_000, 0, 15_000, "RUB")


def settled_held(event_id: str = "h", by: Identity | None = SELLER, refund_state=returns_pb2.REFUND_STATE_PENDING_FUNDS,
                 ) -> returns_events.ClaimStatusChanged:
    """A seller confirmed receipt; the refund (2,499.90 + 150.00 shipping) is held: the shop's balance does not allow it."""
    held = claim(returns_pb2.CLAIM_STATUS_SETTLED)
    held.refunded.CopyFrom(rub(249_990))
    held.shipping_reimbursed.CopyFrom(rub(15_000))
    held.refund_state = refund_state
    if refund_state == returns_pb2.REFUND_STATE_PENDING_FUNDS:
        held.refund_held.CopyFrom(rub(264_990))
    return returns_events.ClaimStatusChanged(event_id=event_id, occurred_at=timestamp(AT), claim=held,
                                             previous=returns_pb2.CLAIM_STATUS_ITEM_IN_TRANSIT,
                                             changed_by=actor_to_pb(by) if by else None, comment="Получен")


async def test_a_held_refund_is_told_to_both_once_and_its_later_payment_as_any_refund(env):
    await consume(env, settled_held())
    await consume(env, settled_held())  # redelivered: nothing new
    assert sorted(stored(env)) == ["h:shop:s1", "h:user:b1"]
    buyer, shop = stored(env)["h:user:b1"], stored(env)["h:shop:s1"]
    assert (buyer.kind, buyer.title, buyer.claim_id, buyer.created_at) == (Kind.REFUND, "Возврат одобрен", "c1", AT)
    assert buyer.body == ("Возврат 2\u00a0499,90\u00a0₽ и компенсация доставки 150,00\u00a0₽ по заявке c1 (заказ o1) одобрены. "
                          "Деньги поступят, как только это станет возможно: мы сообщим о зачислении. Комментарий: «Получен»")
    assert (shop.kind, shop.title) == (Kind.REFUND, "Возврат ожидает средств на балансе")
    assert shop.body.startswith("Возврат 2\u00a0499,90\u00a0₽ и компенсация доставки 150,00\u00a0₽ покупателю по заявке c1 "
                                "(заказ o1) ожидают средств на балансе магазина: выплата увела бы баланс ниже допустимой задолженности")
    assert "Комментарий" not in shop.body, "the seller is not quoted to their own shop"
    assert len(env.fanout.announced) == 2
    # Paid once the balance allows it: returns sends RefundIssued then, told as any refund.
    await consume(env, split_refund(249_990, 15_000))
    assert stored(env)["r:user:b1"].title == "Деньги возвращены" and stored(env)["r:shop:s1"].title == "Списание с баланса"
    assert "2\u00a0649,90\u00a0₽" in stored(env)["r:shop:s1"].body


async def test_a_held_refund_settled_by_staff_and_a_muted_refund_kind(env):
    await env.handlers.update_preferences(commands.UpdatePreferences(BUYER, mute(Kind.REFUND)))
    await consume(env, settled_held(by=SUPPORT))
    assert sorted(stored(env)) == ["h:shop:s1"], "the buyer muted refunds; the shop is told"
    assert stored(env)["h:shop:s1"].body.endswith("Комментарий: «Получен»"), "support's words reach both sides"


@pytest.mark.parametrize("refund_state", [returns_pb2.REFUND_STATE_PAID, returns_pb2.REFUND_STATE_UNSPECIFIED, 9])
async def test_a_settlement_not_held_is_a_claim_update_for_the_other_side(env, refund_state):
    await consume(env, settled_held(refund_state=refund_state))
    [n] = stored(env).values()
    assert (n.recipient, n.kind, n.title) == (BUYER_P, Kind.CLAIM_UPDATE, "Заявка на возврат завершена")


def test_every_refund_state_returns_publishes_is_read_as_its_own():
    for number in returns_pb2.RefundState.values():
        if number:
            state = claim_from_pb(settled_held(refund_state=number).claim).refund_state
            assert state is not None and returns_pb2.RefundState.Name(number) == f"REFUND_STATE_{state.name}"


async def test_a_penalty_tells_the_offender_moderation_names(env):
    await consume(env, penalty(SHOP_P))
    # A support agent's strike is their own (moderation says so): the desk is not told.
    await consume(env, moderation_events.PenaltyIssued(
        event_id="q", occurred_at=timestamp(AT), sender=actor_to_pb(SUPPORT), offender=party_to_pb(Party.user("agent")),
        penalty=moderation_pb2.Penalty(fine=common_pb2.Money(amount_minor=100, currency_code="RUB"))))
    assert sorted(stored(env)) == ["p:shop:s1", "q:user:agent"]
    n = stored(env)["p:shop:s1"]
    assert n.kind is Kind.PENALTY and n.body == "Начислен штраф 25\u00a0000,00\u00a0₽. Запрос контактов."


def withdrawn(offender: Party | None, event_id: str = "w") -> moderation_events.PenaltyWithdrawn:
    return moderation_events.PenaltyWithdrawn(
        event_id=event_id, occurred_at=timestamp(AT), sender=actor_to_pb(SUPPORT), review_id="m1",
        offender=party_to_pb(offender) if offender else None,
        penalty=moderation_pb2.Penalty(fine=common_pb2.Money(amount_minor=100_000, currency_code="RUB"), reason="Запрос контактов."))


async def test_a_withdrawn_penalty_tells_the_party_that_was_fined_once(env):
    # A support agent's fine was the agent's own: so is its withdrawal (read in the agent's own inbox).
    await consume(env, penalty(Party.user("agent"), sender=SUPPORT))
    await consume(env, withdrawn(Party.user("agent")))
    await consume(env, withdrawn(Party.user("agent")))  # redelivered: nothing new
    n = stored(env)["w:user:agent"]
    assert (n.kind, n.title, n.created_at) == (Kind.PENALTY_WITHDRAWN, "Штраф отменён", AT)
    assert n.body.startswith("Штраф 1\u00a0000,00\u00a0₽ отменён: модератор проверил сообщение и одобрил его.")
    own = await env.handlers.list_notifications(commands.ListNotifications(SUPPORT, inbox=Party.user("agent")))
    assert [m.kind for m in own.notifications] == [Kind.PENALTY_WITHDRAWN, Kind.PENALTY]
    assert [m.notification_id for m in env.fanout.announced] == ["p:user:agent", "w:user:agent"]
    with pytest.raises(PoisonMessage):  # nobody named to tell
        await consume(env, withdrawn(None, event_id="w2"))


def standing_changed(event_id: str = "sc", previous=moderation_pb2.STANDING_RESTRICTED, current=moderation_pb2.STANDING_SUSPENDED,
                     until: dt.datetime | None = NOW + dt.timedelta(days=7), suspended: Party | None = SHOP_P,
                     offender: Party | None = SHOP_P) -> moderation_events.StandingChanged:
    return moderation_events.StandingChanged(
        event_id=event_id, occurred_at=timestamp(AT), sender=actor_to_pb(SELLER), previous=previous, current=current,
        offender=party_to_pb(offender) if offender else None, suspended_until=timestamp(until),
        suspended_party=party_to_pb(suspended) if suspended else None)


def appeal_resolved(event_id: str = "ar", outcome=moderation_events.APPEAL_OUTCOME_REVERSED,
                    appellant: Party | None = SHOP_P) -> moderation_events.AppealResolved:
    return moderation_events.AppealResolved(
        event_id=event_id, occurred_at=timestamp(AT), appeal_id="m1:appeal", message_id="m1", thread_id="t1",
        appellant=party_to_pb(appellant) if appellant else None, outcome=outcome, comment="Вы правы",
        penalty_ids=["m1:OFF_PLATFORM_LURE"], message_was_blocked=True)


async def test_a_suspension_and_its_early_end_are_told_to_the_shop_once(env):
    await consume(env, standing_changed())
    await consume(env, standing_changed())  # redelivered
    await consume(env, standing_changed("up", previous=moderation_pb2.STANDING_WARNING, current=moderation_pb2.STANDING_RESTRICTED,
                                        until=None, suspended=None))  # not told
    await consume(env, standing_changed("lift", previous=moderation_pb2.STANDING_SUSPENDED, current=moderation_pb2.STANDING_RESTRICTED,
                                        until=None))
    assert sorted(stored(env)) == ["lift:shop:s1", "sc:shop:s1"]
    suspended, lifted = stored(env)["sc:shop:s1"], stored(env)["lift:shop:s1"]
    assert (suspended.kind, suspended.title, suspended.created_at) == (Kind.STANDING, "Отправка сообщений приостановлена", AT)
    assert "до 29.11.2026 10:00 UTC" in suspended.body
    assert (lifted.kind, lifted.title) == (Kind.STANDING, "Ограничение снято")
    inbox = await env.handlers.list_notifications(commands.ListNotifications(OTHER_SELLER_OF_THE_SHOP))
    assert sorted(n.notification_id for n in inbox.notifications) == ["lift:shop:s1", "sc:shop:s1"], "every seller of the shop reads it"


async def test_the_appellant_is_told_the_outcome_and_the_fine_withdrawn_on_appeal(env):
    await consume(env, appeal_resolved())
    await consume(env, appeal_resolved())
    reversal = withdrawn(SHOP_P, event_id="wa")
    reversal.review_id, reversal.appeal_id = "", "m1:appeal"
    await consume(env, reversal)
    told = stored(env)
    assert sorted(told) == ["ar:shop:s1", "wa:shop:s1"]
    assert (told["ar:shop:s1"].title, told["ar:shop:s1"].thread_id, told["ar:shop:s1"].kind) == (
        "Апелляция удовлетворена", "t1", Kind.APPEAL)
    assert "Комментарий модератора: «Вы правы»" in told["ar:shop:s1"].body
    assert "ваша апелляция удовлетворена" in told["wa:shop:s1"].body
    assert told["wa:shop:s1"].kind is Kind.PENALTY_WITHDRAWN, "a fine withdrawn on appeal is told like any withdrawn fine"
    await consume(env, appeal_resolved("up", outcome=moderation_events.APPEAL_OUTCOME_UPHELD, appellant=BUYER_P))
    assert (stored(env)["up:user:b1"].title, stored(env)["up:user:b1"].kind) == ("Апелляция отклонена", Kind.APPEAL)


@pytest.mark.parametrize("event,error", [
    pytest.param(standing_changed(until=None), PoisonMessage, id="suspended without an end"),
    pytest.param(standing_changed(offender=None), PoisonMessage, id="standing without offender"),
    pytest.param(appeal_resolved(appellant=None), PoisonMessage, id="appeal without appellant"),
    pytest.param(appeal_resolved(outcome=moderation_events.APPEAL_OUTCOME_UNSPECIFIED), PoisonMessage, id="appeal without outcome"),
    pytest.param(appeal_resolved(outcome=7), TransientError, id="outcome of a newer moderation"),
])
async def test_moderation_events_that_cannot_be_told_are_refused(env, event, error):
    with pytest.raises(error):
        await consume(env, event)
    assert not stored(env)


async def test_redelivery_stores_and_announces_nothing_new(env):
    await consume(env, delivered())
    await consume(env, delivered())
    assert len(stored(env)) == 1 and len(env.fanout.announced) == 1


async def test_events_nobody_is_told_about_are_skipped(env):
    await consume(env, chat_events.ThreadRead(event_id="r", thread_id="t1"))
    assert not stored(env)


def without_time(event):
    event.ClearField("occurred_at")
    return event


@pytest.mark.parametrize("event", [
    pytest.param(without_time(delivered()), id="no occurred_at"),
    pytest.param(without_time(refund()), id="refund without occurred_at"),
    pytest.param(chat_events.ReplyDeadline(event_id="d", occurred_at=timestamp(AT), thread=thread(), recipients=[party_to_pb(SHOP_P)]),
                 id="deadline without due_at"),
    pytest.param(penalty(None), id="penalty without offender"),
    pytest.param(chat_events.MessageDelivered(event_id="e", occurred_at=timestamp(AT), recipients=[common_pb2.Party()]),
                 id="party without a kind"),
])
async def test_malformed_events_are_poison_and_store_nothing(env, event):
    with pytest.raises(PoisonMessage):
        await consume(env, event)
    assert not stored(env) and not env.fanout.announced


async def test_an_event_without_its_id_is_poison(env):
    with pytest.raises(PoisonMessage):
        await consume(env, refund(event_id=""))
    assert not stored(env)


async def test_roles_a_newer_producer_added_are_read_as_unknown_not_poison(env):
    sent = delivered("new-role")
    sent.message.sender.role = 99
    await consume(env, sent)
    changed = status_changed("s", returns_pb2.CLAIM_STATUS_SETTLED, BUYER)
    changed.changed_by.role = 99
    await consume(env, changed)
    assert stored(env)["new-role:shop:s1"].title == "Новое сообщение по заказу o1"
    assert sorted(n for n in stored(env) if n.startswith("s:")) == ["s:shop:s1", "s:user:b1"]  # nobody known acted: both told


@pytest.mark.parametrize("event", [
    pytest.param(chat_events.MessageDelivered(event_id="k", occurred_at=timestamp(AT), thread=thread(),
                                              recipients=[party_to_pb(SHOP_P), common_pb2.Party(kind=99, id="x")]),
                 id="recipient of a newer kind"),
    pytest.param(moderation_events.PenaltyIssued(event_id="k", occurred_at=timestamp(AT), offender=common_pb2.Party(kind=99, id="x"),
                                                 penalty=moderation_pb2.Penalty(fine=common_pb2.Money(amount_minor=1, currency_code="RUB"))),
                 id="offender of a newer kind"),
])
async def test_a_party_kind_of_a_newer_producer_is_transient_not_poison(env, event):
    # Redelivered until a notify that knows the kind handles it; nothing is told meanwhile.
    with pytest.raises(TransientError):
        await consume(env, event)
    assert not stored(env) and not env.fanout.announced


async def test_a_party_of_a_known_kind_without_its_id_is_poison(env):
    event = chat_events.MessageDelivered(event_id="k", occurred_at=timestamp(AT), thread=thread(),
                                         recipients=[common_pb2.Party(kind=common_pb2.PARTY_KIND_SHOP)])
    with pytest.raises(PoisonMessage):
        await consume(env, event)


class StorageDown(Exception):
    pass


@pytest.mark.parametrize("failure", [StorageDown("connection refused"), InvalidArgument([]), TransientError("later")])
@pytest.mark.parametrize("where", ["notifications.add_new", "preferences.get"])
async def test_a_failure_of_storage_is_not_poison_and_the_redelivery_is_told(env, failure, where):
    # Whatever storage raises (even an INVALID_ARGUMENT of its own) says nothing about the event:
    # it propagates, so the consumer redelivers the event instead of terminating it.
    repo_name, method = where.split(".")
    repo = getattr(env.repos, repo_name)
    working = getattr(repo, method)

    async def failing(*args):
        raise failure

    setattr(repo, method, failing)
    with pytest.raises(type(failure)):
        await consume(env, delivered())
    assert not stored(env) and not env.fanout.announced
    setattr(repo, method, working)  # storage is back: the redelivered event is told
    await consume(env, delivered())
    assert sorted(stored(env)) == ["e1:shop:s1"] and len(env.fanout.announced) == 1


async def test_a_message_without_its_type_is_poison(env):
    with pytest.raises(PoisonMessage):
        await consume(env, delivered(), event_type="")


# --- mutes ----------------------------------------------------------------------------------------

def mute(*kinds: Kind, fields=("muted_kinds",)) -> PreferencesChange:
    return PreferencesChange(frozenset(fields), Preferences(frozenset(kinds)))


async def test_muted_kinds_are_not_stored_for_who_muted_them(env):
    await env.handlers.update_preferences(commands.UpdatePreferences(SELLER, mute(Kind.REFUND)))
    await consume(env, refund())
    assert sorted(stored(env)) == ["r:user:b1"]


async def test_a_shop_that_mutes_appeals_and_penalties_is_still_told_of_its_suspension_and_its_end(env):
    await env.handlers.update_preferences(commands.UpdatePreferences(SELLER, mute(Kind.APPEAL, Kind.PENALTY, Kind.PENALTY_WITHDRAWN)))
    await consume(env, appeal_resolved())
    await consume(env, standing_changed())
    await consume(env, standing_changed("lift", previous=moderation_pb2.STANDING_SUSPENDED, current=moderation_pb2.STANDING_RESTRICTED,
                                        until=None))
    assert sorted(stored(env)) == ["lift:shop:s1", "sc:shop:s1"]


async def test_muting_suspensions_is_refused_and_changes_nothing(env):
    await env.handlers.update_preferences(commands.UpdatePreferences(SELLER, mute(Kind.APPEAL)))
    request = pb.UpdatePreferencesRequest(preferences=pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_STANDING]))
    with pytest.raises(InvalidArgument) as err:
        await env.handlers.update_preferences(commands.UpdatePreferences(SELLER, preferences_change_from_pb(request)))
    assert [v.field for v in err.value.violations] == ["preferences.muted_kinds"]
    assert env.repos.preferences.stored[SHOP_P] == StoredPreferences(Preferences(frozenset({Kind.APPEAL})), 1)


def test_the_preferences_answer_names_the_kinds_nobody_can_mute_and_a_client_echoing_them_changes_nothing():
    answer = preferences_to_pb(Preferences(frozenset({Kind.APPEAL})))
    assert (list(answer.muted_kinds), list(answer.unmutable_kinds)) == ([pb.NOTIFICATION_KIND_APPEAL], [pb.NOTIFICATION_KIND_STANDING])
    assert preferences_change_from_pb(pb.UpdatePreferencesRequest(preferences=answer)) == mute(Kind.APPEAL, fields=())
    request = pb.UpdatePreferencesRequest(preferences=answer)
    request.update_mask.paths.append("unmutable_kinds")
    with pytest.raises(InvalidArgument) as err:  # output only: not a path to change
        preferences_change_from_pb(request)
    assert [v.field for v in err.value.violations] == ["update_mask"]


async def test_a_mute_takes_effect_at_once_on_this_replica_although_preferences_are_cached(env):
    await consume(env, delivered("e1"))
    await consume(env, delivered("e2"))
    assert env.repos.preferences.reads == 1  # cached for the next events
    await env.handlers.update_preferences(commands.UpdatePreferences(OTHER_SELLER_OF_THE_SHOP, mute(Kind.NEW_MESSAGE, fields=())))
    await consume(env, delivered("e3"))
    assert sorted(stored(env)) == ["e1:shop:s1", "e2:shop:s1"]


async def test_a_mute_saved_by_another_replica_is_seen_once_the_cache_expires(env):
    await consume(env, delivered("e1"))
    # Another replica saves a mute: this one still has the shop's old preferences cached.
    env.repos.preferences.stored[SHOP_P] = StoredPreferences(Preferences(frozenset({Kind.NEW_MESSAGE})), 1)
    env.clock.advance(dt.timedelta(seconds=PREFERENCES_CACHE_SECONDS - 1))
    await consume(env, delivered("e2"))
    env.clock.advance(dt.timedelta(seconds=2))
    await consume(env, delivered("e3"))
    assert sorted(stored(env)) == ["e1:shop:s1", "e2:shop:s1"]


# --- listing and marking read -----------------------------------------------------------------------

async def deliver(env, count: int, recipient=SHOP_P, same_time=False, prefix="n") -> list[Notification]:
    told = []
    for i in range(count):
        at = NOW if same_time else NOW + dt.timedelta(minutes=i // 2)
        told += await env.handlers.message_delivered(
            commands.TellMessageDelivered(f"{prefix}{i:02d}", at, (recipient,), Role.BUYER, "t", "", "b"))
    return told


@pytest.mark.parametrize("same_time", [False, True])
async def test_paging_by_one_returns_every_notification_once_newest_first(env, same_time):
    await deliver(env, 7, same_time=same_time)
    await deliver(env, 3, recipient=BUYER_P)
    seen, token = [], ""
    while True:
        page = await env.handlers.list_notifications(commands.ListNotifications(SELLER, page_size=1, page_token=token))
        assert len(page.notifications) == 1 and page.unread_count == 7
        seen.extend(page.notifications)
        token = page.next_page_token
        if not token:
            break
    assert sorted(n.notification_id for n in seen) == sorted(n.notification_id for n in env.repos.notifications.of(SHOP_P))
    assert len({n.notification_id for n in seen}) == 7
    assert [(n.created_at, n.notification_id) for n in seen] == sorted(((n.created_at, n.notification_id) for n in seen), reverse=True)


async def test_paging_under_new_arrivals_and_reads_misses_nothing_that_was_there(env):
    before = await deliver(env, 6)
    seen, token = [], ""
    for step in range(20):
        page = await env.handlers.list_notifications(commands.ListNotifications(SELLER, page_size=1, page_token=token))
        seen.extend(n.notification_id for n in page.notifications)
        # Meanwhile: a newer notification arrives and one is read.
        await env.handlers.penalty_issued(commands.TellPenaltyIssued(f"late{step}", NOW + dt.timedelta(days=1), SHOP_P, 1, "RUB", ""))
        await env.handlers.mark_read(commands.MarkNotificationsRead(SELLER, notification_ids=(before[step % 6].notification_id,)))
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(n.notification_id for n in before)


async def test_unread_only_and_marking_read(env):
    mine = await deliver(env, 4)
    others = await deliver(env, 2, recipient=BUYER_P)
    unread = await env.handlers.mark_read(commands.MarkNotificationsRead(
        OTHER_SELLER_OF_THE_SHOP, notification_ids=(mine[0].notification_id, others[0].notification_id)))
    assert unread == 3  # the buyer's id matched nothing of the shop's
    assert await env.repos.notifications.unread_count(BUYER_P) == 2
    page = await env.handlers.list_notifications(commands.ListNotifications(SELLER, unread_only=True))
    assert mine[0].notification_id not in {n.notification_id for n in page.notifications} and len(page.notifications) == 3
    assert await env.handlers.mark_read(commands.MarkNotificationsRead(SELLER, all=True)) == 0


@pytest.mark.parametrize("ids", [(), tuple(f"n{i}" for i in range(MAX_IDS_PER_MARK + 1))])
async def test_mark_read_must_name_a_bounded_set(env, ids):
    with pytest.raises(InvalidArgument) as err:
        await env.handlers.mark_read(commands.MarkNotificationsRead(BUYER, notification_ids=ids))
    assert err.value.violations[0].field == "notification_ids"


async def test_mark_read_with_ids_and_all_is_invalid_and_marks_nothing(env):
    mine = await deliver(env, 2)
    with pytest.raises(InvalidArgument) as err:
        await env.handlers.mark_read(commands.MarkNotificationsRead(SELLER, notification_ids=(mine[0].notification_id,), all=True))
    assert [v.field for v in err.value.violations] == ["notification_ids"]
    assert await env.repos.notifications.unread_count(SHOP_P) == 2


async def test_a_page_token_that_was_not_returned_is_invalid(env):
    with pytest.raises(InvalidArgument) as err:
        await env.handlers.list_notifications(commands.ListNotifications(BUYER, page_token="not-a-token"))
    assert err.value.violations[0].field == "page_token"


async def test_the_support_desk_is_one_inbox_for_every_agent(env):
    await deliver(env, 2, recipient=DESK)
    page = await env.handlers.list_notifications(commands.ListNotifications(Identity("another-agent", Role.SUPPORT)))
    assert len(page.notifications) == 2


# --- preferences ------------------------------------------------------------------------------------

async def test_update_mask_changes_only_the_named_fields_and_an_empty_mask_replaces_all(env):
    saved = await env.handlers.update_preferences(commands.UpdatePreferences(BUYER, mute(Kind.PENALTY, Kind.REFUND)))
    assert saved == Preferences(frozenset({Kind.PENALTY, Kind.REFUND}))
    assert await env.handlers.get_preferences(commands.GetPreferences(BUYER)) == saved
    cleared = await env.handlers.update_preferences(commands.UpdatePreferences(BUYER, mute(fields=())))
    assert cleared == Preferences() and env.repos.preferences.stored[BUYER_P] == StoredPreferences(Preferences(), 2)


async def test_preferences_start_empty(env):
    assert await env.handlers.get_preferences(commands.GetPreferences(SELLER)) == Preferences()


async def test_a_save_that_lands_between_read_and_save_is_not_overwritten_unseen(env):
    # Another seller of the shop saves right after this update read the preferences (version 0):
    # this save must find version 1, read again and apply its change on top, as version 2.
    theirs = Preferences(frozenset({Kind.REFUND, Kind.NEW_MESSAGE}))
    env.repos.preferences.saved_by_someone_else_after_next_read(theirs)
    ours = await env.handlers.update_preferences(commands.UpdatePreferences(SELLER, mute(Kind.PENALTY)))
    assert ours == Preferences(frozenset({Kind.PENALTY}))
    assert env.repos.preferences.stale_saves == 1 and env.repos.preferences.reads == 2
    assert env.repos.preferences.stored[SHOP_P] == StoredPreferences(ours, 2)  # two saves, two versions
    assert env.uow.commits == 1


async def test_concurrent_updates_run_one_after_the_other_and_both_land(env):
    first, second = await asyncio.gather(
        env.handlers.update_preferences(commands.UpdatePreferences(SELLER, mute(Kind.PENALTY))),
        env.handlers.update_preferences(commands.UpdatePreferences(OTHER_SELLER_OF_THE_SHOP, mute(Kind.REFUND, fields=()))),
    )
    assert (first, second) == (Preferences(frozenset({Kind.PENALTY})), Preferences(frozenset({Kind.REFUND})))
    assert env.repos.preferences.stored[SHOP_P] == StoredPreferences(second, 2)
    assert env.uow.commits == 2


async def test_preferences_that_keep_changing_underneath_give_up_with_aborted(env):
    original_save = env.repos.preferences.save

    async def always_stale(party, preferences, expected_version):
        await original_save(party, Preferences(), expected_version)  # someone else saves first, every time
        return await original_save(party, preferences, expected_version)

    env.repos.preferences.save = always_stale
    with pytest.raises(Aborted) as err:
        await env.handlers.update_preferences(commands.UpdatePreferences(BUYER, mute(Kind.PENALTY)))
    assert err.value.reason == "PREFERENCES_CONCURRENT_UPDATE"


@pytest.mark.parametrize("preferences, paths, field", [
    (pb.Preferences(), ("muted_kinds", "sms_enabled"), "update_mask"),
    (pb.Preferences(), ("email_enabled",), "update_mask"),  # removed from the contract
    (pb.Preferences(muted_kinds=[99]), ("muted_kinds",), "preferences.muted_kinds"),
    (pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_UNSPECIFIED]), (), "preferences.muted_kinds"),
])
async def test_bad_preferences_are_invalid_at_the_edge(env, preferences, paths, field):
    with pytest.raises(InvalidArgument) as err:
        request = pb.UpdatePreferencesRequest(preferences=preferences)
        request.update_mask.paths.extend(paths)
        preferences_change_from_pb(request)
    assert [v.field for v in err.value.violations] == [field]


async def test_the_edge_translates_the_mask_into_field_names(env):
    request = pb.UpdatePreferencesRequest(preferences=pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_REFUND]))
    request.update_mask.paths.append("muted_kinds")
    assert preferences_change_from_pb(request) == mute(Kind.REFUND)
    assert preferences_change_from_pb(pb.UpdatePreferencesRequest()) == mute(fields=())


# --- authorization -----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    commands.ListNotifications(MODERATOR),
    commands.MarkNotificationsRead(MODERATOR, all=True),
    commands.GetPreferences(Identity("svc", Role.SERVICE)),
    commands.UpdatePreferences(MODERATOR, mute(Kind.PENALTY)),
])
async def test_staff_without_an_inbox_are_denied(env, command):
    handler = {commands.ListNotifications: env.handlers.list_notifications, commands.MarkNotificationsRead: env.handlers.mark_read,
               commands.GetPreferences: env.handlers.get_preferences, commands.UpdatePreferences: env.handlers.update_preferences}
    with pytest.raises(PermissionDenied):
        await handler[type(command)](command)
    assert env.repos.preferences.stored == {} and env.uow.commits == 0


async def test_moderators_cannot_subscribe(env):
    with pytest.raises(PermissionDenied):
        env.handlers.subscribe(commands.Subscribe(MODERATOR))
    assert env.fanout.hub.open_feeds == 0


AGENT_P = Party.user("agent")


async def test_a_support_agent_reads_their_own_penalty_in_their_own_inbox(env):
    await consume(env, penalty(AGENT_P, sender=SUPPORT))
    await deliver(env, 1, recipient=DESK)
    own = await env.handlers.list_notifications(commands.ListNotifications(SUPPORT, inbox=AGENT_P))
    assert [(n.kind, n.recipient) for n in own.notifications] == [(Kind.PENALTY, AGENT_P)] and own.unread_count == 1
    desk = await env.handlers.list_notifications(commands.ListNotifications(SUPPORT))  # the main inbox: the desk's
    assert [n.recipient for n in desk.notifications] == [DESK]
    assert await env.handlers.mark_read(commands.MarkNotificationsRead(SUPPORT, all=True, inbox=AGENT_P)) == 0
    assert await env.repos.notifications.unread_count(DESK) == 1  # the desk's stay unread


async def test_another_agent_cannot_read_an_agents_own_inbox(env):
    await consume(env, penalty(AGENT_P, sender=SUPPORT))
    colleague = Identity("agent-2", Role.SUPPORT)
    for call in (env.handlers.list_notifications(commands.ListNotifications(colleague, inbox=AGENT_P)),
                 env.handlers.mark_read(commands.MarkNotificationsRead(colleague, all=True, inbox=AGENT_P)),
                 env.handlers.get_preferences(commands.GetPreferences(colleague, inbox=AGENT_P)),
                 env.handlers.update_preferences(commands.UpdatePreferences(colleague, mute(Kind.PENALTY), inbox=AGENT_P))):
        with pytest.raises(PermissionDenied):
            await call
    with pytest.raises(PermissionDenied):
        env.handlers.subscribe(commands.Subscribe(colleague, inbox=AGENT_P))
    assert not stored(env)["p:user:agent"].read and env.repos.preferences.stored == {}


async def test_an_agent_subscribes_to_their_own_inbox_and_mutes_it_apart_from_the_desk(env):
    feed = env.handlers.subscribe(commands.Subscribe(SUPPORT, inbox=AGENT_P))
    await consume(env, penalty(AGENT_P, sender=SUPPORT))
    assert (await feed.next(1)).notification_id == "p:user:agent"
    feed.close()
    await env.handlers.update_preferences(commands.UpdatePreferences(SUPPORT, mute(Kind.NEW_MESSAGE), inbox=AGENT_P))
    assert await env.handlers.get_preferences(commands.GetPreferences(SUPPORT)) == Preferences()  # the desk's
    assert env.repos.preferences.of(AGENT_P) == Preferences(frozenset({Kind.NEW_MESSAGE}))


async def test_each_caller_sees_only_their_inbox(env):
    await deliver(env, 2, recipient=SHOP_P)
    assert (await env.handlers.list_notifications(commands.ListNotifications(BUYER))).notifications == []
    assert (await env.handlers.list_notifications(commands.ListNotifications(Identity("u9", Role.SELLER, "s9")))).unread_count == 0
    assert len((await env.handlers.list_notifications(commands.ListNotifications(OTHER_SELLER_OF_THE_SHOP))).notifications) == 2


# --- Subscribe ---------------------------------------------------------------------------------------
# The handler opens the caller's feed; the gRPC stream around it is tested in test_servicer.py.

async def test_subscribers_receive_their_new_notifications_only(env):
    feed = env.handlers.subscribe(commands.Subscribe(SELLER))
    assert env.fanout.hub.open_feeds == 1
    await consume(env, delivered("to-buyer", sender=SELLER, recipients=(BUYER_P,)))
    await consume(env, delivered("to-shop"))
    assert (await feed.next(1)).notification_id == "to-shop:shop:s1"
    await consume(env, delivered("to-shop"))  # redelivered: not announced again
    assert await feed.next(0.01) is None
    feed.close()
    assert env.fanout.hub.open_feeds == 0
    assert [n.notification_id for n in env.fanout.announced] == ["to-buyer:user:b1", "to-shop:shop:s1"]


async def test_a_subscriber_that_falls_behind_is_told_so_and_nothing_is_dropped_silently():
    env = make_env(queue_limit=2)
    feed = env.handlers.subscribe(commands.Subscribe(SELLER))
    for i in range(4):  # the reader reads nothing meanwhile: e0 and e1 fill its queue, e2 overflows it
        await consume(env, delivered(f"e{i}"))
    with pytest.raises(ResourceExhausted) as err:  # not e0, e1 and a silent gap
        await feed.next(1)
    assert err.value.reason == "STREAM_OVERFLOW"
    assert len(stored(env)) == 4  # everything missed is listable
