"""Every List RPC paged to the end with page size 1 while the listed items change: no item is
returned twice, and every item whose position in the order did not change is returned."""
from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import grpc
import pytest

from prilavok.chat.v1 import chat_pb2
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2
from prilavok.notify.v1 import notify_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.identity import Role
from tests.e2e.conftest import SERVICE, eventually, fresh, md

pytestmark = pytest.mark.e2e

MODERATOR = As(Role.MODERATOR, "mod-paging")


def page_through(call, request, items_field: str, who: As, between=None, limit: int = 500) -> list:
    """Pages with page_size=1 to the end; `between(page_number, seen)` may change data between pages."""
    seen: list = []
    request.page_size = 1
    for page_number in range(limit):
        reply = call(request, metadata=md(who))
        items = list(getattr(reply, items_field))
        assert len(items) <= 1
        seen += items
        if not reply.next_page_token:
            return seen
        if between is not None:
            between(page_number, seen)
        request.page_token = reply.next_page_token
    raise AssertionError(f"more than {limit} pages")


def once_each(ids: list[str]) -> None:
    twice = [i for i, n in Counter(ids).items() if n > 1]
    assert not twice, f"returned more than once: {twice}"


def test_list_threads_and_messages_page_to_the_end_under_activity_and_closes(stubs):
    chat = stubs["chat"]
    buyer = fresh(Role.BUYER, "pager")
    sellers = [fresh(Role.SELLER, f"s{i}") for i in range(6)]
    threads = []
    for i, seller in enumerate(sellers):
        create = chat_pb2.CreateThreadRequest(request_id=f"t{i}", kind=chat_pb2.THREAD_KIND_ORDER,
                                              order_id=f"o-{uuid.uuid4().hex[:8]}", shop_id=seller.shop_id)
        thread = chat.CreateThread(create, metadata=md(buyer)).thread
        chat.SendMessage(chat_pb2.SendMessageRequest(request_id=f"m{i}", thread_id=thread.thread_id,
                                                     text=f"Здравствуйте! Вопрос по заказу номер {i}."), metadata=md(buyer))
        threads.append(thread.thread_id)

    moved_unseen: list[str] = []

    def activity(page_number: int, seen: list) -> None:
        # New activity and closes on threads already listed move them to the top; a new thread
        # appears at the top too. None of them may come back in this listing.
        last = seen[-1].thread_id
        if page_number == 0:
            # The hard case of an activity-ordered inbox: a thread not listed yet gets a message
            # and jumps ahead of the token. It is not repeated; a fresh listing shows it first.
            seen_ids = {t.thread_id for t in seen}
            target = next(t for t in reversed(threads) if t not in seen_ids)
            chat.SendMessage(chat_pb2.SendMessageRequest(request_id="jump", thread_id=target, text="Подскажите срок доставки?"),
                             metadata=md(buyer))
            moved_unseen.append(target)
            chat.SendMessage(chat_pb2.SendMessageRequest(request_id="again", thread_id=last, text="Есть новости по доставке?"),
                             metadata=md(buyer))
        if page_number == 1:
            chat.CloseThread(chat_pb2.CloseThreadRequest(thread_id=last, reason="Вопрос решён"), metadata=md(buyer))
        if page_number == 2:
            extra = fresh(Role.SELLER, "late")
            chat.CreateThread(chat_pb2.CreateThreadRequest(request_id="late", kind=chat_pb2.THREAD_KIND_ORDER,
                                                           order_id="o-late", shop_id=extra.shop_id), metadata=md(buyer))

    listed = page_through(chat.ListThreads, chat_pb2.ListThreadsRequest(), "threads", buyer, activity)
    ids = [t.thread_id for t in listed]
    once_each(ids)
    assert set(threads) - set(moved_unseen) <= set(ids), "every thread whose activity did not change is listed"
    fresh_listing = chat.ListThreads(chat_pb2.ListThreadsRequest(page_size=100), metadata=md(buyer)).threads
    assert set(threads) <= {t.thread_id for t in fresh_listing}
    top = [t.thread_id for t in fresh_listing[:4]]
    assert moved_unseen[0] in top, "a thread with new activity is at the top of a fresh listing"

    thread_id = threads[0]
    for i in range(5):
        chat.SendMessage(chat_pb2.SendMessageRequest(request_id=f"more{i}", thread_id=thread_id, text=f"Уточнение {i}, спасибо."),
                         metadata=md(buyer))
    before = chat.ListMessages(chat_pb2.ListMessagesRequest(thread_id=thread_id, page_size=100), metadata=md(buyer)).messages

    def new_messages(page_number: int, seen: list) -> None:
        if page_number in (1, 3):
            chat.SendMessage(chat_pb2.SendMessageRequest(request_id=f"during{page_number}", thread_id=thread_id,
                                                         text="И ещё вопрос."), metadata=md(buyer))

    messages = page_through(chat.ListMessages, chat_pb2.ListMessagesRequest(thread_id=thread_id, direction=chat_pb2.DIRECTION_NEWER),
                            "messages", buyer, new_messages)
    seqs = [m.seq for m in messages]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert {m.message_id for m in before} <= {m.message_id for m in messages}
    assert len(messages) == len(before) + 2, "messages sent during the listing come after the cursor and are listed"


