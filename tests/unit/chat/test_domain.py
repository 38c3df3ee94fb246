"""Chat's rules as plain functions: opening threads, access, the read marker, message outcomes,
held-message release, reply deadlines and who each event tells."""
import datetime as dt
import hashlib

import pytest

from prilavok_platform.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.chat.domain import access, conversation, reading
from services.chat.domain.attachments import MAX_CHUNK_BYTES, UploadCheck, require_sendable
from services.chat.domain.commands import CreateThread
from services.chat.domain.deadlines import announce_deadline, apply_reply_deadline, deadlines_due, next_deadline_state
from services.chat.domain.events import MessageBlocked, MessageDelivered, MessageHeld
from services.chat.domain.live import MessageArrived, ReadReceipt
from services.chat.domain.model import (
    Attachment,
    AttachmentMeta,
    Category,
    ChatPolicy,
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
    validate_message,
)
from services.chat.domain.reading import MessageAudience
from services.chat.domain.threads import as_first_answered, found_thread, requested_thread, require_linkable, start_thread

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
POLICY = ChatPolicy("t", 4000, 10, 1 << 20, 10, 255, ("image/jpeg", "video/mp4"), seller_reply_hours=240, support_reply_hours=72,
                    remind_before_hours=24, moderation_deadline_ms=500)
BUYER = Identity("b1", Role.BUYER)
SELLER = Identity("u1", Role.SELLER, "s1")
HOUR = dt.timedelta(hours=1)


def open_thread(cmd: CreateThread, now=NOW, policy=POLICY):
    """CreateThread's path when no thread exists yet: the thread the request names, then started."""
    thread = requested_thread(cmd, now, policy)
    return thread, start_thread(thread, cmd.caller)


def order(caller=BUYER, request_id="r1", **kw):
    fields = {"order_id": "o1", "shop_id": "s1"} if caller is BUYER else {"order_id": "o1", "buyer_id": "b1"}
    return open_thread(CreateThread(caller, request_id, ThreadKind.ORDER, **{**fields, **kw}), NOW, POLICY)[0]


def message(thread, sender, side, action=ModerationAction.ALLOW, text="Здравствуйте", masked=""):
    return conversation.moderated_message(message_id=f"m{thread.last_seq + 1}", thread_id=thread.thread_id, sender=sender, side=side,
                                          text=text, attachment_ids=(), decision=ModerationDecision(action, masked_text=masked), at=NOW)


def test_buyer_opens_an_order_thread_with_the_shop_and_the_shop_is_told():
    thread, created = open_thread(CreateThread(BUYER, "r1", ThreadKind.ORDER, order_id="o1", shop_id="s1"), NOW, POLICY)
    assert thread.participants == {Side.BUYER: Party.user("b1"), Side.SELLER: Party.shop("s1")}
    assert thread.side_of(BUYER) is Side.BUYER and thread.side_of(SELLER) is Side.SELLER
    assert thread.side_of(Identity("u2", Role.SELLER, "s2")) is None
    assert created.recipients == (Party.shop("s1"),)


def test_the_same_order_chat_is_found_again_whoever_opens_it():
    by_seller = order(SELLER, initiation_reason=InitiationReason.DELIVERY_PROBLEM)
    assert order().thread_id == by_seller.thread_id


def test_only_the_request_that_started_a_thread_is_replayed_and_it_gets_the_thread_as_started():
    """A replay is the same caller (party and user id) under the same request id; the other side,
    a colleague of the shop, the opener under another request id or none find the thread as it is now."""
    def asked(caller, request_id):
        fields = {"shop_id": "s1"} if caller.role is Role.BUYER else {"buyer_id": "b1"}
        return requested_thread(CreateThread(caller, request_id, ThreadKind.ORDER, order_id="o1", **fields), NOW, POLICY)

    started = order(SELLER, "r1", initiation_reason=InitiationReason.ORDER_DETAILS)
    assert as_first_answered(started) == started  # a thread as started is its own first answer
    now = started.snapshot()
    conversation.accept_message(now, message(now, BUYER, Side.BUYER), POLICY)
    conversation.close(now, BUYER, "Решено", NOW + HOUR)
    assert (now.status, now.last_seq) == (ThreadStatus.CLOSED, 1)
    assert found_thread(now, asked(SELLER, "r1"), "r1") == (started, True)
    for caller, request_id in ((Identity("u2", Role.SELLER, "s1"), "r1"), (BUYER, "r1"), (SELLER, "r2"), (SELLER, "")):
        assert found_thread(now, asked(caller, request_id), request_id) == (now, False), (caller, request_id)
    unkeyed = order(BUYER, "")
    assert found_thread(unkeyed, asked(BUYER, ""), "") == (unkeyed, False)  # no request id: no request to replay


