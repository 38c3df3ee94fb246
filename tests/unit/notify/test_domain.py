import datetime as dt

import pytest

from prilavok_platform.errors import InvalidArgument, PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.notify.domain import access
from services.notify.domain import notifications as tell
from services.notify.domain.model import MAX_IDS_PER_MARK, Kind, Preferences, check_mark_read, notification_id, wanted

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
BUYER, SHOP = Party.user("b1"), Party.shop("s1")


def test_rouble_formatting_is_exact():
    assert tell.format_rub(249_990, "RUB") == "2\u00a0499,90\u00a0₽"
    assert tell.format_rub(-5, "RUB") == "-0,05\u00a0₽"
    assert tell.format_rub(100, "KZT") == "1,00\u00a0KZT"


def test_preview_is_bounded():
    assert len(tell.preview("слово " * 100)) == 140


def test_notification_ids_derive_from_the_event_and_the_recipient():
    assert notification_id("e1", SHOP) == "e1:shop:s1"
    assert notification_id("e1", Party.support()) == "e1:support"
    [first] = tell.message_delivered("e1", NOW, recipients=[SHOP], sender=Role.BUYER, thread_id="t", order_id="o", text="x")
    [again] = tell.message_delivered("e1", NOW, recipients=[SHOP], sender=Role.BUYER, thread_id="t", order_id="o", text="x")
    assert first.notification_id == again.notification_id == "e1:shop:s1"


def test_message_titles_follow_the_sender():
    def title(sender, order_id="o1"):
        [n] = tell.message_delivered("e", NOW, recipients=[BUYER], sender=sender, thread_id="t", order_id=order_id, text="Здравствуйте")
        return n.title

    assert title(Role.BUYER) == "Новое сообщение от покупателя по заказу o1"
    assert title(Role.SELLER) == "Новое сообщение от продавца по заказу o1"
    assert title(Role.SELLER, order_id="") == "Новое сообщение от продавца"
    assert title(Role.SUPPORT) == "Ответ службы поддержки"


def test_each_recipient_is_told_once():
    told = tell.message_delivered("e", NOW, recipients=[SHOP, SHOP, BUYER], sender=Role.SUPPORT, thread_id="t", order_id="", text="x")
    assert [n.recipient for n in told] == [SHOP, BUYER]


def test_claim_changes_tell_the_other_side_and_both_when_staff_acts():
    claim = tell.Claim("c1", "o1", "t1", "b1", "s1", tell.ClaimStatus.AWAITING_BUYER)
    assert [n.recipient for n in tell.claim_opened("e", NOW, claim)] == [SHOP]
    assert [n.recipient for n in tell.claim_status_changed("e", NOW, claim, SHOP)] == [BUYER]
    assert [n.recipient for n in tell.claim_status_changed("e", NOW, claim, BUYER)] == [SHOP]
    assert [n.recipient for n in tell.claim_status_changed("e", NOW, claim, Party.support())] == [BUYER, SHOP]
    [n] = tell.claim_status_changed("e", NOW, claim, SHOP)
    assert n.title == "Продавец одобрил заявку и предложил компенсацию" and n.claim_id == "c1" and n.thread_id == "t1"
    unknown = tell.Claim("c1", "o1", "t1", "b1", "s1", None)
    assert tell.claim_opened("e", NOW, unknown)[0].title == tell.UNKNOWN_CLAIM_STATUS_TITLE


def test_deadline_texts_show_the_due_time_in_utc():
    due = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    [soon] = tell.reply_deadline("e", NOW, recipients=[SHOP], thread_id="t", order_id="o1", due_at=due, breached=False)
    assert soon.title == "Скоро истечёт срок ответа" and "23.11.2026 12:30 UTC" in soon.body
    [late] = tell.reply_deadline("e", NOW, recipients=[SHOP], thread_id="t", order_id="", due_at=due, breached=True)
    assert late.title == "Срок ответа истёк" and "по заказу" not in late.body


def test_muted_kinds_are_dropped_only_for_who_muted_them():
    told = tell.refund_issued("e", NOW, claim_id="c", buyer_id="b1", shop_id="s1", amount_minor=100, currency="RUB")
    kept = wanted(told, {BUYER: Preferences(muted_kinds=frozenset({Kind.REFUND}))})
    assert [n.recipient for n in kept] == [SHOP]


def test_preferences_are_validated_and_trimmed():
    assert Preferences(email_enabled=True, email_address="  a@b.ru ").validated().email_address == "a@b.ru"
    with pytest.raises(InvalidArgument) as err:
        Preferences(email_enabled=True, webhook_enabled=True, webhook_url="http://x").validated()
    assert {v.field for v in err.value.violations} == {"preferences.email_address", "preferences.webhook_url"}
    with pytest.raises(InvalidArgument):
        Preferences(webhook_url="https://" + "x" * 2000).validated()


def test_mark_read_names_what_it_marks():
    check_mark_read(("n1",), False)
    check_mark_read((), True)
    for ids, everything in (((), False), (tuple(str(i) for i in range(MAX_IDS_PER_MARK + 1)), False)):
        with pytest.raises(InvalidArgument) as err:
            check_mark_read(ids, everything)
        assert err.value.violations[0].field == "notification_ids"


def test_inboxes_belong_to_buyers_shops_and_the_desk():
    assert access.inbox_of(Identity("b1", Role.BUYER)) == BUYER
    assert access.inbox_of(Identity("u7", Role.SELLER, "s1")) == SHOP
    assert access.inbox_of(Identity("agent", Role.SUPPORT)) == Party.support()
    for role in (Role.MODERATOR, Role.SERVICE):
        with pytest.raises(PermissionDenied):
            access.inbox_of(Identity("x", role))
