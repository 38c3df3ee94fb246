"""Who is told what about the suite's events, in Russian: one function per event type.

Chat names the recipients of its events itself (it knows the thread's parties); for claims,
refunds and penalties the recipients follow from the parties named in the event."""
from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from prilavok_platform.identity import Party, Role
from services.notify.domain.model import Kind, Notification, notification_id

PREVIEW_CHARS = 140


class ClaimStatus(str, enum.Enum):
    AWAITING_SELLER = "AWAITING_SELLER"
    AWAITING_BUYER = "AWAITING_BUYER"
    AWAITING_HANDOVER = "AWAITING_HANDOVER"
    ITEM_IN_TRANSIT = "ITEM_IN_TRANSIT"
    REJECTED = "REJECTED"
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"


CLAIM_STATUS_TITLE = {
    ClaimStatus.AWAITING_SELLER: "Заявка на возврат ожидает решения продавца",
    ClaimStatus.AWAITING_BUYER: "Продавец одобрил заявку и предложил компенсацию",
    ClaimStatus.AWAITING_HANDOVER: "Компенсация согласована: передайте товар",
    ClaimStatus.ITEM_IN_TRANSIT: "Товар передан продавцу",
    ClaimStatus.REJECTED: "Продавец отклонил заявку на возврат",
    ClaimStatus.SETTLED: "Заявка на возврат завершена",
    ClaimStatus.CANCELLED: "Заявка на возврат отменена",
}
UNKNOWN_CLAIM_STATUS_TITLE = "Статус заявки на возврат изменился"


@dataclass(frozen=True)
class Claim:
    claim_id: str
    order_id: str
    thread_id: str
    buyer_id: str
    shop_id: str
    status: ClaimStatus | None  # None: a status this version of notify does not know yet

    @property
    def parties(self) -> tuple[Party, Party]:
        return Party.user(self.buyer_id), Party.shop(self.shop_id)


def preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def format_rub(amount_minor: int, currency: str) -> str:
    units, minor = divmod(abs(amount_minor), 100)
    sign = "-" if amount_minor < 0 else ""
    grouped = f"{units:,}".replace(",", "\u00a0")
    symbol = "₽" if currency == "RUB" else currency
    return f"{sign}{grouped},{minor:02d}\u00a0{symbol}"


def _each(recipients: Iterable[Party]) -> list[Party]:
    return list(dict.fromkeys(recipients))  # once each, in the order given


def message_delivered(event_id: str, at: dt.datetime, *, recipients: Iterable[Party], sender: Role, thread_id: str,
                      order_id: str, text: str) -> list[Notification]:
    """A new message, for the parties chat names (everyone in the thread but the sender)."""
    about = f" по заказу {order_id}" if order_id else ""
    if sender is Role.SUPPORT:
        title = "Ответ службы поддержки"
    elif sender is Role.SELLER:
        title = f"Новое сообщение от продавца{about}"
    else:
        title = f"Новое сообщение от покупателя{about}"
    return [Notification(notification_id(event_id, r), r, Kind.NEW_MESSAGE, title, preview(text), at, thread_id=thread_id)
            for r in _each(recipients)]


def message_held(event_id: str, at: dt.datetime, *, recipients: Iterable[Party], reason: str, thread_id: str) -> list[Notification]:
    """The sender learns that their message waits for a moderator."""
    body = f"Сообщение будет доставлено после проверки модератором. {reason}".strip()
    return [Notification(notification_id(event_id, r), r, Kind.MESSAGE_HELD, "Сообщение отправлено на проверку", body, at,
                         thread_id=thread_id) for r in _each(recipients)]


def message_blocked(event_id: str, at: dt.datetime, *, recipients: Iterable[Party], reason: str, thread_id: str) -> list[Notification]:
    """The sender learns that their message was not delivered, and why."""
    body = reason or "Сообщение нарушает правила общения на маркетплейсе."
    return [Notification(notification_id(event_id, r), r, Kind.MESSAGE_BLOCKED, "Сообщение не доставлено", body, at,
                         thread_id=thread_id) for r in _each(recipients)]


def reply_deadline(event_id: str, at: dt.datetime, *, recipients: Iterable[Party], thread_id: str, order_id: str,
                   due_at: dt.datetime, breached: bool) -> list[Notification]:
    """The party that owes the reply: a reminder before the deadline, a notice once it passed."""
    about = f" по заказу {order_id}" if order_id else ""
    when = due_at.astimezone(dt.UTC).strftime("%d.%m.%Y %H:%M UTC")
    if breached:
        title, body = "Срок ответа истёк", f"Покупатель ждёт ответа{about}. Срок ответа истёк {when}."
    else:
        title, body = "Скоро истечёт срок ответа", f"Ответьте покупателю{about} до {when}."
    return [Notification(notification_id(event_id, r), r, Kind.REPLY_DEADLINE, title, body, at, thread_id=thread_id)
            for r in _each(recipients)]


def _claim_update(event_id: str, at: dt.datetime, claim: Claim, recipients: Iterable[Party], comment: str = "") -> list[Notification]:
    title = CLAIM_STATUS_TITLE.get(claim.status, UNKNOWN_CLAIM_STATUS_TITLE) if claim.status else UNKNOWN_CLAIM_STATUS_TITLE
    body = f"Заказ {claim.order_id}, заявка {claim.claim_id}."
    if comment.strip():
        body += f" Комментарий: «{preview(comment)}»"
    return [Notification(notification_id(event_id, r), r, Kind.CLAIM_UPDATE, title, body, at, thread_id=claim.thread_id,
                         claim_id=claim.claim_id) for r in _each(recipients)]


def claim_opened(event_id: str, at: dt.datetime, claim: Claim) -> list[Notification]:
    """The buyer opens a claim: the shop is told."""
    _, shop = claim.parties
    return _claim_update(event_id, at, claim, [shop])


def claim_status_changed(event_id: str, at: dt.datetime, claim: Claim, changed_by: Party | None, comment: str = "") -> list[Notification]:
    """Buyer and shop are told, except the side that made the change. A change by staff (or by
    nobody named) concerns both. What the changing side wrote with the move (a rejection reason,
    the buyer's answer to an offer...) is quoted, shortened like a message preview."""
    return _claim_update(event_id, at, claim, [p for p in claim.parties if p != changed_by], comment)


def refund_issued(event_id: str, at: dt.datetime, *, claim_id: str, buyer_id: str, shop_id: str, amount_minor: int,
                  currency: str) -> list[Notification]:
    """The buyer gets the money back, the shop sees it debited from its balance: both are told."""
    amount = format_rub(amount_minor, currency)
    buyer, shop = Party.user(buyer_id), Party.shop(shop_id)
    return [
        Notification(notification_id(event_id, buyer), buyer, Kind.REFUND, "Деньги возвращены",
                     f"Возврат {amount} по заявке {claim_id} оформлен.", at, claim_id=claim_id),
        Notification(notification_id(event_id, shop), shop, Kind.REFUND, "Списание с баланса",
                     f"С баланса магазина списано {amount}: возврат покупателю по заявке {claim_id}.", at, claim_id=claim_id),
    ]


def penalty_issued(event_id: str, at: dt.datetime, *, offender: Party, amount_minor: int, currency: str,
                   reason: str) -> list[Notification]:
    """The fined party (a seller's shop, or the user) is told the amount and why."""
    body = f"Начислен штраф {format_rub(amount_minor, currency)}. {reason}".strip()
    return [Notification(notification_id(event_id, offender), offender, Kind.PENALTY, "Штраф за нарушение правил общения", body, at)]
