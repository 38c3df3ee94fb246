"""Conversions between chat's domain and its protobuf contracts (one enum mapping style: EnumMapping)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from prilavok.chat.v1 import chat_pb2 as pb
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.errors import FieldViolation, InvalidArgument
from prilavok_platform.identity import Party, PartyKind
from prilavok_platform.protobuf import (
    ROLES,
    EnumMapping,
    actor_to_pb,
    datetime_of,
    identity_from_actor,
    party_from_pb,
    party_to_pb,
    timestamp,
)
from services.chat.domain.commands import NoteStanding
from services.chat.domain.live import LiveItem, MessageArrived, ReadReceipt, ThreadChanged
from services.chat.domain.model import (
    Attachment,
    AttachmentMeta,
    Category,
    Direction,
    InitiationReason,
    Message,
    MessageStatus,
    ModerationAction,
    ReviewOutcome,
    Side,
    Standing,
    SupportTopic,
    Thread,
    ThreadKind,
    ThreadStatus,
)

KINDS: EnumMapping[ThreadKind] = EnumMapping(pb.ThreadKind, ThreadKind, "THREAD_KIND_")
STATUSES: EnumMapping[ThreadStatus] = EnumMapping(pb.ThreadStatus, ThreadStatus, "THREAD_STATUS_")
REASONS: EnumMapping[InitiationReason] = EnumMapping(pb.InitiationReason, InitiationReason, "INITIATION_REASON_")
MESSAGE_STATUSES: EnumMapping[MessageStatus] = EnumMapping(pb.MessageStatus, MessageStatus, "MESSAGE_STATUS_")
DIRECTIONS: EnumMapping[Direction] = EnumMapping(pb.Direction, Direction, "DIRECTION_")
ACTIONS: EnumMapping[ModerationAction] = EnumMapping(moderation_pb2.Action, ModerationAction, "ACTION_")
CATEGORIES: EnumMapping[Category] = EnumMapping(moderation_pb2.Category, Category, "CATEGORY_")
# Only the decided statuses map: a ReviewResolved still PENDING is INVALID_ARGUMENT (a poison event).
REVIEW_OUTCOMES: EnumMapping[ReviewOutcome] = EnumMapping(moderation_pb2.ReviewStatus, ReviewOutcome, "REVIEW_STATUS_")
STANDINGS: EnumMapping[Standing] = EnumMapping(moderation_pb2.Standing, Standing, "STANDING_")


class UnknownToThisVersion(Exception):
    """An event from a newer producer carries an enum number this build does not know: not
    malformed (a newer chat can handle it), so it is left for redelivery, not terminated."""


def _known_standing(number: int, field: str, *, required: bool) -> Standing | None:
    standing = STANDINGS.from_pb(number, field, required=required, unknown_ok=True)
    if standing is None and number != 0:
        raise UnknownToThisVersion(f"{field}: {number} is unknown to this version")
    return standing


def _event_party(event: moderation_events.StandingChanged) -> Party:
    """Who the suspension stops: `suspended_party`, or (an event that does not name it) the offender."""
    field = "suspended_party" if event.HasField("suspended_party") else "offender"
    party = getattr(event, field)
    if not event.HasField(field):
        raise InvalidArgument(FieldViolation("suspended_party", "is required"))
    if party.kind not in common_pb2.PartyKind.values():
        raise UnknownToThisVersion(f"{field}.kind: {party.kind} is unknown to this version")
    return party_from_pb(party, field)


def note_standing_from_pb(event: moderation_events.StandingChanged) -> NoteStanding:
    """A StandingChanged as chat reads it. Missing or unreadable fields are INVALID_ARGUMENT (the
    event can never be handled); enum numbers of a newer moderation raise UnknownToThisVersion."""
    current = _known_standing(event.current, "current", required=True)
    suspended_until = datetime_of(event, "suspended_until")
    if current is Standing.SUSPENDED and suspended_until is None:
        raise InvalidArgument(FieldViolation("suspended_until", "is required when current is STANDING_SUSPENDED"))
    if event.standing_version < 0:
        raise InvalidArgument(FieldViolation("standing_version", "must not be negative"))
    return NoteStanding(
        event_id=event.event_id,
        occurred_at=_required_time(event, "occurred_at", "event"),
        party=_event_party(event),
        previous=_known_standing(event.previous, "previous", required=False),
        current=current,
        suspended_until=suspended_until,
        standing_version=event.standing_version,
    )


def support_from_pb(request: pb.CreateThreadRequest) -> SupportTopic | None:
    if not request.HasField("support"):
        return None
    topic = request.support
    return SupportTopic(topic.category, topic.topic, dict(topic.references))


def attachment_meta_from_pb(m: pb.AttachmentMetadata) -> AttachmentMeta:
    return AttachmentMeta(m.thread_id, m.file_name, m.content_type, m.size_bytes, m.sha256)


def thread_to_pb(thread: Thread, viewer_side: Side | None = None) -> pb.Thread:
    out = pb.Thread(
        thread_id=thread.thread_id,
        kind=KINDS.to_pb(thread.kind),
        status=STATUSES.to_pb(thread.status),
        order_id=thread.order_id,
        claim_id=thread.claim_id,
        buyer_id=thread.buyer_id,
        shop_id=thread.shop_id,
        initiated_by=ROLES.to_pb(thread.initiated_by),
        initiation_reason=REASONS.to_pb(thread.initiation_reason),
        linked_thread_id=thread.linked_thread_id,
        last_seq=thread.last_seq,
        unread_count=thread.unread.get(viewer_side, 0) if viewer_side else 0,
        rating=thread.rating,
        rating_comment=thread.rating_comment,
        close_reason=thread.close_reason,
        participants=[party_to_pb(p) for p in thread.parties],
    )
    if thread.author:
        out.author.CopyFrom(actor_to_pb(thread.author))
    if thread.closed_by:
        out.closed_by.CopyFrom(actor_to_pb(thread.closed_by))
    if thread.support:
        out.support.CopyFrom(pb.SupportTopic(category=thread.support.category, topic=thread.support.topic, references=thread.support.references))
    for field, value in (
        ("created_at", thread.created_at), ("updated_at", thread.updated_at), ("last_message_at", thread.last_message_at),
        ("reply_due_at", thread.reply_due_at), ("closed_at", thread.closed_at),
    ):
        if value is not None:
            getattr(out, field).CopyFrom(timestamp(value))
    return out


def outcome_to_pb(message: Message) -> pb.ModerationOutcome:
    return pb.ModerationOutcome(
        action=ACTIONS.to_pb(message.moderation_action),
        categories=[CATEGORIES.to_pb(c) for c in message.moderation_categories],
        reason=message.moderation_reason,
        policy_version=message.policy_version,
    )


def message_to_pb(message: Message) -> pb.Message:
    """The message as given (handlers hand each viewer the text they may see)."""
    return pb.Message(
        message_id=message.message_id,
        thread_id=message.thread_id,
        seq=message.seq,
        sender=actor_to_pb(message.sender),
        text=message.text,
        status=MESSAGE_STATUSES.to_pb(message.status),
        moderation=outcome_to_pb(message),
        attachment_ids=list(message.attachment_ids),
        created_at=timestamp(message.created_at),
        status_reason=message.status_reason,
    )


def attachment_to_pb(a: Attachment) -> pb.Attachment:
    return pb.Attachment(
        attachment_id=a.attachment_id,
        metadata=pb.AttachmentMetadata(thread_id=a.meta.thread_id, file_name=a.meta.file_name, content_type=a.meta.content_type,
                                       size_bytes=a.meta.size_bytes, sha256=a.meta.sha256),
        created_at=timestamp(a.created_at),
    )


# --- reading chat's own events back (the live stream) ---------------------------------------

def _required_time(message: Any, field: str, prefix: str) -> dt.datetime:
    value = datetime_of(message, field)
    if value is None:
        raise InvalidArgument(FieldViolation(f"{prefix}.{field}", "is required"))
    return value


def _participants(kind: ThreadKind, parties: list[Party]) -> dict[Side, Party]:
    """The sides of a thread from its parties: the buyer's user and the shop, or the author and the desk."""
    if kind is ThreadKind.SUPPORT:
        sides = {Side.AUTHOR: next((p for p in parties if p.kind is not PartyKind.SUPPORT), None),
                 Side.SUPPORT: next((p for p in parties if p.kind is PartyKind.SUPPORT), None)}
    else:
        sides = {Side.BUYER: next((p for p in parties if p.kind is PartyKind.USER), None),
                 Side.SELLER: next((p for p in parties if p.kind is PartyKind.SHOP), None)}
    if len(parties) != 2 or any(p is None for p in sides.values()):
        raise InvalidArgument(FieldViolation("thread.participants", f"a {kind.value} thread has its two sides"))
    return {side: party for side, party in sides.items() if party is not None}


