"""Fines, suspensions and appeals across the suite, as a seller and a moderator meet them: soliciting
the buyer's contact is blocked and fined 25,000 RUB with its reason; an appeal waits in the review
queue and its reversal withdraws the strike and the fine (the seller is told); five strikes suspend
the shop until a date a moderator may bring forward; an approved held message takes its strike
back; the CLI does the same."""
from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest

from prilavok.chat.v1 import chat_pb2
from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok.notify.v1 import notify_pb2
from prilavok_cli.client import As
from prilavok_cli.main import Ctx, build_parser
from prilavok_platform.auth import Role
from prilavok_platform.replay import REPLAYED_HEADER
from tests.e2e.conftest import eventually, field_violations, fresh, md
from tests.e2e.test_sanctions import error_info

pytestmark = pytest.mark.e2e
MODERATOR = As(Role.MODERATOR, "mod-appeals")
FINE = 2_500_000


def open_order(chat, buyer: As, seller: As) -> str:
    request = chat_pb2.CreateThreadRequest(kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"o-{uuid.uuid4().hex[:8]}", shop_id=seller.shop_id)
    return chat.CreateThread(request, metadata=md(buyer)).thread.thread_id


def send(chat, who: As, thread_id: str, text: str) -> chat_pb2.Message:
    request = chat_pb2.SendMessageRequest(request_id=uuid.uuid4().hex, thread_id=thread_id, text=text)
    return chat.SendMessage(request, metadata=md(who)).message


def standing(moderation, seller: As) -> mpb.GetSenderStandingResponse:
    return moderation.GetSenderStanding(mpb.GetSenderStandingRequest(), metadata=md(seller))


def inbox(notify, who: As) -> list[notify_pb2.Notification]:
    return list(notify.ListNotifications(notify_pb2.ListNotificationsRequest(page_size=100), metadata=md(who)).notifications)


def titled(title: str):
    return lambda ns: any(n.title == title for n in ns)


def one(notifications: list[notify_pb2.Notification], title: str) -> notify_pb2.Notification:
    [found] = [n for n in notifications if n.title == title]
    return found


def queue(moderation, kind: int = 0) -> list[mpb.ReviewItem]:
    return list(moderation.ListReviewQueue(mpb.ListReviewQueueRequest(page_size=100, kind=kind), metadata=md(MODERATOR)).items)


def rpc_error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value