def test_seller_may_write_first_only_with_a_reason():
    with pytest.raises(FailedPrecondition) as err:
        order(SELLER)
    assert err.value.reason == "SELLER_INITIATION_REASON_REQUIRED"


def test_seller_cannot_open_for_another_shop_and_buyer_not_for_another_buyer():
    with pytest.raises(PermissionDenied) as err:
        order(SELLER, shop_id="s2", initiation_reason=InitiationReason.ORDER_DETAILS)
    assert err.value.reason == "NOT_A_PARTICIPANT"
    with pytest.raises(PermissionDenied):
        order(BUYER, buyer_id="b2")
    # Naming oneself is the same as leaving the id empty; a service opens for any pair.
    assert order(BUYER, buyer_id="b1").thread_id == order().thread_id
    service = Identity("svc", Role.SERVICE)
    on_behalf = open_thread(CreateThread(service, "", ThreadKind.ORDER, order_id="o1", buyer_id="b1", shop_id="s1"))[0]
    assert on_behalf.thread_id == order().thread_id


def test_a_seller_finds_the_buyers_chat_without_a_reason_but_needs_one_to_start_it():
    """requested_thread names the chat (the handler looks it up first); only start_thread asks for the reason."""
    found = requested_thread(CreateThread(SELLER, "", ThreadKind.ORDER, order_id="o1", buyer_id="b1"), NOW, POLICY)
    assert found.thread_id == order().thread_id
    with pytest.raises(FailedPrecondition):
        start_thread(found, SELLER)


def test_invalid_thread_requests_list_every_problem():
    with pytest.raises(InvalidArgument) as err:
        open_thread(CreateThread(BUYER, "bad id", ThreadKind.ORDER), NOW, POLICY)
    assert {v.field for v in err.value.violations} == {"request_id", "order_id", "shop_id"}
    with pytest.raises(InvalidArgument) as err:
        open_thread(CreateThread(BUYER, "r", None), NOW, POLICY)
    assert err.value.violations[0].field == "kind"


def test_fields_that_do_not_apply_to_the_thread_kind_are_refused_by_name():
    topic = SupportTopic("Приемка товара", "Акт")
    with pytest.raises(InvalidArgument) as err:
        open_thread(CreateThread(BUYER, "", ThreadKind.ORDER, order_id="o1", shop_id="s1", claim_id="c1", support=topic,
                                 initiation_reason=InitiationReason.ORDER_DETAILS, linked_thread_id="t1"))
    assert {v.field for v in err.value.violations} == {"claim_id", "support", "initiation_reason", "linked_thread_id"}
    with pytest.raises(InvalidArgument) as err:
        open_thread(CreateThread(SELLER, "r1", ThreadKind.SUPPORT, order_id="o1", claim_id="c1", buyer_id="b1", shop_id="s1",
                                 support=topic, initiation_reason=InitiationReason.ORDER_DETAILS))
    assert {v.field for v in err.value.violations} == {"order_id", "claim_id", "buyer_id", "shop_id", "initiation_reason"}
    # A seller writing first gives the reason; a claim names its order.
    open_thread(CreateThread(SELLER, "", ThreadKind.ORDER, order_id="o1", buyer_id="b1", initiation_reason=InitiationReason.ORDER_DETAILS))
    open_thread(CreateThread(BUYER, "", ThreadKind.CLAIM, order_id="o1", claim_id="c1", shop_id="s1"))


