"""Conversions between chat's domain and its protobuf contracts."""
from __future__ import annotations

from prilavok.chat.v1 import chat_pb2 as pb
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.auth import Identity, Role
from prilavok_platform.protobuf import timestamp
from services.chat.domain.model import (
    Attachment,
    InitiationReason,
    Message,
    SupportTopic,
    Thread,
    ThreadKind,
    ThreadStatus,
)

ROLE_TO_PB = {
    Role.BUYER: common_pb2.ROLE_BUYER,
    Role.SELLER: common_pb2.ROLE_SELLER,
    Role.SUPPORT: common_pb2.ROLE_SUPPORT,
    Role.MODERATOR: common_pb2.ROLE_MODERATOR,
    Role.SERVICE: common_pb2.ROLE_SERVICE,
}


ts = timestamp


def actor(identity: Identity) -> common_pb2.Actor:
    return common_pb2.Actor(role=ROLE_TO_PB[identity.role], user_id=identity.user_id, shop_id=identity.shop_id)


def kind_from_pb(value: int) -> ThreadKind | None:
    name = pb.ThreadKind.Name(value).removeprefix("THREAD_KIND_") if value in pb.ThreadKind.values() else ""
    return ThreadKind(name) if name in ThreadKind.__members__ else None


def status_from_pb(value: int) -> ThreadStatus | None:
    name = pb.ThreadStatus.Name(value).removeprefix("THREAD_STATUS_") if value in pb.ThreadStatus.values() else ""
    return ThreadStatus(name) if name in ThreadStatus.__members__ else None


def reason_from_pb(value: int) -> InitiationReason | None:
    name = pb.InitiationReason.Name(value).removeprefix("INITIATION_REASON_") if value in pb.InitiationReason.values() else ""
    return InitiationReason(name) if name in InitiationReason.__members__ else None


def support_from_pb(topic: pb.SupportTopic, present: bool) -> SupportTopic | None:
    if not present:
        return None
    return SupportTopic(topic.category, topic.topic, dict(topic.references))


def thread_to_pb(thread: Thread, viewer_side: str | None = None) -> pb.Thread:
    out = pb.Thread(
        thread_id=thread.thread_id,
        kind=pb.ThreadKind.Value(f"THREAD_KIND_{thread.kind.value}"),
        status=pb.ThreadStatus.Value(f"THREAD_STATUS_{thread.status.value}"),
        order_id=thread.order_id,
        claim_id=thread.claim_id,
        buyer_id=thread.buyer_id,
        shop_id=thread.shop_id,
        initiated_by=ROLE_TO_PB[thread.initiated_by],
        linked_thread_id=thread.linked_thread_id,
        last_seq=thread.last_seq,
        unread_count=thread.unread.get(viewer_side, 0) if viewer_side else 0,
        rating=thread.rating,
    )
    if thread.author:
        out.author.CopyFrom(actor(thread.author))
    if thread.support:
        out.support.CopyFrom(pb.SupportTopic(category=thread.support.category, topic=thread.support.topic, references=thread.support.references))
    if thread.initiation_reason:
        out.initiation_reason = pb.InitiationReason.Value(f"INITIATION_REASON_{thread.initiation_reason.value}")
    for field, value in (
        ("created_at", thread.created_at), ("updated_at", thread.updated_at), ("last_message_at", thread.last_message_at),
        ("reply_due_at", thread.reply_due_at), ("closed_at", thread.closed_at),
    ):
        if value is not None:
            getattr(out, field).CopyFrom(ts(value))
    return out


def outcome_to_pb(message: Message) -> pb.ModerationOutcome:
    return pb.ModerationOutcome(
        action=moderation_pb2.Action.Value(f"ACTION_{message.moderation_action}"),
        categories=[moderation_pb2.Category.Value(f"CATEGORY_{c}") for c in message.moderation_categories],
        reason=message.moderation_reason,
        policy_version=message.policy_version,
    )


def message_to_pb(message: Message, viewer: Identity | None = None) -> pb.Message:
    own = viewer is not None and viewer.user_id == message.sender.user_id and viewer.role is message.sender.role
    return pb.Message(
        message_id=message.message_id,
        thread_id=message.thread_id,
        seq=message.seq,
        sender=actor(message.sender),
        # The original of a masked message is shown only to its sender.
        text=message.original_text if own and message.original_text else message.text,
        status=pb.MessageStatus.Value(f"MESSAGE_STATUS_{message.status.value}"),
        moderation=outcome_to_pb(message),
        attachment_ids=list(message.attachment_ids),
        created_at=ts(message.created_at),
    )


def attachment_to_pb(a: Attachment) -> pb.Attachment:
    return pb.Attachment(
        attachment_id=a.attachment_id,
        metadata=pb.AttachmentMetadata(thread_id=a.meta.thread_id, file_name=a.meta.file_name, content_type=a.meta.content_type,
                                       size_bytes=a.meta.size_bytes, sha256=a.meta.sha256),
        created_at=ts(a.created_at),
    )