def test_a_seller_luring_the_buyer_to_whatsapp_is_blocked_fined_and_a_reversed_appeal_takes_it_all_back(stubs):
    chat, moderation, notify = stubs["chat"], stubs["moderation"], stubs["notify"]
    buyer, seller = fresh(Role.BUYER, "b-wa"), fresh(Role.SELLER, "s-wa")
    thread_id = open_order(chat, buyer, seller)
    lure = send(chat, seller, thread_id, "Напишите мне в WhatsApp")
    assert lure.status == chat_pb2.MESSAGE_STATUS_BLOCKED

    fined = eventually(lambda: standing(moderation, seller), lambda r: r.penalties, what="the fine recorded from the chat's event")
    [penalty] = fined.penalties
    assert (penalty.message_id, penalty.fine.amount_minor, penalty.fine.currency_code, penalty.category) == (
        lure.message_id, FINE, "RUB", mpb.CATEGORY_CONTACT_EXCHANGE)
    assert penalty.reason.startswith("Обмен контактами запрещён") and (fined.standing, fined.strikes_total) == (mpb.STANDING_WARNING, 1)
    told = eventually(lambda: inbox(notify, seller), titled("Штраф за нарушение правил общения"), what="the fine told")
    assert one(told, "Штраф за нарушение правил общения").body == f"Начислен штраф 25\u00a0000,00\u00a0₽. {penalty.reason}"

    # only the offender appeals; then once, by the penalty's id; the same request again is the same
    # appeal, marked as a replay in the response metadata (the first answer is not)
    request = mpb.AppealDecisionRequest(request_id="appeal-1", penalty_id=penalty.penalty_id, reason="Я предлагал написать в чат заказа")
    assert rpc_error(lambda: moderation.AppealDecision(request, metadata=md(buyer))).code() == grpc.StatusCode.PERMISSION_DENIED
    filed, first_call = moderation.AppealDecision.with_call(request, metadata=md(seller))
    appeal = filed.appeal
    assert (appeal.kind, appeal.status, appeal.message_id, appeal.appellant.id, appeal.appeal_reason) == (
        mpb.REVIEW_KIND_APPEAL, mpb.REVIEW_STATUS_PENDING, lure.message_id, seller.shop_id, request.reason)
    assert REPLAYED_HEADER not in dict(first_call.initial_metadata())
    retry, call = moderation.AppealDecision.with_call(request, metadata=md(seller))
    assert retry.appeal == appeal and (REPLAYED_HEADER, "true") in call.initial_metadata()
    changed = mpb.AppealDecisionRequest(request_id="appeal-1", penalty_id=penalty.penalty_id, reason="Другая причина")
    reused = rpc_error(lambda: moderation.AppealDecision(changed, metadata=md(seller)))
    assert reused.code() == grpc.StatusCode.INVALID_ARGUMENT and error_info(reused).reason == "IDEMPOTENCY_KEY_REUSED"
    assert list(field_violations(reused)) == ["reason"]
    again = mpb.AppealDecisionRequest(request_id="appeal-2", message_id=lure.message_id, reason="Ещё раз")
    twice = rpc_error(lambda: moderation.AppealDecision(again, metadata=md(seller)))
    assert twice.code() == grpc.StatusCode.FAILED_PRECONDITION and error_info(twice).reason == "APPEAL_ALREADY_FILED"

    # the appeal waits among the appeals, not the held messages; a held message's decision does not fit it
    assert appeal.review_id in [i.review_id for i in queue(moderation, mpb.REVIEW_KIND_APPEAL)]
    assert appeal.review_id not in [i.review_id for i in queue(moderation, mpb.REVIEW_KIND_HELD_MESSAGE)]
    wrong = rpc_error(lambda: moderation.ResolveReview(mpb.ResolveReviewRequest(
        review_id=appeal.review_id, decision=mpb.REVIEW_DECISION_APPROVE, comment="Ок"), metadata=md(MODERATOR)))
    assert wrong.code() == grpc.StatusCode.INVALID_ARGUMENT and "decision" in field_violations(wrong)
    silent = rpc_error(lambda: moderation.ResolveReview(mpb.ResolveReviewRequest(
        review_id=appeal.review_id, decision=mpb.REVIEW_DECISION_REVERSE), metadata=md(MODERATOR)))
    assert silent.code() == grpc.StatusCode.INVALID_ARGUMENT and "comment" in field_violations(silent)

    decided = moderation.ResolveReview(mpb.ResolveReviewRequest(review_id=appeal.review_id, decision=mpb.REVIEW_DECISION_REVERSE,
                                                                comment="Вы правы, блокировка ошибочна"), metadata=md(MODERATOR)).item
    assert decided.status == mpb.REVIEW_STATUS_REVERSED
    retry, call = moderation.AppealDecision.with_call(request, metadata=md(seller))
    assert retry.appeal == appeal and (REPLAYED_HEADER, "true") in call.initial_metadata(), "a retry answers the first answer"
    restored = standing(moderation, seller)
    assert (restored.standing, restored.strikes_total, list(restored.penalties)) == (mpb.STANDING_GOOD, 0, [])
    told = eventually(lambda: inbox(notify, seller), lambda ns: titled("Апелляция удовлетворена")(ns) and titled("Штраф отменён")(ns),
                      what="the appeal's outcome and the fine withdrawn (PenaltyWithdrawn with the appeal) told")
    assert "Комментарий модератора: «Вы правы, блокировка ошибочна»" in one(told, "Апелляция удовлетворена").body
    assert one(told, "Штраф отменён").body.startswith("Штраф 25\u00a0000,00\u00a0₽ отменён: ваша апелляция удовлетворена.")
    delivered = eventually(lambda: chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id), metadata=md(buyer)).messages,
                           lambda ms: len(ms) == 1, what="the reversed block delivered")
    assert delivered[0].message_id == lure.message_id


def test_honest_numbers_are_delivered_and_a_lure_without_a_contact_is_blocked_but_not_fined(stubs):
    """The review's reproduction: "ваш номер стикера" and "напрямую со склада" were blocked and
    fined 25,000 RUB each as lures. Now they are delivered; a lure that asks for no contact
    ("продать напрямую без комиссии") is blocked and a strike, without a fine."""
    chat, moderation = stubs["chat"], stubs["moderation"]
    buyer, seller = fresh(Role.BUYER, "b-honest"), fresh(Role.SELLER, "s-honest")
    thread_id = open_order(chat, buyer, seller)
    for text in ("Здравствуйте! Напишите, пожалуйста, ваш номер стикера с коробки, проверим поставку",
                 "Мы отправим замену напрямую со склада завтра"):
        assert send(chat, seller, thread_id, text).status == chat_pb2.MESSAGE_STATUS_DELIVERED, text
    lure = send(chat, seller, thread_id, "Могу продать напрямую без комиссии маркетплейса")
    assert lure.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    struck = eventually(lambda: standing(moderation, seller), lambda r: r.strikes_total >= 1, what="the lure's strike")
    assert (struck.strikes_total, list(struck.penalties)) == (1, []), "one strike (the lure), no fine"