def test_order_and_claim_threads_are_keyed_by_what_they_are_about_support_threads_by_request_id():
    """ORDER/CLAIM: (kind, order or claim, shop, buyer), any or no request id; SUPPORT: (author, request id)."""
    assert order(request_id="").thread_id == order(request_id="another").thread_id
    claim = open_thread(CreateThread(BUYER, "", ThreadKind.CLAIM, order_id="o1", claim_id="c1", shop_id="s1"), NOW, POLICY)[0]
    assert claim.thread_id != order().thread_id
    topic = SupportTopic("Приемка товара", "Акт")

    def support(caller, request_id):
        return open_thread(CreateThread(caller, request_id, ThreadKind.SUPPORT, support=topic), NOW, POLICY)[0].thread_id

    assert support(SELLER, "r1") == support(Identity("u2", Role.SELLER, "s1"), "r1")  # the same shop asks once per request id
    assert support(SELLER, "r1") != support(SELLER, "r2") != support(BUYER, "r2")
    with pytest.raises(InvalidArgument) as err:
        support(SELLER, "")
    assert [v.field for v in err.value.violations] == ["request_id"]


def test_only_an_earlier_support_request_of_ones_own_party_is_linked():
    topic = SupportTopic("Приемка товара", "Акт")
    earlier = open_thread(CreateThread(SELLER, "r1", ThreadKind.SUPPORT, support=topic), NOW, POLICY)[0]
    require_linkable(earlier, earlier.thread_id, Identity("u2", Role.SELLER, "s1"))
    with pytest.raises(NotFound):
        require_linkable(None, "t-missing", SELLER)
    with pytest.raises(PermissionDenied):
        require_linkable(earlier, earlier.thread_id, BUYER)
    with pytest.raises(FailedPrecondition) as err:
        require_linkable(order(), "t", BUYER)
    assert err.value.reason == "LINKED_THREAD_NOT_SUPPORT"


def test_support_thread_needs_category_and_topic_and_staff_cannot_open_one():
    thread, created = open_thread(CreateThread(SELLER, "r1", ThreadKind.SUPPORT, support=SupportTopic("Приемка товара", "Акт")), NOW, POLICY)
    assert thread.participants == {Side.AUTHOR: Party.shop("s1"), Side.SUPPORT: Party.support()}
    assert thread.side_of(Identity("agent", Role.SUPPORT)) is Side.SUPPORT and created.recipients == (Party.support(),)
    with pytest.raises(InvalidArgument):
        open_thread(CreateThread(BUYER, "r1", ThreadKind.SUPPORT, support=SupportTopic("", "")), NOW, POLICY)
    with pytest.raises(PermissionDenied):
        open_thread(CreateThread(Identity("m", Role.MODERATOR), "r1", ThreadKind.SUPPORT, support=SupportTopic("a", "b")), NOW, POLICY)


def test_access_participants_write_staff_read_only_author_rates():
    thread = order()
    with pytest.raises(PermissionDenied):
        access.require_may_write(thread, Identity("b2", Role.BUYER))
    assert access.require_may_read(thread, Identity("m", Role.MODERATOR)) is None
    with pytest.raises(PermissionDenied):
        access.require_may_read(thread, Identity("b2", Role.BUYER))
    with pytest.raises(PermissionDenied):
        access.require_may_list_threads(Identity("svc", Role.SERVICE))
    with pytest.raises(PermissionDenied):
        access.require_may_rate(thread, BUYER)
    assert access.message_audience(thread, SELLER) == MessageAudience(Party.shop("s1"))
    assert access.message_audience(thread, Identity("m", Role.MODERATOR)) == MessageAudience(None)


def test_a_viewer_sees_delivered_messages_and_its_own_partys_held_and_blocked_ones():
    thread = order()
    mine = message(thread, SELLER, Side.SELLER, ModerationAction.REVIEW)
    theirs = message(thread, BUYER, Side.BUYER, ModerationAction.BLOCK)
    delivered = message(thread, BUYER, Side.BUYER)
    for m in (mine, theirs, delivered):
        conversation.accept_message(thread, m, POLICY)
    colleague = access.message_audience(thread, Identity("u2", Role.SELLER, "s1"))
    assert [colleague.admits(m) for m in (mine, theirs, delivered)] == [True, False, True]
    staff = access.message_audience(thread, Identity("m", Role.MODERATOR))
    assert all(staff.admits(m) for m in (mine, theirs, delivered))


