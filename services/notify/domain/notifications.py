"""Who is told what about the suite's events, in Russian: one function per consumed event.

Chat names the recipients of its events itself (it knows the thread's parties), moderation names
the offender; for claims and refunds the recipients are the buyer and the shop the event names.
Every notification is dated by its event and identified by it: an event without its id or its
time is malformed (MalformedEvent), never guessed."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prilavok_platform.identity import Party, PartyKind, Role
from services.notify.domain import commands
from services.notify.domain.model import (
    AppealOutcome,
    Claim,
    ClaimStatus,
    Kind,
    MalformedEvent,
    Notification,
    Standing,
    ThreadKind,
    notification_id,
)

PREVIEW_CHARS = 140

CLAIM_STATUS_TITLE = {
    ClaimStatus.AWAITING_SELLER: "Заявка на возврат ожидает решения продавца",
    ClaimStatus.AWAITING_BUYER: "Продавец одобрил заявку и предложил компенсацию",
    ClaimStatus.AWAITING_HANDOVER: "Компенсация согласована: передайте товар",
    ClaimStatus.ITEM_IN_TRANSIT: "Товар передан продавцу",
    ClaimStatus.REJECTED: "Продавец отклонил заявку на возврат",
    ClaimStatus.SETTLED: "Заявка на возврат завершена",
    ClaimStatus.CANCELLED: "Заявка на возврат отменена",
}
# For a status this version does not know (a newer returns) or none at all.
UNKNOWN_CLAIM_STATUS_TITLE = "Статус заявки на возврат изменился"


def preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def format_rub(amount_minor: int, currency: str) -> str:
    units, minor = divmod(abs(amount_minor), 100)
    sign = "-" if amount_minor < 0 else ""
    grouped = f"{units:,}".replace(",", "\u00a0")
    symbol = "₽" if currency == "RUB" else currency
    return f"{sign}{grouped},{minor:02d}\u00a0{symbol}"


def _required(value: dt.datetime | None, field: str) -> dt.datetime:
    """An event's times are part of what it says: without them it is malformed, never guessed."""
    if value is None:
        raise MalformedEvent(field, "is required")
    return value


def _dated(c: commands.EventCommand) -> dt.datetime:
    """When the event happened, which dates its notifications; the event id names them (one per
    event and recipient), so an event without one would be mistaken for any other."""
    if not c.event_id:
        raise MalformedEvent("event_id", "is required")
    return _required(c.occurred_at, "occurred_at")


def _each(recipients: Iterable[Party]) -> list[Party]:
    return list(dict.fromkeys(recipients))  # once each, in the order given


def message_delivered(c: commands.TellMessageDelivered) -> list[Notification]:
    """A new message, for the parties chat names (everyone in the thread but the sender)."""
    at = _dated(c)
    about = f" по заказу {c.order_id}" if c.order_id else ""
    if c.sender is Role.SUPPORT:
        title = "Ответ службы поддержки"
    elif c.sender is Role.SELLER:
        title = f"Новое сообщение от продавца{about}"
    elif c.sender is Role.BUYER:
        title = f"Новое сообщение от покупателя{about}"
    else:  # a role this version does not know: the message is still worth telling
        title = f"Новое сообщение{about}"
    return [Notification(notification_id(c.event_id, r), r, Kind.NEW_MESSAGE, title, preview(c.text), at, thread_id=c.thread_id)
            for r in _each(c.recipients)]


def message_held(c: commands.TellMessageHeld) -> list[Notification]:
    """The sender learns that their message waits for a moderator."""
    at = _dated(c)
    body = f"Сообщение будет доставлено после проверки модератором. {c.reason}".strip()
    return [Notification(notification_id(c.event_id, r), r, Kind.MESSAGE_HELD, "Сообщение отправлено на проверку", body, at,
                         thread_id=c.thread_id) for r in _each(c.recipients)]


def message_blocked(c: commands.TellMessageBlocked) -> list[Notification]:
    """The sender learns that their message was not delivered, and why."""
    at = _dated(c)
    body = c.reason or "Сообщение нарушает правила общения на маркетплейсе."
    return [Notification(notification_id(c.event_id, r), r, Kind.MESSAGE_BLOCKED, "Сообщение не доставлено", body, at,
                         thread_id=c.thread_id) for r in _each(c.recipients)]