def test_an_upheld_appeal_keeps_the_fine_and_tells_the_seller_why(stubs):
    chat, moderation, notify = stubs["chat"], stubs["moderation"], stubs["notify"]
    buyer, seller = fresh(Role.BUYER, "b-up"), fresh(Role.SELLER, "s-up")
    lure = send(chat, seller, open_order(chat, buyer, seller), "Оставьте ваш номер, я перезвоню")
    assert lure.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    eventually(lambda: standing(moderation, seller), lambda r: r.penalties, what="the fine")
    appeal = moderation.AppealDecision(mpb.AppealDecisionRequest(request_id="a", message_id=lure.message_id, reason="Это не контакт"),
                                       metadata=md(seller)).appeal
    moderation.ResolveReview(mpb.ResolveReviewRequest(review_id=appeal.review_id, decision=mpb.REVIEW_DECISION_UPHOLD,
                                                      comment="Просьба оставить номер телефона запрещена"), metadata=md(MODERATOR))
    told = eventually(lambda: inbox(notify, seller), titled("Апелляция отклонена"), what="the upheld appeal told")
    assert "Просьба оставить номер телефона запрещена" in one(told, "Апелляция отклонена").body
    kept = standing(moderation, seller)
    assert (kept.strikes_total, [(p.message_id, p.fine.amount_minor) for p in kept.penalties]) == (1, [(lure.message_id, FINE)])


def test_five_strikes_suspend_the_shop_until_a_date_and_a_lift_ends_it(stubs):
    chat, moderation, notify = stubs["chat"], stubs["moderation"], stubs["notify"]
    buyer, seller = fresh(Role.BUYER, "b-five"), fresh(Role.SELLER, "s-five")
    thread_id = open_order(chat, buyer, seller)
    for n in range(5):
        assert send(chat, seller, thread_id, f"Пишите в телеграм @shop_five_{n}").status == chat_pb2.MESSAGE_STATUS_BLOCKED
    suspended = eventually(lambda: standing(moderation, seller), lambda r: r.standing == mpb.STANDING_SUSPENDED,
                           what="the suspension after five strikes")
    until = suspended.suspended_until.ToDatetime(tzinfo=dt.UTC)
    assert dt.timedelta(days=6, hours=23) < until - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
    assert (suspended.suspended_party.id, suspended.strikes_in_window) == (seller.shop_id, 5)
    told = eventually(lambda: inbox(notify, seller), titled("Отправка сообщений приостановлена"), what="the suspension told")
    assert until.strftime("%d.%m.%Y %H:%M UTC") in one(told, "Отправка сообщений приостановлена").body

    assert rpc_error(lambda: moderation.LiftSuspension(mpb.LiftSuspensionRequest(
        request_id="l", shop_id=seller.shop_id, reason="Сам себе"), metadata=md(seller))).code() == grpc.StatusCode.PERMISSION_DENIED
    lift = mpb.LiftSuspensionRequest(request_id="lift-five", shop_id=seller.shop_id, reason="Продавец исправился")
    lifted, first_call = moderation.LiftSuspension.with_call(lift, metadata=md(MODERATOR))
    assert (lifted.standing, lifted.suspension.lifted_by, lifted.suspension.until) == (
        mpb.STANDING_RESTRICTED, MODERATOR.user_id, suspended.suspended_until)
    assert REPLAYED_HEADER not in dict(first_call.initial_metadata())
    retry, call = moderation.LiftSuspension.with_call(lift, metadata=md(MODERATOR))
    assert retry == lifted and (REPLAYED_HEADER, "true") in call.initial_metadata(), "a retry gets the first result, marked"
    not_suspended = rpc_error(lambda: moderation.LiftSuspension(mpb.LiftSuspensionRequest(
        request_id="lift-again", shop_id=seller.shop_id, reason="Ещё раз"), metadata=md(MODERATOR)))
    assert not_suspended.code() == grpc.StatusCode.FAILED_PRECONDITION and error_info(not_suspended).reason == "NOT_SUSPENDED"
    after = standing(moderation, seller)
    assert (after.standing, after.HasField("suspended_until")) == (mpb.STANDING_RESTRICTED, False)
    eventually(lambda: inbox(notify, seller), titled("Ограничение снято"), what="the early end told")

    # the shop writes again (the chat heard the lift); its next strike suspends it again
    sent = eventually(lambda: _try_send(chat, seller, thread_id, "Пишите в телеграм @shop_five_again"),
                      lambda m: m is not None, what="the chat letting the shop write again")
    assert sent is not None and sent.status == chat_pb2.MESSAGE_STATUS_BLOCKED
    again = eventually(lambda: standing(moderation, seller), lambda r: r.standing == mpb.STANDING_SUSPENDED,
                       what="the sixth strike suspending the shop again")
    assert again.suspended_until.ToDatetime(tzinfo=dt.UTC) > until


