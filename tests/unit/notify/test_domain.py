import datetime as dt

from prilavok.chat.v1 import chat_pb2, events_pb2
from prilavok.common.v1 import common_pb2
from services.notify.domain.model import Kind, format_rub, preview
from services.notify.entrypoints.consumers import from_chat

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def test_rouble_formatting_is_exact():
    assert format_rub(249_990, "RUB") == "2\u00a0499,90\u00a0₽"
    assert format_rub(-5, "RUB") == "-0,05\u00a0₽"
    assert format_rub(100, "KZT") == "1,00\u00a0KZT"


def test_preview_is_bounded():
    assert len(preview("слово " * 100)) == 140


def _delivered(sender_role, thread_kind=chat_pb2.THREAD_KIND_ORDER) -> bytes:
    thread = chat_pb2.Thread(thread_id="t1", kind=thread_kind, buyer_id="b1", shop_id="s1", order_id="o1",
                             author=common_pb2.Actor(role=common_pb2.ROLE_BUYER, user_id="b1"))
    sender = common_pb2.Actor(role=sender_role, user_id="u", shop_id="s1" if sender_role == common_pb2.ROLE_SELLER else "")
    if sender_role == common_pb2.ROLE_BUYER:
        sender.user_id = "b1"
    message = chat_pb2.Message(message_id="m1", thread_id="t1", sender=sender, text="Здравствуйте")
    return events_pb2.MessageDelivered(event_id="e1", thread=thread, message=message).SerializeToString()


def test_a_message_notifies_the_other_side_only():
    [n] = from_chat("prilavok.chat.v1.MessageDelivered", _delivered(common_pb2.ROLE_BUYER))
    assert n.recipient == "shop:s1" and n.kind is Kind.NEW_MESSAGE and "покупателя" in n.title
    [n] = from_chat("prilavok.chat.v1.MessageDelivered", _delivered(common_pb2.ROLE_SELLER))
    assert n.recipient == "user:b1" and "продавца" in n.title
    [n] = from_chat("prilavok.chat.v1.MessageDelivered", _delivered(common_pb2.ROLE_BUYER, chat_pb2.THREAD_KIND_SUPPORT))
    assert n.recipient == "support"


def test_notification_ids_derive_from_the_event_so_redelivery_is_harmless():
    first = from_chat("prilavok.chat.v1.MessageDelivered", _delivered(common_pb2.ROLE_BUYER))
    again = from_chat("prilavok.chat.v1.MessageDelivered", _delivered(common_pb2.ROLE_BUYER))
    assert [n.notification_id for n in first] == [n.notification_id for n in again] == ["e1:shop:s1"]