def message_undelivered(c: commands.TellMessageUndelivered) -> list[Notification]:
    """The sender learns that a moderator cleared their message (approved it on review, or
    reversed its block on appeal) but that it was not delivered, its thread having closed
    meanwhile: it never will be, and only the sender's party sees it. Names the message by when
    it was written and the chat by its order and when it closed, as far as chat says."""
    at = _dated(c)
    written = f" от {_when(c.sent_at)}" if c.sent_at else ""
    about = f" по заказу {c.order_id}" if c.order_id else ""
    if c.on_appeal:
        cleared = f"Ваша апелляция удовлетворена: модератор отменил блокировку сообщения{written}{about}"
    else:
        cleared = f"Модератор проверил ваше сообщение{written}{about} и одобрил его"
    closed = f"чат закрыт {_when(c.closed_at)}" if c.closed_at else "чат к этому времени был закрыт"
    body = f"{cleared}, но доставить его нельзя: {closed}. Сообщение видно только вам."
    return [Notification(notification_id(c.event_id, r), r, Kind.MESSAGE_UNDELIVERED, "Сообщение не доставлено: чат закрыт", body,
                         at, thread_id=c.thread_id) for r in _each(c.recipients)]


# Who waits for the reply, (nominative, dative), by the author of a support thread.
SUPPORT_AUTHOR = {Role.BUYER: ("Покупатель", "покупателю"), Role.SELLER: ("Продавец", "продавцу")}
SOME_AUTHOR = ("Автор обращения", "автору обращения")


def waiting_party(kind: ThreadKind | None, author: Role | None) -> tuple[str, str]:
    """Who waits for the reply the recipient owes, (nominative, dative): in an order or claim
    chat the buyer (the shop owes it); in a support thread its author, a buyer or a seller (the
    desk owes it). A kind this version does not know names nobody in particular."""
    if kind is ThreadKind.SUPPORT:
        return SUPPORT_AUTHOR[author] if author is not None and author in SUPPORT_AUTHOR else SOME_AUTHOR
    if kind in (ThreadKind.ORDER, ThreadKind.CLAIM):
        return "Покупатель", "покупателю"
    return "Собеседник", "собеседнику"


def reply_deadline(c: commands.TellReplyDeadline) -> list[Notification]:
    """The party that owes the reply: a reminder before the deadline, a notice once it passed,
    naming who waits (which depends on the thread's kind)."""
    at = _dated(c)
    due_at = _required(c.due_at, "due_at")
    who, whom = waiting_party(c.thread_kind, c.author)
    about = f" по заказу {c.order_id}" if c.order_id else ""
    if c.thread_kind is ThreadKind.SUPPORT:
        about = " на обращение в поддержку" + about
    when = due_at.astimezone(dt.UTC).strftime("%d.%m.%Y %H:%M UTC")
    if c.breached:
        title, body = "Срок ответа истёк", f"{who} ждёт ответа{about}. Срок ответа истёк {when}."
    else:
        title, body = "Скоро истечёт срок ответа", f"Ответьте {whom}{about} до {when}."
    return [Notification(notification_id(c.event_id, r), r, Kind.REPLY_DEADLINE, title, body, at, thread_id=c.thread_id)
            for r in _each(c.recipients)]


def claim_status_title(claim: Claim) -> str:
    return CLAIM_STATUS_TITLE[claim.status] if claim.status is not None else UNKNOWN_CLAIM_STATUS_TITLE


def _claim_update(event_id: str, at: dt.datetime, claim: Claim, recipients: Iterable[Party], comment: str = "") -> list[Notification]:
    body = f"Заказ {claim.order_id}, заявка {claim.claim_id}."
    if comment.strip():
        body += f" Комментарий: «{preview(comment)}»"
    return [Notification(notification_id(event_id, r), r, Kind.CLAIM_UPDATE, claim_status_title(claim), body, at,
                         thread_id=claim.thread_id, claim_id=claim.claim_id) for r in _each(recipients)]


def claim_opened(c: commands.TellClaimOpened) -> list[Notification]:
    """The buyer opens a claim: the shop is told."""
    return _claim_update(c.event_id, _dated(c), c.claim, [c.claim.shop])


def acting_side(claim: Claim, changed_by: Role | None) -> Party | None:
    """The claim's side that made a change: the buyer, or the shop when one of its sellers did;
    None for staff and for a change nobody is named for."""
    if changed_by is Role.BUYER:
        return claim.buyer
    if changed_by is Role.SELLER:
        return claim.shop
    return None


def claim_status_changed(c: commands.TellClaimStatusChanged) -> list[Notification]:
    """Buyer and shop are told, except the side that made the change. A change by staff (or by
    nobody named) concerns both. What the changing side wrote with the move (a rejection reason,
    the buyer's answer to an offer...) is quoted, shortened like a message preview. A move that
    settled the claim with its money held is told as such, to both (refund_held)."""
    at = _dated(c)
    actor = acting_side(c.claim, c.changed_by)
    if c.claim.refund_held:
        return refund_held(c.event_id, at, c.claim, actor, c.comment)
    return _claim_update(c.event_id, at, c.claim, [p for p in (c.claim.buyer, c.claim.shop) if p != actor], c.comment)


