"""Every chat use case over fakes and the in-memory unit of work: no server, milliseconds."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid

import pytest

from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unavailable
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage, TransientError
from services.chat.domain import commands as c
from services.chat.domain import conversation
from services.chat.domain import events as e
from services.chat.domain.access import Following
from services.chat.domain.model import (
    AttachmentMeta,
    Category,
    DeadlineState,
    Direction,
    InitiationReason,
    MessageStatus,
    ModerationAction,
    ModerationDecision,
    Side,
    SupportTopic,
    ThreadKind,
    ThreadStatus,
)
from services.chat.entrypoints.consumers import moderation_dispatcher
from services.chat.service_layer.handlers import Change, change_thread
from tests.unit.chat.fakes import world

BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u1", Role.SELLER, "s1")
OTHER_SELLER = Identity("u9", Role.SELLER, "s9")
AGENT = Identity("agent-1", Role.SUPPORT)
MODERATOR = Identity("m1", Role.MODERATOR)


def rid() -> str:
    return uuid.uuid4().hex


async def order_thread(w, order_id="o1", buyer=BUYER, shop="s1"):
    view, *_ = await w.handlers.create_thread(c.CreateThread(buyer, rid(), ThreadKind.ORDER, order_id=order_id, shop_id=shop))
    return view.thread


async def send(w, who, thread_id, text="Здравствуйте", request_id=None):
    return await w.handlers.send_message(c.SendMessage(who, thread_id, request_id or rid(), text))


# --- CreateThread / GetThread ----------------------------------------------------------------

async def test_create_thread_emits_created_to_the_other_party_and_a_retry_returns_the_same_thread():
    w = world()
    cmd = c.CreateThread(BUYER, "r1", ThreadKind.ORDER, order_id="o1", shop_id="s1")
    view, created, replayed = await w.handlers.create_thread(cmd)
    again, created_again, replayed_again = await w.handlers.create_thread(cmd)
    assert (created, replayed) == (True, False) and (created_again, replayed_again) == (True, True)
    assert again.thread.thread_id == view.thread.thread_id and view.viewer_side is again.viewer_side is Side.BUYER
    [event] = w.uow.events_of(e.ThreadCreated)
    assert event.recipients == (Party.shop("s1"),)


async def test_a_retry_of_the_request_that_started_a_thread_is_answered_as_first_answered():
    """Stripe's semantics: the same caller under the same request id gets the first answer again,
    `created` included, the thread as it was started (open, empty) whatever happened since, and
    the answer is marked replayed; nothing is written or emitted. Requests that find the thread
    without having started it get it as it is now, not created and not marked."""
    w = world()
    cmd = c.CreateThread(BUYER, "r1", ThreadKind.ORDER, order_id="o1", shop_id="s1")
    first = await w.handlers.create_thread(cmd)
    thread_id = first.view.thread.thread_id
    await send(w, BUYER, thread_id)
    await send(w, SELLER, thread_id)
    await w.handlers.mark_read(c.MarkRead(BUYER, thread_id))
    await w.handlers.close_thread(c.CloseThread(SELLER, thread_id, "Вопрос решен"))
    now = w.threads.rows[thread_id]
    assert (now.status, now.last_seq, now.version) == (ThreadStatus.CLOSED, 2, 4)
    saves, events = w.threads.saves, len(w.uow.published)
    replay = await w.handlers.create_thread(cmd)
    assert (replay.created, replay.replayed, replay.view.viewer_side) == (True, True, Side.BUYER)
    assert dataclasses.replace(replay.view.thread, version=0) == first.view.thread  # the first answer, field by field
    assert (w.threads.saves, len(w.uow.published)) == (saves, events)
    assert w.threads.rows[thread_id].status is ThreadStatus.CLOSED  # the answer is replayed; the thread is untouched
    # Not the request that started it: the opener under another request id or none, the other side.
    for other in (dataclasses.replace(cmd, request_id="r2"), dataclasses.replace(cmd, request_id=""),
                  c.CreateThread(SELLER, "r1", ThreadKind.ORDER, order_id="o1", buyer_id="b1")):
        found = await w.handlers.create_thread(other)
        assert (found.created, found.replayed, found.view.thread.status, found.view.thread.last_seq) == (
            False, False, ThreadStatus.CLOSED, 2), other
    # The same request sent twice at once: the one that lost the insert is a replay too.
    support = c.CreateThread(SELLER, "S1", ThreadKind.SUPPORT, support=SupportTopic("Финансы", "Выплата"))
    winner = await w.handlers.create_thread(support)
    original_get, lookups = w.threads.get, 0

    async def not_yet_stored(thread_id):
        nonlocal lookups
        lookups += 1
        return None if lookups == 1 else await original_get(thread_id)

    w.threads.get = not_yet_stored
    loser = await w.handlers.create_thread(support)  # found nothing, so inserted: AlreadyStored
    assert lookups == 2 and (winner.created, winner.replayed) == (True, False) and (loser.created, loser.replayed) == (True, True)
    assert loser.view.thread == winner.view.thread


async def test_an_order_thread_needs_no_request_id_and_either_side_finds_it_again():
    w = world()
    view, created, _ = await w.handlers.create_thread(c.CreateThread(BUYER, "", ThreadKind.ORDER, order_id="o1", shop_id="s1"))
    again, created_again, replayed = await w.handlers.create_thread(c.CreateThread(
        SELLER, "other", ThreadKind.ORDER, order_id="o1", buyer_id="b1", initiation_reason=InitiationReason.ORDER_DETAILS))
    assert created and not created_again and not replayed and again.thread.thread_id == view.thread.thread_id
    # without a request id there is no request to replay: the opener finds it again, not created
    assert (await w.handlers.create_thread(c.CreateThread(BUYER, "", ThreadKind.ORDER, order_id="o1", shop_id="s1")))[1:] == (False, False)
    assert (view.viewer_side, again.viewer_side) == (Side.BUYER, Side.SELLER)
    assert len(w.uow.events_of(e.ThreadCreated)) == 1
    with pytest.raises(InvalidArgument) as err:  # still checked when given
        await w.handlers.create_thread(c.CreateThread(BUYER, "bad id", ThreadKind.ORDER, order_id="o2", shop_id="s1"))
    assert [v.field for v in err.value.violations] == ["request_id"]
    with pytest.raises(InvalidArgument):
        await w.handlers.create_thread(c.CreateThread(BUYER, "", ThreadKind.SUPPORT, support=SupportTopic("a", "b")))


async def test_a_seller_finds_the_buyers_order_chat_without_an_initiation_reason():
    w = world()
    opened = await order_thread(w)
    found, created, replayed = await w.handlers.create_thread(c.CreateThread(SELLER, "", ThreadKind.ORDER, order_id="o1", buyer_id="b1"))
    assert not created and not replayed and found.thread.thread_id == opened.thread_id and found.viewer_side is Side.SELLER
    assert len(w.uow.events_of(e.ThreadCreated)) == 1
    with pytest.raises(FailedPrecondition) as err:  # another order: there is nothing to find, so the rule applies
        await w.handlers.create_thread(c.CreateThread(SELLER, "", ThreadKind.ORDER, order_id="o2", buyer_id="b1"))
    assert err.value.reason == "SELLER_INITIATION_REASON_REQUIRED"


async def test_seller_needs_an_initiation_reason_to_write_first():
    w = world()
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.ORDER, order_id="o1", buyer_id="b1"))
    assert err.value.reason == "SELLER_INITIATION_REASON_REQUIRED"
    view, *_ = await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.ORDER, order_id="o1", buyer_id="b1",
                                                            initiation_reason=InitiationReason.DELIVERY_PROBLEM))
    thread = view.thread
    assert w.uow.events_of(e.ThreadCreated)[0].recipients == (Party.user("b1"),)
    assert thread.initiation_reason is InitiationReason.DELIVERY_PROBLEM and not w.threads.rows[thread.thread_id].last_seq


async def test_buyer_cannot_open_as_another_buyer_and_staff_cannot_open_order_threads():
    w = world()
    with pytest.raises(PermissionDenied) as err:
        await w.handlers.create_thread(c.CreateThread(BUYER, rid(), ThreadKind.ORDER, order_id="o1", shop_id="s1", buyer_id="b2"))
    assert err.value.reason == "NOT_A_PARTICIPANT"
    with pytest.raises(PermissionDenied):
        await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.ORDER, order_id="o1", buyer_id="b1", shop_id="s9",
                                                      initiation_reason=InitiationReason.ORDER_DETAILS))
    with pytest.raises(PermissionDenied):
        await w.handlers.create_thread(c.CreateThread(MODERATOR, rid(), ThreadKind.ORDER, order_id="o1", shop_id="s1", buyer_id="b1"))
    assert not w.threads.rows and not w.uow.published


async def test_a_linked_support_thread_must_exist_and_be_visible():
    w = world()
    topic = SupportTopic("Приемка товара", "Возражения по актам приемки")
    with pytest.raises(NotFound):
        await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.SUPPORT, support=topic, linked_thread_id="nope"))
    first = (await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.SUPPORT, support=topic)))[0].thread
    with pytest.raises(PermissionDenied):
        await w.handlers.create_thread(c.CreateThread(BUYER, rid(), ThreadKind.SUPPORT, support=topic, linked_thread_id=first.thread_id))
    linked, *_ = await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.SUPPORT, support=topic, linked_thread_id=first.thread_id))
    assert linked.thread.linked_thread_id == first.thread_id
    order = await order_thread(w, buyer=BUYER)
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.create_thread(c.CreateThread(BUYER, rid(), ThreadKind.SUPPORT, support=topic, linked_thread_id=order.thread_id))
    assert err.value.reason == "LINKED_THREAD_NOT_SUPPORT"
    assert w.uow.events_of(e.ThreadCreated)[0].recipients == (Party.support(),)


async def test_get_thread_not_found_not_a_participant_and_staff():
    w = world()
    thread = await order_thread(w)
    with pytest.raises(NotFound):
        await w.handlers.get_thread(c.GetThread(BUYER, "missing"))
    with pytest.raises(InvalidArgument):
        await w.handlers.get_thread(c.GetThread(BUYER, ""))
    with pytest.raises(PermissionDenied):
        await w.handlers.get_thread(c.GetThread(OTHER_SELLER, thread.thread_id))
    assert (await w.handlers.get_thread(c.GetThread(SELLER, thread.thread_id))).viewer_side is Side.SELLER
    assert (await w.handlers.get_thread(c.GetThread(MODERATOR, thread.thread_id))).viewer_side is None


# --- ListThreads -----------------------------------------------------------------------------

async def list_all(w, who, size=1, **filters):
    seen, token = [], ""
    while True:
        page = await w.handlers.list_threads(c.ListThreads(who, page_size=size, page_token=token, **filters))
        seen.extend(v.thread.thread_id for v in page.threads)
        token = page.next_page_token
        if not token:
            return seen


async def test_list_threads_pages_of_one_return_every_thread_once_in_activity_order():
    w = world()
    ids = []
    for i in range(5):
        ids.append((await order_thread(w, order_id=f"o{i}")).thread_id)
        w.clock.advance(dt.timedelta(minutes=1))
    await send(w, BUYER, ids[1])  # o1 becomes the newest activity
    listed = await list_all(w, SELLER)
    assert listed == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    assert await list_all(w, OTHER_SELLER) == []
    page = await w.handlers.list_threads(c.ListThreads(SELLER, page_size=1))
    assert page.threads[0].viewer_side is Side.SELLER and page.threads[0].thread.unread[Side.SELLER] == 1


async def test_list_threads_paging_survives_activity_and_closes_between_pages():
    """The token is the last item's (last_activity_at, id) as stored: a thread already returned
    that gets a message or is closed does not come back, and nothing after the cursor is skipped."""
    w = world()
    ids = []
    for i in range(6):
        ids.append((await order_thread(w, order_id=f"o{i}")).thread_id)
        w.clock.advance(dt.timedelta(minutes=1))
    seen, token = [], ""
    while True:
        page = await w.handlers.list_threads(c.ListThreads(SELLER, page_size=1, page_token=token))
        seen.extend(v.thread.thread_id for v in page.threads)
        w.clock.advance(dt.timedelta(seconds=1))
        if len(seen) == 1:
            await send(w, BUYER, seen[0])  # activity on a thread already listed
        if len(seen) == 2:
            await w.handlers.close_thread(c.CloseThread(SELLER, seen[1]))  # a close moves it up too
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


async def test_list_threads_filters_and_refuses_moderators():
    w = world()
    a = await order_thread(w, order_id="o1")
    await order_thread(w, order_id="o2")
    await send(w, BUYER, a.thread_id)
    assert await list_all(w, SELLER, size=10, unread_only=True) == [a.thread_id]
    assert await list_all(w, BUYER, size=10, unread_only=True) == []
    assert await list_all(w, BUYER, size=10, order_id="o2") != [a.thread_id]
    assert await list_all(w, BUYER, size=10, status=ThreadStatus.CLOSED) == []
    with pytest.raises(PermissionDenied):
        await w.handlers.list_threads(c.ListThreads(MODERATOR))
    with pytest.raises(InvalidArgument):
        await w.handlers.list_threads(c.ListThreads(SELLER, page_token="not-a-token"))


# --- SendMessage -----------------------------------------------------------------------------

async def test_allowed_message_is_delivered_counts_unread_starts_the_deadline_and_tells_the_other_party():
    w = world()
    thread = await order_thread(w)
    message, created, replayed = await send(w, BUYER, thread.thread_id)
    assert created and not replayed and message.status is MessageStatus.DELIVERED and message.seq == 1
    stored = w.threads.rows[thread.thread_id]
    assert stored.unread == {Side.BUYER: 0, Side.SELLER: 1}
    assert stored.reply_due_at == w.clock.now() + dt.timedelta(hours=240) and stored.deadline_state is DeadlineState.PENDING
    [delivered] = w.uow.events_of(e.MessageDelivered)
    assert delivered.recipients == (Party.shop("s1"),) and delivered.thread.last_seq == 1
    w.clock.advance(dt.timedelta(hours=1))
    await send(w, SELLER, thread.thread_id, "Здравствуйте! Отправим сегодня.")
    stored = w.threads.rows[thread.thread_id]
    assert stored.reply_due_at is None and stored.deadline_state is None
    assert w.uow.events_of(e.MessageDelivered)[-1].recipients == (Party.user("b1"),)


async def test_masked_message_delivers_the_masked_text_and_its_sender_sees_the_original():
    w = world()
    thread = await order_thread(w)
    w.moderation.by_text["мой номер 89001234567"] = ModerationDecision(
        ModerationAction.MASK, (Category.CONTACT_EXCHANGE,), "контакты", "мой номер ***")
    message, *_ = await send(w, BUYER, thread.thread_id, "мой номер 89001234567")
    assert message.text == "мой номер 89001234567"  # the sender's answer shows what they wrote
    assert w.messages.rows[message.message_id].text == "мой номер ***"
    assert w.uow.events_of(e.MessageDelivered)[0].message.text == "мой номер ***"
    as_seller = await w.handlers.list_messages(c.ListMessages(SELLER, thread.thread_id))
    as_buyer = await w.handlers.list_messages(c.ListMessages(BUYER, thread.thread_id))
    assert as_seller.messages[0].text == "мой номер ***" and as_buyer.messages[0].text == "мой номер 89001234567"


@pytest.mark.parametrize(("action", "status", "event"), [
    (ModerationAction.REVIEW, MessageStatus.HELD, e.MessageHeld),
    (ModerationAction.BLOCK, MessageStatus.BLOCKED, e.MessageBlocked),
])
async def test_held_and_blocked_messages_take_a_seq_but_are_not_delivered(action, status, event):
    w = world()
    thread = await order_thread(w)
    w.moderation.by_text["Ок"] = ModerationDecision(action, (Category.LOW_EFFORT_REPLY,), "односложный ответ")
    message, *_ = await send(w, SELLER, thread.thread_id, "Ок")
    assert message.status is status and message.seq == 1
    stored = w.threads.rows[thread.thread_id]
    assert stored.last_seq == 1 and stored.unread[Side.BUYER] == 0 and stored.last_message_at is None
    [told] = w.uow.events_of(event)
    assert told.recipients == (Party.shop("s1"),) and not w.uow.events_of(e.MessageDelivered)


async def test_a_retried_send_returns_the_stored_message_without_a_second_event():
    """The retry is answered as the first send was (Stripe's semantics): the same message and
    `created` true, marked replayed (the first answer is not)."""
    w = world()
    thread = await order_thread(w)
    first = await send(w, BUYER, thread.thread_id, request_id="same")
    again = await send(w, BUYER, thread.thread_id, request_id="same")
    assert (first.created, first.replayed) == (True, False) and again == (first.message, True, True) and again.message.seq == 1
    assert w.threads.rows[thread.thread_id].last_seq == 1 and len(w.uow.events_of(e.MessageDelivered)) == 1


async def test_a_retry_after_the_thread_closed_or_while_moderation_is_down_returns_the_stored_message():
    """The errors a send answers (THREAD_CLOSED, MODERATION_UNAVAILABLE: retry with the same
    request_id) are about sending anew; a retry of a message already stored gets it back."""
    w = world()
    thread = await order_thread(w)
    first, *_ = await send(w, BUYER, thread.thread_id, request_id="same")
    w.moderation.down = True
    again, created, replayed = await send(w, BUYER, thread.thread_id, request_id="same")
    assert created and replayed and again.message_id == first.message_id and len(w.moderation.calls) == 1
    w.moderation.down = False
    await w.handlers.close_thread(c.CloseThread(SELLER, thread.thread_id))
    again, created, replayed = await send(w, BUYER, thread.thread_id, request_id="same")
    assert created and replayed and again == first and again.seq == 1
    assert len(w.uow.events_of(e.MessageDelivered)) == 1 and len(w.moderation.calls) == 1
    with pytest.raises(FailedPrecondition):  # a new request in the closed thread is still refused
        await send(w, BUYER, thread.thread_id, request_id="another")
    with pytest.raises(PermissionDenied):  # the stored message is not shown to whoever asks with its request id
        await send(w, OTHER_SELLER, thread.thread_id, request_id="same")


async def test_attachment_file_names_are_moderated_with_the_text():
    """The other side sees the file names, so moderation judges them: an attachment-only message
    whose name carries a phone number is blocked (and recorded from its event); a mask of the text
    alone keeps the names; a verdict that would mask a name blocks (a name cannot be masked)."""
    w = world()
    thread = await order_thread(w)
    content = b"jpeg-bytes"

    async def upload(name):
        a = await w.handlers.upload_attachment(c.UploadAttachment(BUYER, meta(thread.thread_id, content, file_name=name)), chunks(content))
        return a.attachment_id

    lure = "WhatsApp +7 912 345-67-89 пишите.jpg"
    w.moderation.by_text[lure] = ModerationDecision(ModerationAction.BLOCK, (Category.CONTACT_EXCHANGE,), "контакты", "", "m1")
    message, *_ = await w.handlers.send_message(c.SendMessage(BUYER, thread.thread_id, rid(), "", (await upload(lure),)))
    assert message.status is MessageStatus.BLOCKED and w.moderation.calls == [lure]
    [blocked] = w.uow.events_of(e.MessageBlocked)
    assert blocked.message.moderation_categories == (Category.CONTACT_EXCHANGE,) and not w.uow.events_of(e.MessageDelivered)

    photo = await upload("defect.jpg")
    w.moderation.by_text["мой номер 89001234567\ndefect.jpg"] = ModerationDecision(
        ModerationAction.MASK, (Category.CONTACT_EXCHANGE,), "", "мой номер ***\ndefect.jpg", "m1")
    masked, *_ = await w.handlers.send_message(c.SendMessage(BUYER, thread.thread_id, rid(), "мой номер 89001234567", (photo,)))
    assert masked.status is MessageStatus.DELIVERED and masked.text == "мой номер 89001234567"  # the sender's own view
    assert w.uow.events_of(e.MessageDelivered)[-1].message.text == "мой номер ***"

    w.moderation.by_text["смотрите\ndefect.jpg"] = ModerationDecision(ModerationAction.MASK, (Category.SPAM_ADVERTISING,), "", "смотрите\n***", "m1")
    other, *_ = await w.handlers.send_message(c.SendMessage(BUYER, thread.thread_id, rid(), "смотрите", (photo,)))
    assert other.status is MessageStatus.BLOCKED


def test_judged_text_is_the_text_and_the_file_names():
    assert conversation.judged_text("привет", ()) == "привет"
    assert conversation.judged_text(" ", ("a.jpg", "b.png")) == "a.jpg\nb.png"
    assert conversation.judged_text("привет", ("a.jpg",)) == "привет\na.jpg"
    assert conversation.decision_without_moderation(" ") == ModerationDecision(ModerationAction.ALLOW)
    assert conversation.decision_without_moderation("a.jpg") is None


async def test_closed_thread_refuses_messages_and_strangers_cannot_write():
    w = world()
    thread = await order_thread(w)
    with pytest.raises(PermissionDenied):
        await send(w, OTHER_SELLER, thread.thread_id)
    await w.handlers.close_thread(c.CloseThread(BUYER, thread.thread_id))
    with pytest.raises(FailedPrecondition) as err:
        await send(w, BUYER, thread.thread_id)
    assert err.value.reason == "THREAD_CLOSED" and not w.moderation.calls


async def test_moderation_unavailable_means_unavailable_to_the_sender_and_nothing_stored():
    w = world()
    thread = await order_thread(w)
    w.moderation.down = True
    with pytest.raises(Unavailable) as err:
        await send(w, BUYER, thread.thread_id)
    assert err.value.reason == "MODERATION_UNAVAILABLE"
    assert not w.messages.rows and w.threads.rows[thread.thread_id].last_seq == 0
    assert not w.uow.events_of(e.MessageDelivered)


async def test_send_validates_before_calling_moderation():
    w = world()
    thread = await order_thread(w)
    with pytest.raises(InvalidArgument):
        await send(w, BUYER, thread.thread_id, "x" * 4001)
    with pytest.raises(NotFound):
        await send(w, BUYER, "missing")
    assert not w.moderation.calls


async def test_a_stale_thread_copy_is_reloaded_and_decided_again():
    """Another message committed between the read and the transaction: the seq still advances by one."""
    w = world()
    thread = await order_thread(w)
    original_get = w.threads.get
    raced = False

    async def racing_get(thread_id):
        nonlocal raced
        got = await original_get(thread_id)
        if not raced:  # the pre-moderation read; then someone else writes
            raced = True
            stored = w.threads.rows[thread_id]
            stored.last_seq, stored.version = stored.last_seq + 1, stored.version + 1
        return got

    w.threads.get = racing_get
    message, *_ = await send(w, BUYER, thread.thread_id)
    assert message.seq == 2 and w.threads.rows[thread.thread_id].last_seq == 2
    # The stale attempt's event is dropped: one event, from the attempt that was saved.
    assert [d.message.seq for d in w.uow.events_of(e.MessageDelivered)] == [2]


async def test_a_thread_change_emits_its_own_events_and_keeps_the_transactions_others():
    w = world()
    thread = await order_thread(w)
    before = len(w.uow.published)

    async def work(tx):
        tx.emit("earlier in this transaction")

        async def touch(current):
            return Change("done", events=("the change's event",))

        return await change_thread(tx, thread.thread_id, None, touch)

    assert await w.uow.transaction(work) == "done"
    assert w.uow.published[before:] == ["earlier in this transaction", "the change's event"]


async def test_a_message_refused_after_moderation_leaves_no_message_event():
    """Moderation records strikes from the message events only, so a message that is not stored
    (the thread closed while moderation answered) can never be fined."""
    w = world()
    thread = await order_thread(w)
    check = w.moderation.check

    async def close_meanwhile(**kw):
        decision = await check(**kw)
        await w.handlers.close_thread(c.CloseThread(SELLER, thread.thread_id))
        return decision

    w.moderation.check = close_meanwhile
    w.moderation.by_text["Пишите в телеграм"] = ModerationDecision(ModerationAction.BLOCK, (Category.CONTACT_EXCHANGE,), "контакты")
    with pytest.raises(FailedPrecondition) as err:
        await send(w, BUYER, thread.thread_id, "Пишите в телеграм")
    assert err.value.reason == "THREAD_CLOSED" and not w.messages.rows
    assert not [x for x in w.uow.published if isinstance(x, e.MessageDelivered | e.MessageHeld | e.MessageBlocked)]


# --- ListMessages / MarkRead -----------------------------------------------------------------

async def test_held_and_blocked_messages_are_listed_only_for_their_sender_and_staff():
    w = world()
    thread = await order_thread(w)
    await send(w, BUYER, thread.thread_id, "Здравствуйте")
    w.moderation.by_text["Ок"] = ModerationDecision(ModerationAction.BLOCK, (Category.LOW_EFFORT_REPLY,), "односложный ответ")
    w.moderation.by_text["Пишите в телеграм"] = ModerationDecision(ModerationAction.REVIEW, (Category.CONTACT_EXCHANGE,), "на проверке")
    await send(w, SELLER, thread.thread_id, "Ок")
    await send(w, SELLER, thread.thread_id, "Пишите в телеграм")

    async def seqs(who, **kw):
        return [m.seq for m in (await w.handlers.list_messages(c.ListMessages(who, thread.thread_id, **kw))).messages]

    assert await seqs(BUYER) == [1]
    assert await seqs(SELLER) == [3, 2, 1]
    assert await seqs(Identity("u2", Role.SELLER, "s1")) == [3, 2, 1]  # the same shop
    assert await seqs(MODERATOR, direction=Direction.NEWER) == [1, 2, 3]
    assert await seqs(SELLER, direction=Direction.NEWER, start_seq=1) == [2, 3]
    with pytest.raises(PermissionDenied):
        await seqs(OTHER_SELLER)
    with pytest.raises(InvalidArgument):
        await seqs(BUYER, start_seq=-1)


async def test_list_messages_pages_by_seq_each_once():
    w = world()
    thread = await order_thread(w)
    for _ in range(5):
        await send(w, BUYER, thread.thread_id)
    seen, token = [], ""
    while True:
        page = await w.handlers.list_messages(c.ListMessages(SELLER, thread.thread_id, page_size=2, page_token=token))
        seen.extend(m.seq for m in page.messages)
        if len(seen) == 2:
            await send(w, BUYER, thread.thread_id)  # a newer message does not disturb older pages
        token = page.next_page_token
        if not token:
            break
    assert seen == [5, 4, 3, 2, 1]


async def test_mark_read_is_monotonic_and_tells_the_other_party():
    w = world()
    thread = await order_thread(w)
    for _ in range(3):
        await send(w, BUYER, thread.thread_id)
    assert await w.handlers.mark_read(c.MarkRead(SELLER, thread.thread_id, 2)) == 1
    [receipt] = w.uow.events_of(e.ThreadRead)
    assert receipt.recipients == (Party.user("b1"),) and receipt.up_to_seq == 2
    # An earlier seq does not move the marker back nor raise the unread count.
    assert await w.handlers.mark_read(c.MarkRead(SELLER, thread.thread_id, 1)) == 1
    assert w.threads.rows[thread.thread_id].read_seq[Side.SELLER] == 2 and len(w.uow.events_of(e.ThreadRead)) == 1
    # 0 reads everything; a seq past the end is capped at the last message.
    assert await w.handlers.mark_read(c.MarkRead(SELLER, thread.thread_id, 99)) == 0
    assert w.threads.rows[thread.thread_id].read_seq[Side.SELLER] == 3
    with pytest.raises(InvalidArgument):
        await w.handlers.mark_read(c.MarkRead(SELLER, thread.thread_id, -1))
    with pytest.raises(PermissionDenied):
        await w.handlers.mark_read(c.MarkRead(MODERATOR, thread.thread_id))


async def test_a_claim_thread_asked_for_with_another_order_is_refused():
    w = world()
    cmd = c.CreateThread(BUYER, "", ThreadKind.CLAIM, order_id="o1", claim_id="c1", shop_id="s1")
    first, *_ = await w.handlers.create_thread(cmd)
    again, created, replayed = await w.handlers.create_thread(cmd)
    assert again.thread.thread_id == first.thread.thread_id and not created and not replayed
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.create_thread(c.CreateThread(BUYER, "", ThreadKind.CLAIM, order_id="o2", claim_id="c1", shop_id="s1"))
    assert err.value.reason == "CLAIM_OF_ANOTHER_ORDER"


# --- CloseThread / RateThread ----------------------------------------------------------------

async def test_close_thread_stops_the_deadline_and_tells_the_others():
    w = world()
    thread = await order_thread(w)
    await send(w, BUYER, thread.thread_id)
    closed = (await w.handlers.close_thread(c.CloseThread(BUYER, thread.thread_id, "Вопрос решен"))).thread
    assert closed.status is ThreadStatus.CLOSED and closed.reply_due_at is None and closed.deadline_state is None
    [event] = w.uow.events_of(e.ThreadClosed)
    assert event.recipients == (Party.shop("s1"),) and event.reason == "Вопрос решен"
    stored = w.threads.rows[thread.thread_id]
    assert (stored.close_reason, stored.closed_by) == ("Вопрос решен", BUYER)
    # The same close retried (after a timeout) gets the closed thread; nothing is told again.
    again = (await w.handlers.close_thread(c.CloseThread(BUYER, thread.thread_id, "Вопрос решен"))).thread
    assert again.status is ThreadStatus.CLOSED and again.closed_at == closed.closed_at and len(w.uow.events_of(e.ThreadClosed)) == 1
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.close_thread(c.CloseThread(SELLER, thread.thread_id))
    assert err.value.reason == "THREAD_CLOSED"
    with pytest.raises(FailedPrecondition):  # the same caller, another reason: another decision
        await w.handlers.close_thread(c.CloseThread(BUYER, thread.thread_id, "Другое"))


async def test_close_thread_by_strangers_is_denied_but_support_may_close_any():
    w = world()
    thread = await order_thread(w)
    with pytest.raises(PermissionDenied):
        await w.handlers.close_thread(c.CloseThread(OTHER_SELLER, thread.thread_id))
    with pytest.raises(PermissionDenied):
        await w.handlers.close_thread(c.CloseThread(MODERATOR, thread.thread_id))
    with pytest.raises(InvalidArgument):
        await w.handlers.close_thread(c.CloseThread(BUYER, thread.thread_id, "x" * 501))
    closed = await w.handlers.close_thread(c.CloseThread(AGENT, thread.thread_id))
    assert closed.viewer_side is None and closed.thread.closed_by == AGENT
    assert set(w.uow.events_of(e.ThreadClosed)[0].recipients) == {Party.user("b1"), Party.shop("s1")}


async def test_rate_thread_once_after_the_answer_by_its_author_only():
    w = world()
    topic = SupportTopic("Приемка товара", "Возражения по актам приемки")
    thread = (await w.handlers.create_thread(c.CreateThread(SELLER, rid(), ThreadKind.SUPPORT, support=topic)))[0].thread
    await send(w, SELLER, thread.thread_id)
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.rate_thread(c.RateThread(SELLER, thread.thread_id, 5))
    assert err.value.reason == "NOT_YET_ANSWERED"
    await send(w, AGENT, thread.thread_id, "Здравствуйте! Акт исправлен.")
    with pytest.raises(InvalidArgument):
        await w.handlers.rate_thread(c.RateThread(SELLER, thread.thread_id, 9))
    with pytest.raises(PermissionDenied):
        await w.handlers.rate_thread(c.RateThread(AGENT, thread.thread_id, 4))
    rated = (await w.handlers.rate_thread(c.RateThread(SELLER, thread.thread_id, 5, "Спасибо"))).thread
    assert rated.rating == 5 and rated.rating_comment == "Спасибо" and w.threads.rows[thread.thread_id].rating_comment == "Спасибо"
    retried = (await w.handlers.rate_thread(c.RateThread(SELLER, thread.thread_id, 5, "Спасибо"))).thread
    assert (retried.rating, retried.rated_at) == (5, rated.rated_at)  # the same rating retried: the current state
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.rate_thread(c.RateThread(SELLER, thread.thread_id, 4))
    assert err.value.reason == "ALREADY_RATED"
    with pytest.raises(FailedPrecondition):
        await w.handlers.rate_thread(c.RateThread(SELLER, thread.thread_id, 5, "Другой отзыв"))
    order = await order_thread(w)
    with pytest.raises(PermissionDenied):  # an order thread has no author
        await w.handlers.rate_thread(c.RateThread(BUYER, order.thread_id, 4))


@pytest.mark.parametrize("action", [ModerationAction.BLOCK, ModerationAction.REVIEW])
async def test_a_support_thread_whose_only_message_was_not_delivered_is_not_answered(action):
    """The author's blocked or held message leaves no reply deadline running, yet nobody answered."""
    w = world()
    topic = SupportTopic("Приемка товара", "Возражения по актам приемки")
    thread = (await w.handlers.create_thread(c.CreateThread(BUYER, rid(), ThreadKind.SUPPORT, support=topic)))[0].thread
    w.moderation.by_text["Пишите в телеграм"] = ModerationDecision(action, (Category.CONTACT_EXCHANGE,), "контакты")
    await send(w, BUYER, thread.thread_id, "Пишите в телеграм")
    assert w.threads.rows[thread.thread_id].reply_due_at is None
    with pytest.raises(FailedPrecondition) as err:
        await w.handlers.rate_thread(c.RateThread(BUYER, thread.thread_id, 1))
    assert err.value.reason == "NOT_YET_ANSWERED"
    # Answered once, it stays rateable when the author writes again.
    await send(w, AGENT, thread.thread_id, "Здравствуйте! Чем помочь?")
    await send(w, BUYER, thread.thread_id, "Акт приемки неверный")
    assert w.threads.rows[thread.thread_id].reply_due_at is not None
    assert (await w.handlers.rate_thread(c.RateThread(BUYER, thread.thread_id, 3))).thread.rating == 3


# --- ReleaseHeld -----------------------------------------------------------------------------

async def held_message(w):
    thread = await order_thread(w)
    w.moderation.by_text["Пишите в телеграм"] = ModerationDecision(ModerationAction.REVIEW, (Category.CONTACT_EXCHANGE,), "на проверке")
    message, *_ = await send(w, BUYER, thread.thread_id, "Пишите в телеграм")
    return thread, message


async def test_an_approved_held_message_is_delivered_and_starts_the_deadline():
    w = world()
    thread, message = await held_message(w)
    w.clock.advance(dt.timedelta(hours=2))
    assert await w.handlers.release_held(c.ReleaseHeld(message.message_id, approved=True)) is True
    assert w.messages.rows[message.message_id].status is MessageStatus.DELIVERED
    stored = w.threads.rows[thread.thread_id]
    assert stored.unread[Side.SELLER] == 1 and stored.reply_due_at == w.clock.now() + dt.timedelta(hours=240)
    [delivered] = w.uow.events_of(e.MessageDelivered)
    assert delivered.recipients == (Party.shop("s1"),) and delivered.message.seq == message.seq
    # A redelivered decision changes nothing.
    assert await w.handlers.release_held(c.ReleaseHeld(message.message_id, approved=False)) is False
    assert len(w.uow.events_of(e.MessageDelivered)) == 1 and not w.uow.events_of(e.MessageBlocked)


async def test_a_rejected_held_message_stays_undelivered_and_its_sender_is_told_why():
    w = world()
    thread, message = await held_message(w)
    assert await w.handlers.release_held(c.ReleaseHeld(message.message_id, approved=False, comment="Контакты запрещены")) is True
    stored = w.messages.rows[message.message_id]
    assert stored.status is MessageStatus.BLOCKED and stored.moderation_reason == "Контакты запрещены"
    assert w.threads.rows[thread.thread_id].unread[Side.SELLER] == 0
    [blocked] = w.uow.events_of(e.MessageBlocked)
    assert blocked.recipients == (Party.user("b1"),)
    assert blocked.message.text == "" and blocked.message.original_text == ""  # the sender reads it from the chat
    assert await w.handlers.release_held(c.ReleaseHeld("unknown", approved=True)) is False


# --- reply deadlines -------------------------------------------------------------------------

async def test_the_deadline_scan_reminds_once_and_announces_the_breach_once():
    w = world()
    thread = await order_thread(w)
    await send(w, BUYER, thread.thread_id)
    scan = c.AnnounceDeadlines()
    w.clock.advance(dt.timedelta(hours=100))
    assert await w.handlers.announce_deadlines(scan) == 0
    w.clock.advance(dt.timedelta(hours=120))  # 20 h before due: inside the 24 h reminder window
    assert await w.handlers.announce_deadlines(scan) == 1
    assert await w.handlers.announce_deadlines(scan) == 0
    w.clock.advance(dt.timedelta(hours=21))  # past due
    assert await w.handlers.announce_deadlines(scan) == 1
    w.clock.advance(dt.timedelta(hours=50))
    assert await w.handlers.announce_deadlines(scan) == 0
    announced = w.uow.events_of(e.ReplyDeadline)
    assert [x.breached for x in announced] == [False, True]
    assert all(x.recipients == (Party.shop("s1"),) for x in announced)
    assert w.threads.rows[thread.thread_id].deadline_state is DeadlineState.BREACHED


async def test_the_deadline_scan_reaches_every_thread_past_reminded_ones_and_full_batches():
    """Reminded threads not yet due are not scanned again, and a full batch is followed by the
    next: with a batch of 2, five threads due soon are all reminded in one scan."""
    w = world()
    early = [await order_thread(w, order_id=f"e{i}") for i in range(3)]
    for t in early:
        await send(w, BUYER, t.thread_id)
    w.clock.advance(dt.timedelta(hours=10))
    later = [await order_thread(w, order_id=f"l{i}") for i in range(5)]
    for t in later:
        await send(w, BUYER, t.thread_id)
    scan = c.AnnounceDeadlines(limit=2)
    w.clock.advance(dt.timedelta(hours=210))  # the early ones are 20 h before due, the later 30 h
    assert await w.handlers.announce_deadlines(scan) == 3
    w.clock.advance(dt.timedelta(hours=8))  # the early ones 12 h before due: reminded already, not due
    assert await w.handlers.announce_deadlines(scan) == 5
    assert all(w.threads.rows[t.thread_id].deadline_state is DeadlineState.REMINDED for t in early + later)
    assert await w.handlers.announce_deadlines(scan) == 0


# --- attachments and the live feed -----------------------------------------------------------

async def chunks(*parts: bytes):
    for part in parts:
        yield part


def meta(thread_id: str, content: bytes, **overrides) -> AttachmentMeta:
    values = {"thread_id": thread_id, "file_name": "defect.jpg", "content_type": "image/jpeg",
              "size_bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(), **overrides}
    return AttachmentMeta(**values)


async def test_attachments_upload_download_and_their_error_paths():
    w = world()
    thread = await order_thread(w)
    content = b"jpeg-bytes" * 10
    attachment = await w.handlers.upload_attachment(c.UploadAttachment(BUYER, meta(thread.thread_id, content)), chunks(content[:50], content[50:]))
    got, stream = await w.handlers.download_attachment(c.DownloadAttachment(SELLER, attachment.attachment_id))
    assert got.uploader_party == Party.user("b1") and b"".join([p async for p in stream]) == content
    assert got.created_at == w.clock.now()  # the handler's clock, not the store's

    with pytest.raises(InvalidArgument) as err:
        await w.handlers.upload_attachment(c.UploadAttachment(BUYER, meta(thread.thread_id, content, sha256="0" * 64)), chunks(content))
    assert err.value.violations[0].field == "metadata.sha256" and w.attachments.aborted
    with pytest.raises(InvalidArgument):  # more bytes than declared
        await w.handlers.upload_attachment(c.UploadAttachment(BUYER, meta(thread.thread_id, content, size_bytes=3)), chunks(content))
    with pytest.raises(InvalidArgument):
        await w.handlers.upload_attachment(c.UploadAttachment(BUYER, meta(thread.thread_id, content, content_type="application/x-msdownload")),
                                           chunks(content))
    with pytest.raises(PermissionDenied):
        await w.handlers.upload_attachment(c.UploadAttachment(OTHER_SELLER, meta(thread.thread_id, content)), chunks(content))
    with pytest.raises(PermissionDenied):
        await w.handlers.download_attachment(c.DownloadAttachment(OTHER_SELLER, attachment.attachment_id))
    with pytest.raises(NotFound):
        await w.handlers.download_attachment(c.DownloadAttachment(BUYER, "missing"))
    with pytest.raises(InvalidArgument) as err:  # the seller cannot send the buyer's upload
        await w.handlers.send_message(c.SendMessage(SELLER, thread.thread_id, rid(), "Смотрим фото", (attachment.attachment_id,)))
    assert err.value.violations[0].field == "attachment_ids[0]"
    sent, *_ = await w.handlers.send_message(c.SendMessage(BUYER, thread.thread_id, rid(), "Фото брака", (attachment.attachment_id,)))
    assert sent.attachment_ids == (attachment.attachment_id,)
    other = await order_thread(w, order_id="o2")
    with pytest.raises(InvalidArgument) as err:  # an attachment belongs to the thread it was uploaded to
        await w.handlers.send_message(c.SendMessage(BUYER, other.thread_id, rid(), "Фото брака", (attachment.attachment_id,)))
    assert "in this thread" in err.value.violations[0].description
    with pytest.raises(InvalidArgument) as err:
        await w.handlers.upload_attachment(c.UploadAttachment(BUYER, meta(thread.thread_id, content)), chunks(content[:10]))
    assert err.value.violations[0].field == "chunk"


async def test_stream_events_follows_what_access_allows():
    w = world()
    thread = await order_thread(w)
    with pytest.raises(PermissionDenied):
        await w.handlers.stream_events(c.StreamEvents(OTHER_SELLER, thread.thread_id))
    with pytest.raises(PermissionDenied):  # staff follow one thread by id, not "all of theirs"
        await w.handlers.stream_events(c.StreamEvents(MODERATOR))
    with pytest.raises(NotFound):
        await w.handlers.stream_events(c.StreamEvents(SELLER, "missing"))
    all_mine = await w.handlers.stream_events(c.StreamEvents(SELLER))
    staff = await w.handlers.stream_events(c.StreamEvents(MODERATOR, thread.thread_id))
    one_thread = await w.handlers.stream_events(c.StreamEvents(BUYER, thread.thread_id))
    # Each call gets the stream of what access allowed it to follow, and nothing wider.
    assert w.live.followed == [(Following(Party.shop("s1")), all_mine), (Following(None, thread.thread_id), staff),
                               (Following(Party.user("b1"), thread.thread_id), one_thread)]


async def test_review_resolved_events_release_held_messages_through_the_dispatcher():
    class Msg:
        def __init__(self, event):
            self.headers = {EVENT_TYPE_HEADER: event.DESCRIPTOR.full_name, "Prilavok-Producer": "moderation"}
            self.data = event.SerializeToString()
            self.subject = "t.moderation.review.resolved"

    w = world()
    _, message = await held_message(w)
    dispatch = moderation_dispatcher(w.handlers)
    item = moderation_pb2.ReviewItem(review_id="rv1", message_id=message.message_id, status=moderation_pb2.REVIEW_STATUS_PENDING)
    with pytest.raises(PoisonMessage):  # a resolution without a decision can never be handled
        await dispatch(Msg(moderation_events.ReviewResolved(item=item)))
    item.status = moderation_pb2.REVIEW_STATUS_UNSPECIFIED
    with pytest.raises(PoisonMessage):
        await dispatch(Msg(moderation_events.ReviewResolved(item=item)))
    item.status = 9  # a status of a newer moderation: redelivered, the message stays held meanwhile
    with pytest.raises(TransientError):
        await dispatch(Msg(moderation_events.ReviewResolved(item=item)))
    assert w.messages.rows[message.message_id].status is MessageStatus.HELD
    item.status = moderation_pb2.REVIEW_STATUS_APPROVED
    await dispatch(Msg(moderation_events.ReviewResolved(item=item)))
    await dispatch(Msg(moderation_events.ReviewResolved(item=item)))  # redelivered: nothing more
    assert w.messages.rows[message.message_id].status is MessageStatus.DELIVERED
    assert len(w.uow.events_of(e.MessageDelivered)) == 1