def test_unread_means_delivered_from_the_other_side_after_the_marker():
    thread = order()
    sent = [message(thread, who, side, action) for who, side, action in (
        (BUYER, Side.BUYER, ModerationAction.ALLOW), (BUYER, Side.BUYER, ModerationAction.BLOCK),
        (SELLER, Side.SELLER, ModerationAction.ALLOW), (BUYER, Side.BUYER, ModerationAction.ALLOW))]
    for m in sent:
        conversation.accept_message(thread, m, POLICY)
    assert [reading.unread_for(thread, Side.SELLER).matches(m) for m in sent] == [True, False, False, True]
    assert thread.unread[Side.SELLER] == 2  # the count kept on delivery follows the same definition
    assert [reading.unread_for(thread, Side.SELLER, 1).matches(m) for m in sent] == [False, False, False, True]
    assert not reading.UnreadMessages("another", Side.SELLER, 0).matches(sent[0])


def test_a_held_message_released_behind_the_read_marker_is_not_unread():
    thread = order()
    held = message(thread, BUYER, Side.BUYER, ModerationAction.REVIEW)
    conversation.accept_message(thread, held, POLICY)
    later = message(thread, BUYER, Side.BUYER)
    conversation.accept_message(thread, later, POLICY)
    conversation.mark_read(thread, SELLER, Side.SELLER, 2, 0, NOW)
    conversation.release_held(thread, held, approved=True, comment="", at=NOW, policy=POLICY)
    assert thread.unread[Side.SELLER] == 0


def test_a_message_listing_is_bounded_and_starts_at_zero_or_later():
    assert reading.listing_direction(None) is Direction.OLDER  # unspecified: newest first
    assert reading.listing_direction(Direction.NEWER) is Direction.NEWER
    assert reading.message_page_size(0, 0) == 20 and reading.message_page_size(10_000, 5) == reading.MAX_MESSAGES_PAGE
    with pytest.raises(InvalidArgument) as err:
        reading.message_page_size(10, -1)
    assert err.value.violations[0].field == "start_seq"


def test_who_may_follow_what_and_who_a_live_event_reaches():
    thread = order()
    assert access.may_follow(SELLER, None) == access.Following(Party.shop("s1"))
    assert access.may_follow(BUYER, thread) == access.Following(Party.user("b1"), thread.thread_id)
    staff = access.may_follow(Identity("m", Role.MODERATOR), thread)
    assert staff.party is None and staff.audience == access.thread_followers(thread.thread_id)
    with pytest.raises(PermissionDenied):
        access.may_follow(Identity("b2", Role.BUYER), thread)
    with pytest.raises(PermissionDenied):
        access.may_follow(Identity("m", Role.MODERATOR), None)  # staff follow threads by id
    arrived = MessageArrived(message(thread, BUYER, Side.BUYER))
    elsewhere = ReadReceipt("another-thread", SELLER, 1)
    assert access.Following(Party.shop("s1")).accepts(arrived) and access.Following(Party.shop("s1")).accepts(elsewhere)
    assert access.may_follow(BUYER, thread).accepts(arrived) and not access.may_follow(BUYER, thread).accepts(elsewhere)
    audience = access.live_audience(thread.thread_id, (Party.shop("s1"),), Party.user("b1"))
    assert audience == {Party.shop("s1"), Party.user("b1"), access.thread_followers(thread.thread_id)}