def _try_send(chat, who: As, thread_id: str, text: str) -> chat_pb2.Message | None:
    try:
        return send(chat, who, thread_id, text)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
            return None
        raise


def test_an_approved_held_message_takes_its_strike_back(stubs):
    chat, moderation = stubs["chat"], stubs["moderation"]
    buyer, seller = fresh(Role.BUYER, "b-held"), fresh(Role.SELLER, "s-held")
    held = send(chat, seller, open_order(chat, buyer, seller), "Здравствуйте! Склад маркетплейса дно, сами виноваты, не мы")
    assert held.status == chat_pb2.MESSAGE_STATUS_HELD
    counted = eventually(lambda: standing(moderation, seller), lambda r: r.strikes_total == 1, what="the held message's strike")
    assert counted.standing == mpb.STANDING_WARNING
    early = rpc_error(lambda: moderation.AppealDecision(mpb.AppealDecisionRequest(
        request_id="early", message_id=held.message_id, reason="Рано"), metadata=md(seller)))
    assert early.code() == grpc.StatusCode.FAILED_PRECONDITION and error_info(early).reason == "REVIEW_PENDING"
    [item] = [i for i in queue(moderation, mpb.REVIEW_KIND_HELD_MESSAGE) if i.message_id == held.message_id]
    moderation.ResolveReview(mpb.ResolveReviewRequest(review_id=item.review_id, decision=mpb.REVIEW_DECISION_APPROVE),
                             metadata=md(MODERATOR))
    cleared = standing(moderation, seller)
    assert (cleared.standing, cleared.strikes_in_window, cleared.strikes_total) == (mpb.STANDING_GOOD, 0, 0)


def cli(suite, capsys, *argv: str) -> str:
    """Runs `prilavok moderation ...` through the CLI's own parser, in-process, and returns what
    it printed."""
    ctx = Ctx(build_parser().parse_args(["moderation", *argv, "--addr", suite.address("moderation")]))
    try:
        ctx.args.func(ctx)
    finally:
        ctx.close()
    return capsys.readouterr().out


def test_the_cli_appeals_lists_the_queue_decides_and_shows_the_standing(suite, stubs, capsys):
    chat, moderation = stubs["chat"], stubs["moderation"]
    buyer, seller = fresh(Role.BUYER, "b-cli"), fresh(Role.SELLER, "s-cli")
    lure = send(chat, seller, open_order(chat, buyer, seller), "Скиньте свой телефон, так быстрее")
    eventually(lambda: standing(moderation, seller), lambda r: r.penalties, what="the fine")
    who = f"seller:{seller.user_id}@{seller.shop_id}"
    shown = cli(suite, capsys, "standing", "--as", who)
    assert f"shop {seller.shop_id}: WARNING" in shown and "fine" in shown and "250000.00 RUB" not in shown and "25000.00 RUB" in shown
    filed = cli(suite, capsys, "appeal", "--as", who, "--message", lure.message_id, "--reason", "Ошибка", "--request-id", "cli-1")
    assert f"{lure.message_id}:appeal  APPEAL" in filed and "appeal by" in filed and "replayed" not in filed
    again = cli(suite, capsys, "appeal", "--as", who, "--message", lure.message_id, "--reason", "Ошибка", "--request-id", "cli-1")
    assert again == filed.rstrip("\n") + "\n(the first answer to request cli-1, replayed: nothing changed)\n"
    listed = cli(suite, capsys, "queue", "--as", "moderator:mod-cli", "--kind", "appeal", "--limit", "100")
    assert f"{lure.message_id}:appeal" in listed
    decided = cli(suite, capsys, "resolve", "--as", "moderator:mod-cli", "--review", f"{lure.message_id}:appeal",
                  "--decision", "reverse", "--comment", "Отменено")
    assert "REVERSED" in decided and "decided by mod-cli: Отменено" in decided
    assert "GOOD" in cli(suite, capsys, "standing", "--as", "moderator:mod-cli", "--shop", seller.shop_id)
