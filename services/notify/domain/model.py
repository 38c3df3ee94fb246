"""Notifications: who is told what, in Russian. Plain Python."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class Kind(str, enum.Enum):
    NEW_MESSAGE = "NEW_MESSAGE"
    MESSAGE_BLOCKED = "MESSAGE_BLOCKED"
    MESSAGE_HELD = "MESSAGE_HELD"
    CLAIM_UPDATE = "CLAIM_UPDATE"
    REFUND = "REFUND"
    PENALTY = "PENALTY"
    REPLY_DEADLINE = "REPLY_DEADLINE"


PREVIEW_CHARS = 140


@dataclass(frozen=True)
class Notification:
    notification_id: str
    recipient: str  # "user:<id>", "shop:<id>" or "support"
    kind: Kind
    title: str
    body: str
    created_at: dt.datetime
    thread_id: str = ""
    claim_id: str = ""
    read: bool = False


@dataclass
class Preferences:
    muted_kinds: set[Kind] = field(default_factory=set)
    email_enabled: bool = False
    email_address: str = ""
    webhook_enabled: bool = False
    webhook_url: str = ""


def preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def format_rub(amount_minor: int, currency: str) -> str:
    units, minor = divmod(abs(amount_minor), 100)
    sign = "-" if amount_minor < 0 else ""
    grouped = f"{units:,}".replace(",", "\u00a0")
    symbol = "₽" if currency == "RUB" else currency
    return f"{sign}{grouped},{minor:02d}\u00a0{symbol}"


def _id(event_id: str, recipient: str) -> str:
    # One notification per event and recipient: redelivered events change nothing.
    return f"{event_id}:{recipient}"


def new_message(event_id: str, at: dt.datetime, *, recipient: str, sender_is_seller: bool, sender_is_support: bool,
                thread_id: str, order_id: str, text: str) -> Notification:
    if sender_is_support:
        title = "Ответ службы поддержки"
    elif sender_is_seller:
        title = f"Новое сообщение от продавца по заказу {order_id}" if order_id else "Новое сообщение от продавца"
    else:
        title = f"Новое сообщение от покупателя по заказу {order_id}" if order_id else "Новое сообщение от покупателя"
    return Notification(_id(event_id, recipient), recipient, Kind.NEW_MESSAGE, title, preview(text), at, thread_id=thread_id)


def message_not_delivered(event_id: str, at: dt.datetime, *, recipient: str, held: bool, reason: str, thread_id: str) -> Notification:
    if held:
        return Notification(
            _id(event_id, recipient), recipient, Kind.MESSAGE_HELD, "Сообщение отправлено на проверку",
            "Сообщение будет доставлено после проверки модератором. " + reason, at, thread_id=thread_id,
        )
    return Notification(
        _id(event_id, recipient), recipient, Kind.MESSAGE_BLOCKED, "Сообщение не доставлено",
        reason or "Сообщение нарушает правила общения на маркетплейсе.", at, thread_id=thread_id,
    )


CLAIM_STATUS_TEXT = {
    "AWAITING_SELLER": "Заявка на возврат ожидает решения продавца",
    "AWAITING_BUYER": "Продавец одобрил заявку и предложил компенсацию",
    "AWAITING_HANDOVER": "Компенсация согласована: передайте товар",
    "ITEM_IN_TRANSIT": "Товар передан продавцу",
    "REJECTED": "Продавец отклонил заявку на возврат",
    "SETTLED": "Заявка на возврат завершена",
    "CANCELLED": "Заявка на возврат отменена",
}


def claim_update(event_id: str, at: dt.datetime, *, recipient: str, claim_id: str, status: str, order_id: str, thread_id: str) -> Notification:
    title = CLAIM_STATUS_TEXT.get(status, "Статус заявки на возврат изменился")
    return Notification(_id(event_id, recipient), recipient, Kind.CLAIM_UPDATE, title,
                        f"Заказ {order_id}, заявка {claim_id}.", at, thread_id=thread_id, claim_id=claim_id)


def refund_issued(event_id: str, at: dt.datetime, *, recipient: str, claim_id: str, amount_minor: int, currency: str, to_buyer: bool) -> Notification:
    amount = format_rub(amount_minor, currency)
    if to_buyer:
        title, body = "Деньги возвращены", f"Возврат {amount} по заявке {claim_id} оформлен."
    else:
        title, body = "Списание с баланса", f"С баланса магазина списано {amount}: возврат покупателю по заявке {claim_id}."
    return Notification(_id(event_id, recipient), recipient, Kind.REFUND, title, body, at, claim_id=claim_id)


def penalty_issued(event_id: str, at: dt.datetime, *, recipient: str, amount_minor: int, currency: str, reason: str) -> Notification:
    return Notification(_id(event_id, recipient), recipient, Kind.PENALTY, "Штраф за нарушение правил общения",
                        f"Начислен штраф {format_rub(amount_minor, currency)}. {reason}".strip(), at)


def reply_deadline(event_id: str, at: dt.datetime, *, recipient: str, thread_id: str, order_id: str, due_at: dt.datetime,
                   breached: bool) -> Notification:
    about = f" по заказу {order_id}" if order_id else ""
    when = due_at.strftime("%d.%m.%Y %H:%M UTC")
    if breached:
        title, body = "Срок ответа истёк", f"Покупатель ждёт ответа{about}. Срок ответа истёк {when}."
    else:
        title, body = "Скоро истечёт срок ответа", f"Ответьте покупателю{about} до {when}."
    return Notification(_id(event_id, recipient), recipient, Kind.REPLY_DEADLINE, title, body, at, thread_id=thread_id)