def test_an_upload_is_checked_chunk_by_chunk_and_at_the_end():
    content = b"x" * 10
    meta = AttachmentMeta("t1", "a.jpg", "image/jpeg", len(content), hashlib.sha256(content).hexdigest())
    check = UploadCheck(meta)
    check.take(content[:4])
    check.take(content[4:])
    check.finish()
    with pytest.raises(InvalidArgument):
        UploadCheck(meta).take(b"x" * (MAX_CHUNK_BYTES + 1))
    with pytest.raises(InvalidArgument):
        UploadCheck(meta).take(content + b"!")
    short = UploadCheck(meta)
    short.take(content[:3])
    with pytest.raises(InvalidArgument):
        short.finish()
    wrong = UploadCheck(AttachmentMeta("t1", "a.jpg", "image/jpeg", 10, "0" * 64))
    wrong.take(content)
    with pytest.raises(InvalidArgument) as err:
        wrong.finish()
    assert err.value.violations[0].field == "metadata.sha256"


def test_a_message_carries_only_its_threads_attachments_of_the_senders_party():
    thread = order()
    meta = AttachmentMeta(thread.thread_id, "a.jpg", "image/jpeg", 1, "0" * 64)
    mine = Attachment("a1", meta, Party.user("b1"), NOW)
    elsewhere = Attachment("a2", AttachmentMeta("t-other", "a.jpg", "image/jpeg", 1, "0" * 64), Party.user("b1"), NOW)
    require_sendable(thread, BUYER, ("a1",), {"a1": mine})
    with pytest.raises(InvalidArgument) as err:
        require_sendable(thread, SELLER, ("a1", "a2", "a3"), {"a1": mine, "a2": elsewhere})
    assert [v.field for v in err.value.violations] == ["attachment_ids[0]", "attachment_ids[1]", "attachment_ids[2]"]


def test_message_limits():
    with pytest.raises(InvalidArgument) as err:
        validate_message("x" * 4001, (), "r1", "t1", POLICY)
    assert "4000" in err.value.violations[0].description
    with pytest.raises(InvalidArgument):
        validate_message("   ", (), "r1", "t1", POLICY)
    validate_message("Здравствуйте", (), "r1", "t1", POLICY)


@pytest.mark.parametrize(("action", "status", "event"), [
    (ModerationAction.ALLOW, MessageStatus.DELIVERED, MessageDelivered),
    (ModerationAction.WARN, MessageStatus.DELIVERED, MessageDelivered),
    (ModerationAction.MASK, MessageStatus.DELIVERED, MessageDelivered),
    (ModerationAction.REVIEW, MessageStatus.HELD, MessageHeld),
    (ModerationAction.BLOCK, MessageStatus.BLOCKED, MessageBlocked),
])
def test_moderation_outcome_decides_delivery_and_who_is_told(action, status, event):
    thread = order()
    m = message(thread, BUYER, Side.BUYER, action, text="мой номер 8900", masked="мой номер ***")
    told = conversation.accept_message(thread, m, POLICY)
    assert m.status is status and isinstance(told, event) and m.seq == thread.last_seq == 1
    delivered = status is MessageStatus.DELIVERED
    assert told.recipients == ((Party.shop("s1"),) if delivered else (Party.user("b1"),))
    assert thread.unread[Side.SELLER] == (1 if delivered else 0)
    assert (thread.reply_due_at is not None) is delivered
    assert m.text == ("мой номер ***" if action is ModerationAction.MASK else "мой номер 8900")
    assert m.original_text == ("" if action in (ModerationAction.ALLOW, ModerationAction.WARN) else "мой номер 8900")


def test_only_text_needs_a_verdict():
    assert conversation.decision_without_moderation("Здравствуйте") is None
    for blank in ("", "  \n"):
        assert conversation.decision_without_moderation(blank) == ModerationDecision(ModerationAction.ALLOW)


def test_a_thread_is_answered_when_the_answering_sides_message_is_delivered():
    thread = order()
    for action in (ModerationAction.ALLOW, ModerationAction.BLOCK):  # the buyer's, then the seller's blocked one
        side, who = (Side.BUYER, BUYER) if action is ModerationAction.ALLOW else (Side.SELLER, SELLER)
        conversation.accept_message(thread, message(thread, who, side, action), POLICY)
    assert thread.answered_at is None
    held = message(thread, SELLER, Side.SELLER, ModerationAction.REVIEW)
    conversation.accept_message(thread, held, POLICY)
    assert thread.answered_at is None
    conversation.release_held(thread, held, approved=True, comment="", at=NOW + HOUR, policy=POLICY)
    assert thread.answered_at == NOW + HOUR
    conversation.accept_message(thread, message(thread, SELLER, Side.SELLER), POLICY)
    assert thread.answered_at == NOW + HOUR  # the first answer