def thread_from_pb(t: pb.Thread) -> Thread:
    """A thread as chat's events carry it (what thread_to_pb wrote without a viewer). Fields the
    wire does not carry (per-side unread counts and read markers, deadline state, version) stay
    empty: enough to show it again, not to save it."""
    kind = KINDS.require(t.kind, "thread.kind")
    return Thread(
        thread_id=t.thread_id,
        kind=kind,
        status=STATUSES.require(t.status, "thread.status"),
        participants=_participants(kind, [party_from_pb(p, "thread.participants") for p in t.participants]),
        created_at=_required_time(t, "created_at", "thread"),
        initiated_by=ROLES.require(t.initiated_by, "thread.initiated_by"),
        order_id=t.order_id,
        claim_id=t.claim_id,
        buyer_id=t.buyer_id,
        shop_id=t.shop_id,
        author=identity_from_actor(t.author, "thread.author") if t.HasField("author") else None,
        support=SupportTopic(t.support.category, t.support.topic, dict(t.support.references)) if t.HasField("support") else None,
        initiation_reason=REASONS.from_pb(t.initiation_reason, "thread.initiation_reason", required=False),
        linked_thread_id=t.linked_thread_id,
        updated_at=datetime_of(t, "updated_at"),
        last_message_at=datetime_of(t, "last_message_at"),
        last_seq=t.last_seq,
        reply_due_at=datetime_of(t, "reply_due_at"),
        closed_at=datetime_of(t, "closed_at"),
        closed_by=identity_from_actor(t.closed_by, "thread.closed_by") if t.HasField("closed_by") else None,
        close_reason=t.close_reason,
        rating=t.rating,
        rating_comment=t.rating_comment,
    )