# Words agreeing with what a claim pays: a refund (masculine), a shipping reimbursement
# (feminine), both (plural).
APPROVED = {"m": "одобрен", "f": "одобрена", "pl": "одобрены"}
WAITS = {"m": "ожидает", "f": "ожидает", "pl": "ожидают"}


def _paid_parts(claim: Claim) -> tuple[str, str]:
    """What a settled claim pays the buyer, worded ("Возврат 2 499,90 ₽ и компенсация доставки
    150,00 ₽"), and its grammatical gender (a key of APPROVED). A claim naming no split: the
    amount held, as a refund."""
    refund, shipping, currency = claim.refunded_minor, claim.shipping_minor, claim.currency
    if refund > 0 and shipping > 0:
        return f"Возврат {format_rub(refund, currency)} и компенсация доставки {format_rub(shipping, currency)}", "pl"
    if shipping > 0:
        return f"Компенсация доставки {format_rub(shipping, currency)}", "f"
    return f"Возврат {format_rub(refund if refund > 0 else claim.held_minor, currency)}", "m"


def refund_held(event_id: str, at: dt.datetime, claim: Claim, actor: Party | None, comment: str = "") -> list[Notification]:
    """A claim settled with money the shop's balance cannot pay yet (returns holds it): the buyer
    learns the refund is approved and will be paid as soon as possible, the shop that it waits
    for funds on its balance (it would take the shop's debt past what the marketplace allows, or
    older refunds wait) and is paid from its next takings. Both are told whoever settled it;
    the side that did not act reads what the other wrote. The payment itself is told later, as
    any refund (RefundIssued)."""
    what, gender = _paid_parts(claim)
    about = f"по заявке {claim.claim_id} (заказ {claim.order_id})"
    buyer_body = (f"{what} {about} {APPROVED[gender]}. "
                  "Деньги поступят, как только это станет возможно: мы сообщим о зачислении.")
    shop_body = (f"{what} покупателю {about} {WAITS[gender]} средств на балансе магазина: выплата увела бы "
                 "баланс ниже допустимой задолженности (или раньше ждут выплаты другие возвраты). Деньги будут списаны "
                 "автоматически из ближайших поступлений, как только баланс позволит.")
    told = [(claim.buyer, "Возврат одобрен", buyer_body), (claim.shop, "Возврат ожидает средств на балансе", shop_body)]
    quoted = f" Комментарий: «{preview(comment)}»" if comment.strip() else ""
    return [Notification(notification_id(event_id, party), party, Kind.REFUND, title, body + (quoted if party != actor else ""), at,
                         thread_id=claim.thread_id, claim_id=claim.claim_id) for party, title, body in told]


def refund_issued(c: commands.TellRefundIssued) -> list[Notification]:
    """The buyer gets the money back, the shop sees it debited from its balance: both are told.
    What was paid is worded apart: the refund of the price, the reimbursed return shipping, or
    both named. An event that names the total only (an older returns) is worded as a refund of it."""
    at = _dated(c)
    buyer, shop = Party.user(c.buyer_id), Party.shop(c.shop_id)
    buyer_title, buyer_body, shop_body = _refund_wording(c)
    return [
        Notification(notification_id(c.event_id, buyer), buyer, Kind.REFUND, buyer_title, buyer_body, at, claim_id=c.claim_id),
        Notification(notification_id(c.event_id, shop), shop, Kind.REFUND, "Списание с баланса", shop_body, at, claim_id=c.claim_id),
    ]


def _refund_wording(c: commands.TellRefundIssued) -> tuple[str, str, str]:
    """(buyer's title, buyer's body, shop's body) for what the refund event says was paid."""
    refund = c.refund_minor or 0
    shipping = c.shipping_minor or 0
    claim = f"по заявке {c.claim_id}"
    if shipping > 0 and refund > 0:
        r, s, total = format_rub(refund, c.currency), format_rub(shipping, c.currency), format_rub(refund + shipping, c.currency)
        return ("Деньги возвращены", f"Возврат {r} и компенсация доставки {s} {claim} оформлены.",
                f"С баланса магазина списано {total}: возврат {r} и компенсация доставки {s} покупателю {claim}.")
    if shipping > 0:
        s = format_rub(shipping, c.currency)
        return ("Доставка компенсирована", f"Компенсация доставки {s} {claim} оформлена.",
                f"С баланса магазина списано {s}: компенсация доставки покупателю {claim}.")
    # A refund only, or an event that names the total only: a refund of the amount named.
    amount = format_rub(refund if refund > 0 else c.amount_minor, c.currency)
    return ("Деньги возвращены", f"Возврат {amount} {claim} оформлен.",
            f"С баланса магазина списано {amount}: возврат покупателю {claim}.")


