"""Notify's use cases over fake repositories: no server, no I/O."""
from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace

import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from prilavok.chat.v1 import chat_pb2
from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok.notify.v1 import notify_pb2 as pb
from prilavok.returns.v1 import events_pb2 as returns_events
from prilavok.returns.v1 import returns_pb2
from prilavok_platform.clock import FixedClock
from prilavok_platform.errors import InvalidArgument, PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage
from prilavok_platform.protobuf import party_to_pb, timestamp
from services.notify.adapters.protos import MaskedPreferences
from services.notify.domain import commands
from services.notify.domain.model import MAX_IDS_PER_MARK, Kind, Notification, Preferences
from services.notify.entrypoints import consumers
from services.notify.service_layer.handlers import NotifyHandlers
from tests.unit.notify.fakes import FakeFanout, fake_repositories

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u-s1", Role.SELLER, "s1")
OTHER_SELLER_OF_THE_SHOP = Identity("u2-s1", Role.SELLER, "s1")
SUPPORT = Identity("agent", Role.SUPPORT)
MODERATOR = Identity("mod", Role.MODERATOR)
BUYER_P, SHOP_P, DESK = Party.user("b1"), Party.shop("s1"), Party.support()


@pytest.fixture
def env():
    repos = fake_repositories()
    fanout = FakeFanout()
    handlers = NotifyHandlers(repos, fanout)
    clock = FixedClock(NOW)
    return SimpleNamespace(repos=repos, fanout=fanout, handlers=handlers, clock=clock,
                           dispatch=consumers.dispatcher(handlers, clock))


async def consume(env, event, *, event_type: str | None = None) -> None:
    headers = {EVENT_TYPE_HEADER: event_type if event_type is not None else event.DESCRIPTOR.full_name}
    await env.dispatch(SimpleNamespace(headers=headers, data=event.SerializeToString(), subject="test.subject"))


def actor(identity: Identity) -> common_pb2.Actor:
    return common_pb2.Actor(role={Role.BUYER: common_pb2.ROLE_BUYER, Role.SELLER: common_pb2.ROLE_SELLER,
                                  Role.SUPPORT: common_pb2.ROLE_SUPPORT}[identity.role], user_id=identity.user_id, shop_id=identity.shop_id)


def thread() -> chat_pb2.Thread:
    return chat_pb2.Thread(thread_id="t1", kind=chat_pb2.THREAD_KIND_ORDER, buyer_id="b1", shop_id="s1", order_id="o1")


def delivered(event_id="e1", sender=BUYER, recipients=(SHOP_P,), text="Здравствуйте! Когда отправите?"):
    return chat_events.MessageDelivered(
        event_id=event_id, occurred_at=timestamp(NOW), thread=thread(),
        message=chat_pb2.Message(message_id="m1", thread_id="t1", sender=actor(sender), text=text),
        recipients=[party_to_pb(r) for r in recipients])


def claim(status=returns_pb2.CLAIM_STATUS_AWAITING_SELLER) -> returns_pb2.Claim:
    return returns_pb2.Claim(claim_id="c1", order_id="o1", buyer_id="b1", shop_id="s1", thread_id="t1", status=status)


def kinds_and_recipients(env) -> list[tuple[Kind, Party]]:
    return sorted((n.kind, n.recipient) for n in env.repos.notifications.stored.values())


# --- consumers: who is told what ------------------------------------------------------------

async def test_a_delivered_message_tells_exactly_the_recipients_chat_named(env):
    # The thread has a buyer and a shop; chat names only the shop (the buyer sent it).
    await consume(env, delivered())
    [n] = env.repos.notifications.stored.values()
    assert n.recipient == SHOP_P and n.kind is Kind.NEW_MESSAGE and n.thread_id == "t1"
    assert n.notification_id == "e1:shop:s1" and n.created_at == NOW and "Когда отправите" in n.body
    assert n.title == "Новое сообщение от покупателя по заказу o1"
    assert env.fanout.announced == [n]