def _purchase(returns, buyer: As, seller: As, n: int) -> str:
    purchase = returns_pb2.Purchase(order_id=f"o-{uuid.uuid4().hex[:8]}", item_id=f"sku-{n}", buyer_id=buyer.user_id,
                                    shop_id=seller.shop_id, price=common_pb2.Money(currency_code="RUB", amount_minor=10_000 + n),
                                    quantity=1)
    purchase.paid_at.FromDatetime((dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(microsecond=0))
    reply = returns.RecordPurchase(returns_pb2.RecordPurchaseRequest(request_id=f"p-{uuid.uuid4().hex}", purchase=purchase),
                                   metadata=md(SERVICE))
    return reply.purchase.purchase_id


def test_list_claims_and_ledger_entries_page_to_the_end_under_decisions_and_new_sales(stubs):
    returns = stubs["returns"]
    buyer, seller = fresh(Role.BUYER, "claimer"), fresh(Role.SELLER, "shop")
    claims = []
    for n in range(5):
        purchase_id = _purchase(returns, buyer, seller, n)
        claim = returns.OpenClaim(returns_pb2.OpenClaimRequest(
            request_id=f"c{n}", purchase_id=purchase_id, description="Перестал включаться через месяц",
            requested_form=returns_pb2.COMPENSATION_FORM_FULL_REFUND), metadata=md(buyer)).claim
        claims.append(claim.claim_id)

    def decisions(page_number: int, seen: list) -> None:
        seen_ids = {c.claim_id for c in seen}
        if page_number == 0:  # a claim not listed yet changes status: still listed once
            target = next(c for c in claims if c not in seen_ids)
            returns.DecideClaim(returns_pb2.DecideClaimRequest(
                request_id="reject", claim_id=target,
                reject=returns_pb2.Rejection(reason=returns_pb2.REJECTION_REASON_NEED_PHOTO_OR_VIDEO, comment="Пришлите фото дефекта")),
                metadata=md(seller))
        if page_number == 1:  # a new claim appears at the top: not part of this listing
            purchase_id = _purchase(returns, buyer, seller, 99)
            returns.OpenClaim(returns_pb2.OpenClaimRequest(
                request_id="late", purchase_id=purchase_id, description="Треснул корпус",
                requested_form=returns_pb2.COMPENSATION_FORM_FULL_REFUND), metadata=md(buyer))

    for who in (buyer, seller):
        listed = page_through(returns.ListClaims, returns_pb2.ListClaimsRequest(), "claims", who,
                              decisions if who is buyer else None)
        ids = [c.claim_id for c in listed]
        once_each(ids)
        assert set(claims) <= set(ids)

    entries_before = returns.ListLedgerEntries(returns_pb2.ListLedgerEntriesRequest(page_size=100), metadata=md(seller)).entries
    assert len(entries_before) == 6  # six sales

    def new_sale(page_number: int, seen: list) -> None:
        if page_number == 2:
            _purchase(returns, buyer, seller, 100)

    entries = page_through(returns.ListLedgerEntries, returns_pb2.ListLedgerEntriesRequest(), "entries", seller, new_sale)
    once_each([e.entry_id for e in entries])
    assert {e.entry_id for e in entries_before} <= {e.entry_id for e in entries}


def test_review_queue_and_notifications_page_to_the_end_while_items_are_resolved_and_read(stubs):
    chat, moderation, notify = stubs["chat"], stubs["moderation"], stubs["notify"]
    buyer, seller = fresh(Role.BUYER, "reviewed"), fresh(Role.SELLER, "reviewed")
    thread = chat.CreateThread(chat_pb2.CreateThreadRequest(request_id="t", kind=chat_pb2.THREAD_KIND_ORDER, order_id="o-rq",
                                                            shop_id=seller.shop_id), metadata=md(buyer)).thread
    held = []
    for i in range(4):
        sent = chat.SendMessage(chat_pb2.SendMessageRequest(
            request_id=f"r{i}", thread_id=thread.thread_id,
            text=f"Этот маркетплейс худший, не покупайте здесь ({i})"), metadata=md(buyer))
        if sent.message.status == chat_pb2.MESSAGE_STATUS_HELD:
            held.append(sent.message.message_id)
    assert len(held) == 4, "disparagement of the marketplace is held for review by the default policy"

    queue_request = moderation_pb2.ListReviewQueueRequest(page_size=100)
    eventually(lambda: moderation.ListReviewQueue(queue_request, metadata=md(MODERATOR)),
               lambda r: set(held) <= {i.message_id for i in r.items}, what="held messages in the review queue")

    resolved: list[str] = []

    def resolve_one(page_number: int, seen: list) -> None:
        if page_number == 0:
            seen_messages = {i.message_id for i in seen}
            target = next(i for i in held if i not in seen_messages)
            pending = moderation.ListReviewQueue(queue_request, metadata=md(MODERATOR)).items
            review_id = next(i.review_id for i in pending if i.message_id == target)
            moderation.ResolveReview(moderation_pb2.ResolveReviewRequest(review_id=review_id, decision=moderation_pb2.REVIEW_DECISION_REJECT,
                                                                         comment="Некорректное высказывание"), metadata=md(MODERATOR))
            resolved.append(target)

    items = page_through(moderation.ListReviewQueue, moderation_pb2.ListReviewQueueRequest(), "items", MODERATOR, resolve_one)
    once_each([i.review_id for i in items])
    listed = {i.message_id for i in items}
    assert set(held) - set(resolved) <= listed and not set(resolved) & listed

    inbox = eventually(lambda: notify.ListNotifications(notify_pb2.ListNotificationsRequest(page_size=100), metadata=md(buyer)),
                       lambda r: len(r.notifications) >= 4, what="the buyer's notifications of held messages")
    before = [n.notification_id for n in inbox.notifications]

    def read_some(page_number: int, seen: list) -> None:
        if page_number == 1:
            notify.MarkNotificationsRead(notify_pb2.MarkNotificationsReadRequest(all=True), metadata=md(buyer))

    notes = page_through(notify.ListNotifications, notify_pb2.ListNotificationsRequest(), "notifications", buyer, read_some)
    once_each([n.notification_id for n in notes])
    assert set(before) <= {n.notification_id for n in notes}


def test_tampered_page_tokens_are_invalid_arguments_everywhere(stubs):
    buyer, seller = fresh(Role.BUYER, "tamper"), fresh(Role.SELLER, "tamper")
    calls = [
        (stubs["chat"].ListThreads, chat_pb2.ListThreadsRequest(page_token="eyJ4IjoxfQ"), buyer),
        (stubs["returns"].ListClaims, returns_pb2.ListClaimsRequest(page_token="eyJzZXEiOiJ4In0"), buyer),
        (stubs["returns"].ListLedgerEntries, returns_pb2.ListLedgerEntriesRequest(page_token="eyJzZXEiOiJ4In0"), seller),
        (stubs["moderation"].ListReviewQueue, moderation_pb2.ListReviewQueueRequest(page_token="!!"), MODERATOR),
        (stubs["notify"].ListNotifications, notify_pb2.ListNotificationsRequest(page_token="WzEsMiwzXQ"), buyer),
    ]
    for call, request, who in calls:
        with pytest.raises(grpc.RpcError) as err:
            call(request, metadata=md(who))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (call, err.value.details())