def test_the_original_text_is_shown_to_its_writer_only():
    thread = order()
    m = message(thread, BUYER, Side.BUYER, ModerationAction.MASK, text="a 8900", masked="a ***")
    assert conversation.as_seen_by(m, BUYER).text == "a 8900"
    assert conversation.as_seen_by(m, SELLER).text == "a ***"


def test_a_closed_thread_refuses_messages():
    thread = order()
    conversation.close(thread, BUYER, "", NOW)
    with pytest.raises(FailedPrecondition):
        conversation.accept_message(thread, message(thread, BUYER, Side.BUYER), POLICY)


def test_reply_deadline_starts_with_the_buyer_and_stops_with_the_seller():
    thread = order()
    apply_reply_deadline(thread, Side.BUYER, NOW, POLICY)
    assert thread.reply_due_at == NOW + 240 * HOUR and thread.deadline_state is DeadlineState.PENDING
    apply_reply_deadline(thread, Side.BUYER, NOW + HOUR, POLICY)
    assert thread.reply_due_at == NOW + 240 * HOUR  # the clock keeps running
    apply_reply_deadline(thread, Side.SELLER, NOW + 2 * HOUR, POLICY)
    assert thread.reply_due_at is None and thread.deadline_state is None


def test_deadline_states_only_move_forward():
    due, remind = NOW + 240 * HOUR, 24 * HOUR
    assert next_deadline_state(DeadlineState.PENDING, due, NOW, remind) is None
    assert next_deadline_state(DeadlineState.PENDING, due, due - 20 * HOUR, remind) is DeadlineState.REMINDED
    assert next_deadline_state(DeadlineState.REMINDED, due, due - HOUR, remind) is None
    assert next_deadline_state(DeadlineState.REMINDED, due, due, remind) is DeadlineState.BREACHED
    assert next_deadline_state(DeadlineState.PENDING, due, due + HOUR, remind) is DeadlineState.BREACHED  # no late reminder
    assert next_deadline_state(DeadlineState.BREACHED, due, due + 100 * HOUR, remind) is None
    assert next_deadline_state(None, None, NOW, remind) is None


def test_the_deadlines_due_are_exactly_those_with_a_state_to_move_to():
    """What the scan looks for (DeadlinesDue, which the repository turns into its query) is what
    next_deadline_state would announce: a REMINDED deadline not yet due is not found again."""
    remind = POLICY.remind_before
    due_at = NOW + 240 * HOUR
    for state in (None, *DeadlineState):
        for offset in (-300, -241, -240, -239, -24, -23, -1, 0, 1, 50):
            now = due_at + offset * HOUR
            thread = order()
            thread.deadline_state, thread.reply_due_at = state, (due_at if state else None)
            expected = next_deadline_state(state, thread.reply_due_at, now, remind) is not None
            assert deadlines_due(now, POLICY).matches(thread) is expected, (state, offset)


def test_announce_deadline_tells_the_party_that_owes_the_reply():
    thread = order()
    apply_reply_deadline(thread, Side.BUYER, NOW, POLICY)
    assert announce_deadline(thread, NOW, POLICY) is None
    reminder = announce_deadline(thread, NOW + 230 * HOUR, POLICY)
    assert reminder is not None and not reminder.breached and reminder.recipients == (Party.shop("s1"),)
    breach = announce_deadline(thread, NOW + 241 * HOUR, POLICY)
    assert breach is not None and breach.breached and thread.deadline_state is DeadlineState.BREACHED
    support, _ = open_thread(CreateThread(BUYER, "r2", ThreadKind.SUPPORT, support=SupportTopic("a", "b")), NOW, POLICY)
    apply_reply_deadline(support, Side.AUTHOR, NOW, POLICY)
    assert support.reply_due_at == NOW + 72 * HOUR
    assert announce_deadline(support, NOW + 73 * HOUR, POLICY).recipients == (Party.support(),)