async def test_a_support_reply_goes_to_whom_chat_names(env):
    await consume(env, delivered(sender=SUPPORT, recipients=(Party.user("author"),)))
    [n] = env.repos.notifications.stored.values()
    assert n.recipient == Party.user("author") and n.title == "Ответ службы поддержки"


async def test_held_and_blocked_messages_tell_the_sender(env):
    message = chat_pb2.Message(message_id="m1", sender=actor(SELLER), moderation=chat_pb2.ModerationOutcome(reason="Не обсуждайте контакты."))
    await consume(env, chat_events.MessageHeld(event_id="h", thread=thread(), message=message, recipients=[party_to_pb(SHOP_P)]))
    await consume(env, chat_events.MessageBlocked(event_id="b", thread=thread(), message=message, recipients=[party_to_pb(SHOP_P)]))
    assert kinds_and_recipients(env) == sorted([(Kind.MESSAGE_HELD, SHOP_P), (Kind.MESSAGE_BLOCKED, SHOP_P)])
    blocked = env.repos.notifications.stored["b:shop:s1"]
    assert blocked.body == "Не обсуждайте контакты." and blocked.created_at == NOW  # no occurred_at: the clock's time
    assert env.repos.notifications.stored["h:shop:s1"].body.startswith("Сообщение будет доставлено после проверки")


async def test_a_reply_deadline_tells_the_party_that_owes_the_reply(env):
    await consume(env, chat_events.ReplyDeadline(event_id="d", occurred_at=timestamp(NOW), thread=thread(),
                                                 due_at=timestamp(NOW + dt.timedelta(hours=2)), breached=True,
                                                 recipients=[party_to_pb(SHOP_P)]))
    [n] = env.repos.notifications.stored.values()
    assert (n.kind, n.recipient, n.title) == (Kind.REPLY_DEADLINE, SHOP_P, "Срок ответа истёк")
    assert "22.11.2026 12:00 UTC" in n.body


async def test_claim_events_tell_everyone_but_the_actor(env):
    await consume(env, returns_events.ClaimOpened(event_id="o", claim=claim()))
    await consume(env, returns_events.ClaimStatusChanged(event_id="s", claim=claim(returns_pb2.CLAIM_STATUS_AWAITING_BUYER),
                                                         changed_by=actor(SELLER), comment="Предлагаем вернуть 50%."))
    await consume(env, returns_events.ClaimStatusChanged(event_id="x", claim=claim(returns_pb2.CLAIM_STATUS_CANCELLED),
                                                         changed_by=actor(BUYER)))
    stored = env.repos.notifications.stored
    assert sorted(stored) == ["o:shop:s1", "s:user:b1", "x:shop:s1"]
    assert stored["s:user:b1"].title == "Продавец одобрил заявку и предложил компенсацию" and stored["s:user:b1"].claim_id == "c1"
    assert stored["x:shop:s1"].title == "Заявка на возврат отменена"
    assert stored["s:user:b1"].body == "Заказ o1, заявка c1. Комментарий: «Предлагаем вернуть 50%.»"
    assert stored["x:shop:s1"].body == "Заказ o1, заявка c1."


async def test_a_refund_tells_buyer_and_shop(env):
    await consume(env, returns_events.RefundIssued(event_id="r", claim_id="c1", buyer_id="b1", shop_id="s1",
                                                   amount=common_pb2.Money(amount_minor=249_990, currency_code="RUB")))
    buyer, shop = env.repos.notifications.stored["r:user:b1"], env.repos.notifications.stored["r:shop:s1"]
    assert buyer.title == "Деньги возвращены" and "2\u00a0499,90\u00a0₽" in buyer.body
    assert shop.title == "Списание с баланса" and shop.kind is Kind.REFUND


