import datetime as dt

import pytest

from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.chat.domain.model import (
    ChatPolicy,
    InitiationReason,
    NewThread,
    SupportTopic,
    ThreadKind,
    ThreadStatus,
    open_thread,
    validate_message,
)

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
POLICY = ChatPolicy("t", 4000, 10, 1 << 20, 10, 255, ("image/jpeg", "video/mp4"), seller_reply_hours=240, support_reply_hours=72, remind_before_hours=24, moderation_deadline_ms=500)
BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u1", Role.SELLER, "s1")


def test_buyer_opens_an_order_thread_with_the_shop():
    thread = open_thread(NewThread("r1", ThreadKind.ORDER, order_id="o1", shop_id="s1"), BUYER, NOW, POLICY)
    assert thread.participants == {"buyer": "user:b1", "seller": "shop:s1"}
    assert thread.side_of(BUYER) == "buyer" and thread.side_of(SELLER) == "seller"
    assert thread.side_of(Identity("u2", Role.SELLER, "s2")) is None


def test_the_same_order_chat_is_found_again_whoever_opens_it():
    by_buyer = open_thread(NewThread("r1", ThreadKind.ORDER, order_id="o1", shop_id="s1"), BUYER, NOW, POLICY)
    by_seller = open_thread(
        NewThread("r2", ThreadKind.ORDER, order_id="o1", buyer_id="b1", initiation_reason=InitiationReason.DELIVERY_PROBLEM),
        SELLER, NOW, POLICY,
    )
    assert by_buyer.thread_id == by_seller.thread_id


def test_seller_may_write_first_only_with_a_reason():
    with pytest.raises(FailedPrecondition) as err:
        open_thread(NewThread("r1", ThreadKind.ORDER, order_id="o1", buyer_id="b1"), SELLER, NOW, POLICY)
    assert err.value.reason == "SELLER_INITIATION_REASON_REQUIRED"


def test_seller_cannot_open_for_another_shop_and_buyer_not_for_another_buyer():
    with pytest.raises(InvalidArgument):
        open_thread(NewThread("r1", ThreadKind.ORDER, order_id="o1", buyer_id="b1", shop_id="s2",
                              initiation_reason=InitiationReason.ORDER_DETAILS), SELLER, NOW, POLICY)
    with pytest.raises(InvalidArgument):
        open_thread(NewThread("r1", ThreadKind.ORDER, order_id="o1", shop_id="s1", buyer_id="b2"), BUYER, NOW, POLICY)


def test_invalid_thread_requests_list_every_problem():
    with pytest.raises(InvalidArgument) as err:
        open_thread(NewThread("", ThreadKind.ORDER), BUYER, NOW, POLICY)
    assert {v.field for v in err.value.violations} == {"request_id", "order_id", "shop_id"}
    with pytest.raises(InvalidArgument) as err:
        open_thread(NewThread("r", None), BUYER, NOW, POLICY)
    assert err.value.violations[0].field == "kind"


def test_support_thread_needs_category_and_topic_and_staff_cannot_open_one():
    thread = open_thread(NewThread("r1", ThreadKind.SUPPORT, support=SupportTopic("Приемка товара", "Возражения по актам приемки")), SELLER, NOW, POLICY)
    assert thread.participants == {"author": "shop:s1", "support": "support"}
    assert thread.side_of(Identity("agent", Role.SUPPORT)) == "support"
    with pytest.raises(InvalidArgument):
        open_thread(NewThread("r1", ThreadKind.SUPPORT, support=SupportTopic("", "")), BUYER, NOW, POLICY)
    with pytest.raises(PermissionDenied):
        open_thread(NewThread("r1", ThreadKind.SUPPORT, support=SupportTopic("a", "b")), Identity("m", Role.MODERATOR), NOW, POLICY)


def test_reply_deadline_starts_with_the_buyer_and_stops_with_the_seller():
    thread = open_thread(NewThread("r1", ThreadKind.ORDER, order_id="o1", shop_id="s1"), BUYER, NOW, POLICY)
    assert thread.reply_due_after("buyer", NOW, POLICY) == (True, NOW + dt.timedelta(hours=240))
    thread.reply_due_at = NOW + dt.timedelta(hours=240)
    assert thread.reply_due_after("buyer", NOW, POLICY) == (False, None)  # the clock keeps running
    assert thread.reply_due_after("seller", NOW, POLICY) == (True, None)  # answered: cleared


def test_only_participants_write_and_closed_threads_refuse_messages():
    thread = open_thread(NewThread("r1", ThreadKind.ORDER, order_id="o1", shop_id="s1"), BUYER, NOW, POLICY)
    with pytest.raises(PermissionDenied):
        thread.require_writable_by(Identity("b2", Role.BUYER))
    assert thread.require_visible(Identity("m", Role.MODERATOR)) is None  # staff read
    thread.status = ThreadStatus.CLOSED
    with pytest.raises(FailedPrecondition):
        thread.require_writable_by(BUYER)


def test_message_limits():
    with pytest.raises(InvalidArgument) as err:
        validate_message("x" * 4001, [], "r1", "t1", POLICY)
    assert "4000" in err.value.violations[0].description
    with pytest.raises(InvalidArgument):
        validate_message("   ", [], "r1", "t1", POLICY)
    validate_message("Здравствуйте", [], "r1", "t1", POLICY)