def penalty_issued(c: commands.TellPenaltyIssued) -> list[Notification]:
    """The fined party moderation names (a seller's shop, or the user) is told the amount and why."""
    at = _dated(c)
    body = f"Начислен штраф {format_rub(c.amount_minor, c.currency)}. {c.reason}".strip()
    return [Notification(notification_id(c.event_id, c.offender), c.offender, Kind.PENALTY, "Штраф за нарушение правил общения",
                         body, at)]


def penalty_withdrawn(c: commands.TellPenaltyWithdrawn) -> list[Notification]:
    """The party that was fined is told the fine is withdrawn: a moderator approved the message
    it was issued for, or upheld the party's appeal, so the violation (its strike) no longer
    counts either."""
    at = _dated(c)
    if c.amount_minor:
        title, withdrawn = "Штраф отменён", f"Штраф {format_rub(c.amount_minor, c.currency)} отменён"
    else:
        title, withdrawn = "Нарушение отменено", "Нарушение отменено"
    why = "ваша апелляция удовлетворена" if c.appeal_id else "модератор проверил сообщение и одобрил его"
    body = f"{withdrawn}: {why}. Нарушение больше не учитывается."
    return [Notification(notification_id(c.event_id, c.offender), c.offender, Kind.PENALTY_WITHDRAWN, title, body, at)]


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%d.%m.%Y %H:%M UTC")


def _who_may_send(offender: Party, suspended: Party, *, may: bool) -> str:
    """Whom a suspension stops (or stops no more), as the offender's inbox reads it: the shop as a
    whole, one of its sellers in person (a policy that suspends only the writer), or the reader."""
    third, second = ("снова может", "снова можете") if may else ("не может", "не можете")
    if suspended == offender:
        return f"Магазин {third}" if offender.kind is PartyKind.SHOP else f"Вы {second}"
    return f"Продавец {suspended.id} {third}"


def standing_changed(c: commands.TellStandingChanged) -> list[Notification]:
    """The party moderation names is told when it is suspended (until when, and who may not send)
    and when a suspension ends early (a moderator lifted it, or the strikes behind it were
    withdrawn). Other moves of the standing are not told (each violation is told already), nor
    is a suspension that simply ran out (nothing announces it). Kind STANDING, which nobody can
    mute: a seller must not learn that their shop cannot write only from a refused message."""
    at = _dated(c)
    if c.current is Standing.SUSPENDED:
        until = _required(c.suspended_until, "suspended_until")
        who = _who_may_send(c.offender, c.suspended_party or c.offender, may=False)
        title = "Отправка сообщений приостановлена"
        body = (f"{who} отправлять сообщения в чатах до {_when(until)} из-за повторных нарушений правил общения. "
                "Решение можно обжаловать.")
    elif c.previous is Standing.SUSPENDED and c.current is not None:
        who = _who_may_send(c.offender, c.suspended_party or c.offender, may=True)
        title, body = "Ограничение снято", f"{who} отправлять сообщения в чатах."
    else:
        return []
    return [Notification(notification_id(c.event_id, c.offender), c.offender, Kind.STANDING, title, body, at)]


def appeal_resolved(c: commands.TellAppealResolved) -> list[Notification]:
    """The appellant learns the outcome with the moderator's words: upheld (the decision stands),
    or reversed (the violation no longer counts, its fines are withdrawn - each also told by its
    own notice, kind PENALTY_WITHDRAWN - and a message that had been blocked is delivered). Kind
    APPEAL either way."""
    at = _dated(c)
    comment = f" Комментарий модератора: «{preview(c.comment)}»" if c.comment.strip() else ""
    if c.outcome is AppealOutcome.REVERSED:
        parts = ["Модератор отменил решение по вашему сообщению: нарушение больше не учитывается"]
        if c.penalty_ids:
            parts.append("штраф отменён" if len(c.penalty_ids) == 1 else f"штрафы отменены ({len(c.penalty_ids)})")
        if c.message_was_blocked:
            parts.append("сообщение будет доставлено, если чат ещё открыт")
        title, body = "Апелляция удовлетворена", "; ".join(parts) + "." + comment
    else:
        title, body = "Апелляция отклонена", "Модератор оставил решение в силе." + comment
    return [Notification(notification_id(c.event_id, c.appellant), c.appellant, Kind.APPEAL, title, body, at, thread_id=c.thread_id)]