async def test_a_penalty_tells_the_fined_shop(env):
    await consume(env, moderation_events.PenaltyIssued(
        event_id="p", sender=actor(SELLER),
        penalty=moderation_pb2.Penalty(fine=common_pb2.Money(amount_minor=2_500_000, currency_code="RUB"), reason="Запрос контактов.")))
    [n] = env.repos.notifications.stored.values()
    assert n.recipient == SHOP_P and n.kind is Kind.PENALTY and n.body == "Начислен штраф 25\u00a0000,00\u00a0₽. Запрос контактов."


async def test_redelivery_stores_and_announces_nothing_new(env):
    await consume(env, delivered())
    await consume(env, delivered())
    assert len(env.repos.notifications.stored) == 1 and len(env.fanout.announced) == 1


async def test_events_nobody_is_told_about_are_skipped_and_malformed_ones_are_poison(env):
    await consume(env, chat_events.ThreadRead(event_id="r", thread_id="t1"))
    assert not env.repos.notifications.stored
    with pytest.raises(PoisonMessage):
        await consume(env, delivered(), event_type="")
    bad = delivered()
    bad.recipients.add()  # a party without a kind
    with pytest.raises(PoisonMessage):
        await consume(env, bad)
    assert not env.repos.notifications.stored


# --- mutes ----------------------------------------------------------------------------------

async def test_muted_kinds_are_not_stored_for_who_muted_them(env):
    await env.handlers.update_preferences(commands.UpdatePreferences(SELLER, MaskedPreferences(
        pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_REFUND]), FieldMask(paths=["muted_kinds"]))))
    await consume(env, returns_events.RefundIssued(event_id="r", claim_id="c1", buyer_id="b1", shop_id="s1",
                                                   amount=common_pb2.Money(amount_minor=100, currency_code="RUB")))
    assert sorted(env.repos.notifications.stored) == ["r:user:b1"]


async def test_a_mute_takes_effect_at_once_although_preferences_are_cached(env):
    await consume(env, delivered("e1"))
    await consume(env, delivered("e2"))
    assert env.repos.preferences.reads == 1  # cached for the next events
    await env.handlers.update_preferences(commands.UpdatePreferences(OTHER_SELLER_OF_THE_SHOP, MaskedPreferences(
        pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_NEW_MESSAGE]), FieldMask())))
    await consume(env, delivered("e3"))
    assert sorted(env.repos.notifications.stored) == ["e1:shop:s1", "e2:shop:s1"]


# --- listing and marking read ------------------------------------------------------------------