def test_the_read_marker_never_goes_backwards_and_is_capped_at_the_last_message():
    thread = order()
    thread.last_seq = 5
    assert conversation.read_position(thread, Side.SELLER, 3) == 3
    assert conversation.mark_read(thread, SELLER, Side.SELLER, 3, 2, NOW).recipients == (Party.user("b1"),)
    assert conversation.read_position(thread, Side.SELLER, 1) == 3
    assert conversation.mark_read(thread, SELLER, Side.SELLER, 3, 2, NOW) is None  # nothing moved: no receipt
    assert conversation.read_position(thread, Side.SELLER, 0) == 5
    assert conversation.read_position(thread, Side.SELLER, 50) == 5
    with pytest.raises(InvalidArgument):
        conversation.read_position(thread, Side.SELLER, -1)


def test_release_of_a_held_message():
    thread = order()
    held = message(thread, BUYER, Side.BUYER, ModerationAction.REVIEW)
    conversation.accept_message(thread, held, POLICY)
    [delivered] = conversation.release_held(thread, held, approved=True, comment="", at=NOW + HOUR, policy=POLICY) or ()
    assert isinstance(delivered, MessageDelivered) and delivered.recipients == (Party.shop("s1"),)
    assert held.status is MessageStatus.DELIVERED and thread.unread[Side.SELLER] == 1 and thread.reply_due_at == NOW + 241 * HOUR
    assert conversation.release_held(thread, held, approved=False, comment="", at=NOW, policy=POLICY) is None
    other = message(thread, SELLER, Side.SELLER, ModerationAction.REVIEW)
    conversation.accept_message(thread, other, POLICY)
    [blocked] = conversation.release_held(thread, other, approved=False, comment="Контакты", at=NOW, policy=POLICY) or ()
    assert isinstance(blocked, MessageBlocked) and blocked.recipients == (Party.shop("s1"),)
    assert other.status is MessageStatus.BLOCKED and other.moderation_reason == "Контакты" and thread.reply_due_at is not None


def test_close_and_rate():
    thread = order()
    closed = conversation.close(thread, SELLER, "готово", NOW)
    assert closed.recipients == (Party.user("b1"),) and thread.status is ThreadStatus.CLOSED and thread.last_activity_at == NOW
    assert (thread.close_reason, thread.closed_by) == ("готово", SELLER)
    with pytest.raises(FailedPrecondition):
        conversation.close(thread, BUYER, "", NOW)
    with pytest.raises(FailedPrecondition) as err:
        conversation.rate(thread, 5, "", NOW)
    assert err.value.reason == "NOT_A_SUPPORT_THREAD"


def test_policy_from_dict_refuses_nonsense():
    good = {"version": "1", "limits": {"max_text_chars": 10, "max_attachments_per_message": 1, "max_attachment_bytes": 1,
                                       "max_support_reference_fields": 1, "max_file_name_chars": 10, "allowed_content_types": ["image/PNG"]},
            "reply_deadline": {"seller_hours": 1, "support_hours": 1, "remind_before_hours": 0}, "moderation": {"deadline_ms": 100}}
    assert ChatPolicy.from_dict(good).allowed_content_types == ("image/png",)
    with pytest.raises(ValueError):
        ChatPolicy.from_dict({**good, "moderation": {"deadline_ms": 1}})
    with pytest.raises(ValueError):
        ChatPolicy.from_dict({"version": "1"})


def test_a_verdict_unknown_to_this_version_blocks_and_unknown_categories_are_left_out():
    known = conversation.verdict(ModerationAction.MASK, (Category.PROFANITY, None, Category.PROFANITY), reason="r",
                                 masked_text="***", policy_version="p")
    assert known == ModerationDecision(ModerationAction.MASK, (Category.PROFANITY,), "r", "***", "p")
    unknown = conversation.verdict(None, (None,), reason="r", masked_text="***", policy_version="p")
    assert unknown.action is ModerationAction.BLOCK and unknown.categories == () and unknown.masked_text == ""
