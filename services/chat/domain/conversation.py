"""What happens to a thread when people write, read, close and rate, and when a moderator
releases a held message: the state changes and the events they emit, with their recipients."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from prilavok_platform import idempotency
from prilavok_platform.clock import to_millisecond
from prilavok_platform.errors import FailedPrecondition, Validator
from prilavok_platform.idempotency import Fingerprint
from prilavok_platform.identity import Identity, Party
from services.chat.domain import access, reading
from services.chat.domain.deadlines import answering_side, apply_reply_deadline, stop_reply_deadline
from services.chat.domain.events import (
    MessageBlocked,
    MessageDelivered,
    MessageEvent,
    MessageHeld,
    MessageUndelivered,
    ThreadClosed,
    ThreadRead,
)
from services.chat.domain.model import (
    Category,
    ChatPolicy,
    Message,
    MessageStatus,
    ModerationAction,
    ModerationDecision,
    Side,
    Thread,
    ThreadKind,
    ThreadStatus,
    stable_id,
)

# What the sender reads on a message a moderator cleared after its thread closed (UNDELIVERED).
UNDELIVERED_AFTER_REVIEW = ("Модератор одобрил сообщение, но к этому времени чат был закрыт: сообщение не доставлено. "
                            "Если вопрос остался, начните новый чат.")
UNDELIVERED_AFTER_APPEAL = ("Обжалование удовлетворено, но к этому времени чат был закрыт: сообщение не доставлено. "
                            "Если вопрос остался, начните новый чат.")

STATUS_BY_ACTION = {
    ModerationAction.ALLOW: MessageStatus.DELIVERED,
    ModerationAction.WARN: MessageStatus.DELIVERED,
    ModerationAction.MASK: MessageStatus.DELIVERED,
    ModerationAction.REVIEW: MessageStatus.HELD,
    ModerationAction.BLOCK: MessageStatus.BLOCKED,
}


def verdict(
    action: ModerationAction | None, categories: tuple[Category | None, ...], *, reason: str, masked_text: str,
    policy_version: str,
) -> ModerationDecision:
    """Moderation's verdict as this version understands it (None: a value of a newer moderation).
    An unknown action is a block: nothing unmoderated is delivered. Unknown categories are left
    out (the action and the reason, which the sender reads, still say what was found); each once."""
    known = tuple(dict.fromkeys(c for c in categories if c is not None))
    return ModerationDecision(action or ModerationAction.BLOCK, known, reason, masked_text if action else "", policy_version)


def message_id_for(thread_id: str, sender: Identity, request_id: str) -> str:
    """Derived from the request, so a retry is recognised even after a crash."""
    return stable_id("message", thread_id, Party.of(sender).key, sender.user_id, request_id)


def send_fingerprint(text: str, attachment_ids: tuple[str, ...]) -> Fingerprint:
    """Everything of a SendMessage request that shapes the message (its thread and sender are in
    its id), named as the request names them."""
    return idempotency.fingerprint({"text": text, "attachment_ids": attachment_ids})


def replayed(stored: Message, request: Fingerprint, request_id: str, viewer: Identity) -> Message:
    """The first answer again, for a retry of the request that stored the message (Stripe's
    semantics: see as_first_answered); the same request id with another text or other
    attachments is INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED naming them."""
    idempotency.require_same_request(stored.request_fingerprint, request, request_id=request_id)
    return as_seen_by(as_first_answered(stored), viewer)


def as_first_answered(message: Message) -> Message:
    """The message as SendMessage answered when it stored it: HELD stays HELD on a retry even if a
    moderator approved or rejected it since, BLOCKED stays BLOCKED after a reversed appeal, with
    moderation's first reason and none of the later decision's traces (the release time, the
    moderator's comment, an UNDELIVERED reason). What became of it is read with ListMessages, the
    live stream or notifications. A message stored before the answer was kept replays as it is."""
    if message.answered_status is None:
        return message
    first = message.snapshot()
    first.status, first.moderation_reason = message.answered_status, message.answered_reason
    first.released_at, first.review_comment, first.status_reason = None, "", ""
    return first


def require_open(thread: Thread) -> None:
    if thread.status is ThreadStatus.CLOSED:
        raise FailedPrecondition(f"thread {thread.thread_id} is closed", reason="THREAD_CLOSED")


def judged_text(text: str, file_names: tuple[str, ...]) -> str:
    """What moderation judges for a message: its text and its attachments' file names, one per
    line (the other side sees the names too, so nothing shown is delivered unmoderated)."""
    if not file_names:
        return text
    names = "\n".join(file_names)
    return f"{text}\n{names}" if text.strip() else names


def decision_without_moderation(judged: str) -> ModerationDecision | None:
    """Nothing to judge (no text and no file names, only blanks): delivered as allowed without
    asking moderation; None when a verdict is needed."""
    if judged.strip():
        return None
    return ModerationDecision(ModerationAction.ALLOW)


def decision_for_message(decision: ModerationDecision, text: str, file_names: tuple[str, ...]) -> ModerationDecision:
    """The verdict on judged_text applied to the message: a mask of the text alone is the masked
    text without the names; a file name cannot be masked, so a verdict that masks one blocks."""
    if decision.action is not ModerationAction.MASK or not file_names:
        return decision
    suffix = "\n" + "\n".join(file_names)
    if text.strip() and decision.masked_text.endswith(suffix):
        return replace(decision, masked_text=decision.masked_text[: -len(suffix)])
    return replace(decision, action=ModerationAction.BLOCK, masked_text="")


def moderated_message(
    *, message_id: str, thread_id: str, sender: Identity, side: Side, text: str, attachment_ids: tuple[str, ...],
    decision: ModerationDecision, at: dt.datetime, request_fingerprint: Fingerprint = (),
) -> Message:
    """The message as moderation left it: delivered (masked if so decided), held for a moderator, or blocked."""
    status = STATUS_BY_ACTION.get(decision.action, MessageStatus.BLOCKED)
    masked = decision.action is ModerationAction.MASK and bool(decision.masked_text)
    delivered_text = decision.masked_text if masked else text
    return Message(
        message_id=message_id,
        thread_id=thread_id,
        seq=0,
        sender=sender,
        sender_side=side,
        text=delivered_text,
        status=status,
        # At the database's precision (milliseconds), so the first answer and its replays agree.
        created_at=to_millisecond(at),
        # Kept for the sender (and moderators) when what others see differs from what was written.
        original_text=text if delivered_text != text or status is not MessageStatus.DELIVERED else "",
        attachment_ids=attachment_ids,
        moderation_action=decision.action,
        moderation_categories=decision.categories,
        moderation_reason=decision.reason,
        policy_version=decision.policy_version,
        request_fingerprint=request_fingerprint,
        answered_status=status,
        answered_reason=decision.reason,
    )


def _deliver(thread: Thread, message: Message, at: dt.datetime, policy: ChatPolicy) -> MessageDelivered:
    reader = thread.other_side(message.sender_side)
    # A released held message may sit before the reader's marker already: then it is not unread.
    if reading.unread_for(thread, reader).matches(message):
        thread.unread[reader] = thread.unread.get(reader, 0) + 1
    thread.last_message_at = thread.last_activity_at = thread.updated_at = at
    if message.sender_side is answering_side(thread.kind) and thread.answered_at is None:
        thread.answered_at = at
    apply_reply_deadline(thread, message.sender_side, at, policy)
    return MessageDelivered(thread.snapshot(), message.snapshot(), thread.parties_except(message.sender_party), at)


def accept_message(thread: Thread, message: Message, policy: ChatPolicy) -> MessageEvent:
    """Stores a moderated message in the thread: every message takes the next seq (held and
    blocked ones leave gaps for the others); only a delivered one counts as unread and moves
    the reply deadline. Held and blocked messages are told to their sender's party only."""
    require_open(thread)
    thread.last_seq += 1
    message.seq = thread.last_seq
    thread.updated_at = message.created_at
    if message.status is MessageStatus.DELIVERED:
        return _deliver(thread, message, message.created_at, policy)
    if message.status is MessageStatus.HELD:
        return MessageHeld(thread.snapshot(), _as_judged(message), (message.sender_party,), message.created_at)
    return MessageBlocked(thread.snapshot(), _without_text(message), (message.sender_party,), message.created_at)


def _as_judged(message: Message) -> Message:
    """A held message's event carries the original once, as its text: its reviewer reads it there."""
    told = message.snapshot()
    told.text, told.original_text = message.moderated_text, ""
    return told


def _without_text(message: Message) -> Message:
    """A blocked message's event carries no text: the stream keeps events for days and notify
    reads them, while the sender reads their own message from the chat."""
    told = message.snapshot()
    told.text = told.original_text = ""
    return told


# What a moderator's decision did to a message: None, nothing (a redelivery); else the message
# changed, with these events (none when a reversal is only kept for later).
Decided = tuple[MessageDelivered | MessageBlocked | MessageUndelivered, ...] | None


def release_held(
    thread: Thread, message: Message, *, approved: bool, comment: str, at: dt.datetime, policy: ChatPolicy, review_id: str = "",
) -> Decided:
    """A moderator decided on a held message: approved, it is delivered now (to everyone but the
    sender's party, counting as unread unless its reader read past it, and moving the reply
    deadline), unless its thread closed meanwhile (then it stays UNDELIVERED and its sender is told
    why: nothing is delivered into a closed thread); rejected, it stays undelivered and its sender
    is told why. A rejection whose reversal on appeal chat already heard of (deliver_on_appeal of
    a message still HELD) is followed at once by that reversal, as if they had come in order.
    Only a HELD message changes (a redelivered decision is a no-op: None); else the events."""
    if message.status is not MessageStatus.HELD:
        return None
    message.released_at, message.review_comment = at, comment
    if approved:
        return (_clear(thread, message, at, policy, UNDELIVERED_AFTER_REVIEW, review_id=review_id or message.message_id),)
    message.status = MessageStatus.BLOCKED
    if comment:
        message.moderation_reason = comment
    blocked = MessageBlocked(thread.snapshot(), _without_text(message), (message.sender_party,), at)
    if not message.reversed_on_appeal:
        return (blocked,)
    reversal = deliver_on_appeal(thread, message, appeal_id=message.reversed_on_appeal, comment=message.appeal_comment, at=at,
                                 policy=policy)
    return (blocked, *(reversal or ()))


def deliver_on_appeal(
    thread: Thread, message: Message, *, appeal_id: str, comment: str, at: dt.datetime, policy: ChatPolicy,
) -> Decided:
    """A moderator reversed the block of a message on appeal: it is delivered exactly as an
    approved held message is (or stays UNDELIVERED, its thread being closed). Moderation reverses
    only a block, so a message chat still holds is one whose rejection has not reached chat yet
    (review and appeal outcomes come through separate consumers, in no fixed order): the reversal
    is kept on the message, with no event, and applied when the rejection arrives. Only a BLOCKED
    message, or a HELD one the first time, changes (a redelivered reversal is a no-op: None)."""
    if message.status is MessageStatus.HELD:
        if message.reversed_on_appeal:
            return None
        message.reversed_on_appeal, message.appeal_comment = appeal_id, comment
        return ()
    if message.status is not MessageStatus.BLOCKED:
        return None
    message.released_at, message.review_comment = at, comment
    return (_clear(thread, message, at, policy, UNDELIVERED_AFTER_APPEAL, appeal_id=appeal_id),)


def _clear(
    thread: Thread, message: Message, at: dt.datetime, policy: ChatPolicy, undelivered_reason: str, *, review_id: str = "",
    appeal_id: str = "",
) -> MessageDelivered | MessageUndelivered:
    """A message a moderator cleared: delivered into its open thread; into a closed one never."""
    if thread.status is ThreadStatus.CLOSED:
        message.status, message.status_reason = MessageStatus.UNDELIVERED, undelivered_reason
        return MessageUndelivered(thread.snapshot(), _without_text(message), (message.sender_party,), at, review_id, appeal_id)
    message.status = MessageStatus.DELIVERED
    return _deliver(thread, message, at, policy)


def read_position(thread: Thread, side: Side, requested: int) -> int:
    """Where the read marker goes: up to the requested seq (0 = everything so far), never past
    the last message, and never backwards."""
    if requested < 0:
        v = Validator()
        v.add("up_to_seq", "must not be negative")
        v.raise_if_any()
    wanted = min(requested or thread.last_seq, thread.last_seq)
    return max(thread.read_seq.get(side, 0), wanted)


def mark_read(thread: Thread, reader: Identity, side: Side, up_to_seq: int, unread: int, at: dt.datetime) -> ThreadRead | None:
    """Moves the marker (see read_position) and sets the unread count: the messages that match
    reading.unread_for(thread, side, up_to_seq), counted by the caller. A read receipt goes to the
    other parties only when the marker moved."""
    moved = up_to_seq > thread.read_seq.get(side, 0)
    thread.read_seq[side] = max(thread.read_seq.get(side, 0), up_to_seq)
    thread.unread[side] = unread
    if not moved:
        return None
    thread.updated_at = at
    return ThreadRead(thread.snapshot(), reader, up_to_seq, thread.parties_except(thread.participants[side]), at)


def close(thread: Thread, by: Identity, reason: str, at: dt.datetime) -> ThreadClosed | None:
    """Closing ends the thread for good (it is not reopened) and stops its reply deadline. The same
    caller closing again with the same reason (a retry after a timeout) changes nothing: None."""
    v = Validator()
    v.text(reason, "reason", max_len=500, required=False)
    v.raise_if_any()
    if thread.status is ThreadStatus.CLOSED and thread.closed_by == by and thread.close_reason == reason:
        return None
    if thread.status is ThreadStatus.CLOSED:
        raise FailedPrecondition(f"thread {thread.thread_id} is already closed", reason="THREAD_CLOSED")
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = thread.updated_at = thread.last_activity_at = at
    thread.closed_by, thread.close_reason = by, reason
    stop_reply_deadline(thread)
    return ThreadClosed(thread.snapshot(), by, reason, thread.parties_except(Party.of(by)), at)


def validate_rating(score: int, comment: str) -> None:
    v = Validator()
    v.require(1 <= score <= 5, "score", "must be between 1 and 5")
    v.text(comment, "comment", max_len=1000, required=False)
    v.raise_if_any()


def rate(thread: Thread, score: int, comment: str, at: dt.datetime) -> bool:
    """A support thread is rated once, after support answered (a message of the desk was
    delivered; the author's own messages, held or blocked ones do not count) or after it closed.
    Only its author rates it (access.require_may_rate), so the same score and comment again is
    that rating retried: nothing changes (False); another rating is refused."""
    validate_rating(score, comment)
    if thread.kind is not ThreadKind.SUPPORT:
        raise FailedPrecondition("only support threads are rated", reason="NOT_A_SUPPORT_THREAD")
    if thread.rating == score and thread.rating_comment == comment:
        return False
    if thread.rating:
        raise FailedPrecondition(f"thread {thread.thread_id} is already rated", reason="ALREADY_RATED")
    if thread.status is not ThreadStatus.CLOSED and thread.answered_at is None:
        raise FailedPrecondition("a support thread is rated once it is answered or closed", reason="NOT_YET_ANSWERED")
    thread.rating, thread.rating_comment, thread.rated_at, thread.updated_at = score, comment, at, at
    return True


def as_seen_by(message: Message, viewer: Identity) -> Message:
    """The message as the viewer sees it: its writer sees what they wrote, others what was delivered."""
    if message.original_text and access.sees_original(message, viewer):
        seen = message.snapshot()
        seen.text = message.original_text
        return seen
    return message