async def deliver(env, count: int, recipient=SHOP_P, same_time=False) -> list[Notification]:
    found = [Notification(f"n{i:02d}:{recipient.key}", recipient, Kind.NEW_MESSAGE, "t", "b",
                          NOW if same_time else NOW + dt.timedelta(minutes=i // 2)) for i in range(count)]
    await env.handlers.deliver(commands.Deliver(tuple(found)))
    return found


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
        await env.handlers.deliver(commands.Deliver((Notification(f"late{step}", SHOP_P, Kind.PENALTY, "t", "b", NOW + dt.timedelta(days=1)),)))
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


async def test_a_page_token_that_was_not_returned_is_invalid(env):
    with pytest.raises(InvalidArgument) as err:
        await env.handlers.list_notifications(commands.ListNotifications(BUYER, page_token="not-a-token"))
    assert err.value.violations[0].field == "page_token"


async def test_the_support_desk_is_one_inbox_for_every_agent(env):
    await deliver(env, 2, recipient=DESK)
    page = await env.handlers.list_notifications(commands.ListNotifications(Identity("another-agent", Role.SUPPORT)))
    assert len(page.notifications) == 2


# --- preferences -------------------------------------------------------------------------------

async def update(env, caller, preferences: pb.Preferences, *paths: str) -> Preferences:
    return await env.handlers.update_preferences(commands.UpdatePreferences(caller, MaskedPreferences(preferences, FieldMask(paths=list(paths)))))


async def test_update_mask_changes_only_the_named_fields(env):
    await update(env, BUYER, pb.Preferences(email_enabled=True, email_address=" b1@example.ru ", muted_kinds=[pb.NOTIFICATION_KIND_PENALTY]))
    saved = await update(env, BUYER, pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_NEW_MESSAGE], email_enabled=False), "muted_kinds")
    assert saved == Preferences(frozenset({Kind.NEW_MESSAGE}), True, "b1@example.ru")
    assert await env.handlers.get_preferences(commands.GetPreferences(BUYER)) == saved
    replaced = await update(env, BUYER, pb.Preferences(webhook_enabled=True, webhook_url="https://hooks.example.ru/b1"))
    assert replaced == Preferences(webhook_enabled=True, webhook_url="https://hooks.example.ru/b1")  # empty mask: replaces all


async def test_preferences_start_empty(env):
    assert await env.handlers.get_preferences(commands.GetPreferences(SELLER)) == Preferences()


@pytest.mark.parametrize("preferences, paths, field", [
    (pb.Preferences(webhook_enabled=True, webhook_url="http://x"), (), "preferences.webhook_url"),
    (pb.Preferences(email_enabled=True), ("email_enabled",), "preferences.email_address"),
    (pb.Preferences(), ("muted_kinds", "sms_enabled"), "update_mask"),
    (pb.Preferences(muted_kinds=[99]), ("email_enabled",), "preferences.muted_kinds"),
    (pb.Preferences(muted_kinds=[pb.NOTIFICATION_KIND_UNSPECIFIED]), (), "preferences.muted_kinds"),
])
async def test_bad_preferences_are_invalid_and_change_nothing(env, preferences, paths, field):
    with pytest.raises(InvalidArgument) as err:
        await update(env, BUYER, preferences, *paths)
    assert [v.field for v in err.value.violations] == [field]
    assert env.repos.preferences.stored == {}


# --- authorization -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    commands.ListNotifications(MODERATOR),
    commands.MarkNotificationsRead(MODERATOR, all=True),
    commands.GetPreferences(Identity("svc", Role.SERVICE)),
    commands.UpdatePreferences(MODERATOR, MaskedPreferences(pb.Preferences(), FieldMask())),
])
async def test_staff_without_an_inbox_are_denied(env, command):
    handler = {commands.ListNotifications: env.handlers.list_notifications, commands.MarkNotificationsRead: env.handlers.mark_read,
               commands.GetPreferences: env.handlers.get_preferences, commands.UpdatePreferences: env.handlers.update_preferences}
    with pytest.raises(PermissionDenied):
        await handler[type(command)](command)
    assert env.repos.preferences.stored == {}


async def test_moderators_cannot_subscribe(env):
    with pytest.raises(PermissionDenied):
        await anext(env.handlers.subscribe(commands.Subscribe(MODERATOR)))
    assert env.fanout.feeds == []


async def test_each_caller_sees_only_their_inbox(env):
    await deliver(env, 2, recipient=SHOP_P)
    assert (await env.handlers.list_notifications(commands.ListNotifications(BUYER))).notifications == []
    assert (await env.handlers.list_notifications(commands.ListNotifications(Identity("u9", Role.SELLER, "s9")))).unread_count == 0
    assert len((await env.handlers.list_notifications(commands.ListNotifications(OTHER_SELLER_OF_THE_SHOP))).notifications) == 2


# --- Subscribe ----------------------------------------------------------------------------------

async def test_subscribers_receive_their_new_notifications_only(env):
    stream = env.handlers.subscribe(commands.Subscribe(SELLER))
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    assert [f.recipient for f in env.fanout.feeds] == [SHOP_P]
    await consume(env, delivered("to-buyer", sender=SELLER, recipients=(BUYER_P,)))
    await consume(env, delivered("to-shop"))
    note = await asyncio.wait_for(first, 1)
    assert note.notification_id == "to-shop:shop:s1"
    await consume(env, delivered("to-shop"))  # redelivered: not announced again
    await stream.aclose()
    assert env.fanout.feeds == []
    assert [n.notification_id for n in env.fanout.announced] == ["to-buyer:user:b1", "to-shop:shop:s1"]
