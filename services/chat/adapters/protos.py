"""Conversions between chat's domain and its protobuf contracts (one enum mapping style: EnumMapping)."""
from __future__ import annotations

from prilavok.chat.v1 import chat_pb2 as pb
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.protobuf import ROLES, EnumMapping, actor_to_pb, party_to_pb, timestamp
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
    )


def attachment_to_pb(a: Attachment) -> pb.Attachment:
    return pb.Attachment(
        attachment_id=a.attachment_id,
        metadata=pb.AttachmentMetadata(thread_id=a.meta.thread_id, file_name=a.meta.file_name, content_type=a.meta.content_type,
                                       size_bytes=a.meta.size_bytes, sha256=a.meta.sha256),
        created_at=timestamp(a.created_at),
    )