def message_from_pb(m: pb.Message, thread: Thread) -> Message:
    """A message as chat's events carry it (the delivered text; the original is not on the wire),
    in its thread (which says the sender's side)."""
    sender = identity_from_actor(m.sender, "message.sender")
    side = thread.side_of(sender)
    if side is None:
        raise InvalidArgument(FieldViolation("message.sender", f"is not a participant of thread {thread.thread_id}"))
    outcome = m.moderation
    return Message(
        message_id=m.message_id,
        thread_id=m.thread_id,
        seq=m.seq,
        sender=sender,
        sender_side=side,
        text=m.text,
        status=MESSAGE_STATUSES.require(m.status, "message.status"),
        created_at=_required_time(m, "created_at", "message"),
        attachment_ids=tuple(m.attachment_ids),
        moderation_action=ACTIONS.require(outcome.action, "message.moderation.action"),
        moderation_categories=tuple(CATEGORIES.require(c, "message.moderation.categories") for c in outcome.categories),
        moderation_reason=outcome.reason,
        policy_version=outcome.policy_version,
        status_reason=m.status_reason,
    )


def live_item_to_pb(item: LiveItem) -> pb.StreamEventsResponse:
    match item:
        case MessageArrived(message=message):
            return pb.StreamEventsResponse(message_delivered=message_to_pb(message))
        case ReadReceipt(thread_id=thread_id, reader=reader, up_to_seq=seq):
            return pb.StreamEventsResponse(read=pb.ReadReceipt(thread_id=thread_id, reader=actor_to_pb(reader), up_to_seq=seq))
        case ThreadChanged(thread=thread):
            return pb.StreamEventsResponse(thread_changed=thread_to_pb(thread))
    raise TypeError(f"not a live item: {item!r}")
