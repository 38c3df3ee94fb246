"""Chat's domain: threads, sides, and the rules of who may open and write. Plain Python."""
from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field

from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import FailedPrecondition, PermissionDenied, Validator

ID_NAMESPACE = uuid.UUID("6f1c1d2e-8a55-4a8e-9d1c-70726c766b31")


class ThreadKind(str, enum.Enum):
    ORDER = "ORDER"
    CLAIM = "CLAIM"
    SUPPORT = "SUPPORT"


class ThreadStatus(str, enum.Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class InitiationReason(str, enum.Enum):
    ORDER_DETAILS = "ORDER_DETAILS"
    DELIVERY_PROBLEM = "DELIVERY_PROBLEM"
    STOCK_CONFIRMATION = "STOCK_CONFIRMATION"
    BUYER_REQUEST = "BUYER_REQUEST"


class MessageStatus(str, enum.Enum):
    DELIVERED = "DELIVERED"
    HELD = "HELD"
    BLOCKED = "BLOCKED"


# Sides of a thread: who is on which end.
BUYER, SELLER, AUTHOR, SUPPORT = "buyer", "seller", "author", "support"


def party_key(identity: Identity) -> str:
    """Sellers act for their shop; other users for themselves; support staff as one desk."""
    if identity.role is Role.SELLER:
        return f"shop:{identity.shop_id}"
    if identity.role is Role.SUPPORT:
        return "support"
    return f"user:{identity.user_id}"


def stable_id(*parts: str) -> str:
    return uuid.uuid5(ID_NAMESPACE, "\x1f".join(parts)).hex


@dataclass(frozen=True)
class ChatPolicy:
    version: str
    max_text_chars: int
    max_attachments_per_message: int
    max_attachment_bytes: int
    max_support_reference_fields: int
    max_file_name_chars: int
    allowed_content_types: tuple[str, ...]
    seller_reply_hours: int
    support_reply_hours: int
    remind_before_hours: int
    moderation_deadline_ms: int

    @classmethod
    def from_dict(cls, data: dict) -> ChatPolicy:
        try:
            limits, deadline, moderation = data["limits"], data["reply_deadline"], data["moderation"]
            policy = cls(
                version=str(data["version"]),
                max_text_chars=int(limits["max_text_chars"]),
                max_attachments_per_message=int(limits["max_attachments_per_message"]),
                max_attachment_bytes=int(limits["max_attachment_bytes"]),
                max_support_reference_fields=int(limits["max_support_reference_fields"]),
                max_file_name_chars=int(limits["max_file_name_chars"]),
                allowed_content_types=tuple(str(t).lower() for t in limits["allowed_content_types"]),
                seller_reply_hours=int(deadline["seller_hours"]),
                support_reply_hours=int(deadline["support_hours"]),
                remind_before_hours=int(deadline["remind_before_hours"]),
                moderation_deadline_ms=int(moderation["deadline_ms"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid chat policy: {exc!r}") from None
        if policy.max_text_chars < 1 or policy.seller_reply_hours < 1 or policy.moderation_deadline_ms < 50:
            raise ValueError("invalid chat policy: limits must be positive and the moderation deadline >= 50 ms")
        return policy


@dataclass(frozen=True)
class SupportTopic:
    category: str
    topic: str
    references: dict[str, str] = field(default_factory=dict)


@dataclass
class Thread:
    thread_id: str
    kind: ThreadKind
    status: ThreadStatus
    participants: dict[str, str]  # side -> party key
    created_at: dt.datetime
    initiated_by: Role
    order_id: str = ""
    claim_id: str = ""
    buyer_id: str = ""
    shop_id: str = ""
    author: Identity | None = None
    support: SupportTopic | None = None
    initiation_reason: InitiationReason | None = None
    linked_thread_id: str = ""
    updated_at: dt.datetime | None = None
    last_message_at: dt.datetime | None = None
    last_seq: int = 0
    unread: dict[str, int] = field(default_factory=dict)
    read_seq: dict[str, int] = field(default_factory=dict)
    reply_due_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    rating: int = 0

    def side_of(self, identity: Identity) -> str | None:
        key = party_key(identity)
        for side, party in self.participants.items():
            if party == key:
                return side
        return None

    def other_side(self, side: str) -> str:
        return next(s for s in self.participants if s != side)

    def require_visible(self, identity: Identity) -> str | None:
        """Participants and staff may read a thread; returns the caller's side (None for staff)."""
        side = self.side_of(identity)
        if side is None and not identity.is_staff and identity.role is not Role.SERVICE:
            raise PermissionDenied(f"thread {self.thread_id} is not yours", reason="NOT_A_PARTICIPANT")
        return side

    def require_writable_by(self, identity: Identity) -> str:
        side = self.side_of(identity)
        if side is None:
            raise PermissionDenied(f"only the thread's participants may write in {self.thread_id}", reason="NOT_A_PARTICIPANT")
        if self.status is ThreadStatus.CLOSED:
            raise FailedPrecondition(f"thread {self.thread_id} is closed", reason="THREAD_CLOSED")
        return side

    def reply_due_after(self, sender_side: str, now: dt.datetime, policy: ChatPolicy) -> tuple[bool, dt.datetime | None]:
        """(changes, new due time): a buyer's/author's message starts the clock if not running;
        the answering side's message stops it."""
        if sender_side in (BUYER, AUTHOR):
            if self.reply_due_at is not None:
                return False, None
            hours = policy.support_reply_hours if self.kind is ThreadKind.SUPPORT else policy.seller_reply_hours
            return True, now + dt.timedelta(hours=hours)
        return (self.reply_due_at is not None), None


@dataclass(frozen=True)
class NewThread:
    request_id: str
    kind: ThreadKind | None
    order_id: str = ""
    claim_id: str = ""
    buyer_id: str = ""
    shop_id: str = ""
    support: SupportTopic | None = None
    initiation_reason: InitiationReason | None = None
    linked_thread_id: str = ""


def open_thread(cmd: NewThread, caller: Identity, now: dt.datetime, policy: ChatPolicy) -> Thread:
    """Validates who may open what, and builds the thread with a stable id so that a retry,
    or a second attempt to open the same order chat, lands on the same thread."""
    v = Validator()
    v.identifier(cmd.request_id, "request_id")
    if cmd.kind is None:
        v.add("kind", "must be THREAD_KIND_ORDER, THREAD_KIND_CLAIM or THREAD_KIND_SUPPORT")
        v.raise_if_any()
    if cmd.kind in (ThreadKind.ORDER, ThreadKind.CLAIM):
        caller.require_role(Role.BUYER, Role.SELLER, Role.SERVICE)
        v.identifier(cmd.order_id, "order_id")
        if cmd.kind is ThreadKind.CLAIM:
            v.identifier(cmd.claim_id, "claim_id")
        if caller.role is Role.BUYER:
            buyer_id, shop_id = caller.user_id, cmd.shop_id
            v.identifier(cmd.shop_id, "shop_id")
            if cmd.buyer_id and cmd.buyer_id != caller.user_id:
                v.add("buyer_id", "a buyer opens threads only as themselves")
        elif caller.role is Role.SELLER:
            buyer_id, shop_id = cmd.buyer_id, caller.shop_id
            v.identifier(cmd.buyer_id, "buyer_id")
            if cmd.shop_id and cmd.shop_id != caller.shop_id:
                v.add("shop_id", "a seller opens threads only for their own shop")
        else:
            buyer_id, shop_id = cmd.buyer_id, cmd.shop_id
            v.identifier(cmd.buyer_id, "buyer_id")
            v.identifier(cmd.shop_id, "shop_id")
        v.raise_if_any()
        if caller.role is Role.SELLER and cmd.kind is ThreadKind.ORDER and cmd.initiation_reason is None:
            raise FailedPrecondition(
                "a seller may write first only to clarify order details, about a delivery problem, "
                "to confirm stock, or at the buyer's request: set initiation_reason",
                reason="SELLER_INITIATION_REASON_REQUIRED",
            )
        key = cmd.claim_id if cmd.kind is ThreadKind.CLAIM else cmd.order_id
        thread_id = stable_id(cmd.kind.value, key, shop_id, buyer_id)
        return Thread(
            thread_id=thread_id,
            kind=cmd.kind,
            status=ThreadStatus.OPEN,
            participants={BUYER: f"user:{buyer_id}", SELLER: f"shop:{shop_id}"},
            created_at=now,
            updated_at=now,
            initiated_by=caller.role,
            order_id=cmd.order_id,
            claim_id=cmd.claim_id,
            buyer_id=buyer_id,
            shop_id=shop_id,
            initiation_reason=cmd.initiation_reason if caller.role is Role.SELLER else None,
            unread={BUYER: 0, SELLER: 0},
            read_seq={BUYER: 0, SELLER: 0},
        )
    # SUPPORT: a buyer or a seller asks the marketplace.
    caller.require_role(Role.BUYER, Role.SELLER)
    topic = cmd.support
    if topic is None:
        v.add("support", "category and topic are required for a support thread")
    else:
        v.text(topic.category, "support.category", max_len=200)
        v.text(topic.topic, "support.topic", max_len=200)
        if len(topic.references) > policy.max_support_reference_fields:
            v.add("support.references", f"at most {policy.max_support_reference_fields} fields")
        for name, value in topic.references.items():
            v.text(name, "support.references", max_len=64)
            v.text(value, f"support.references[{name[:64]}]", max_len=500)
    v.identifier(cmd.linked_thread_id, "linked_thread_id", required=False)
    v.raise_if_any()
    return Thread(
        thread_id=stable_id(ThreadKind.SUPPORT.value, party_key(caller), cmd.request_id),
        kind=ThreadKind.SUPPORT,
        status=ThreadStatus.OPEN,
        participants={AUTHOR: party_key(caller), SUPPORT: "support"},
        created_at=now,
        updated_at=now,
        initiated_by=caller.role,
        shop_id=caller.shop_id,
        buyer_id=caller.user_id if caller.role is Role.BUYER else "",
        author=caller,
        support=topic,
        linked_thread_id=cmd.linked_thread_id,
        unread={AUTHOR: 0, SUPPORT: 0},
        read_seq={AUTHOR: 0, SUPPORT: 0},
    )


@dataclass
class Message:
    message_id: str
    thread_id: str
    seq: int
    sender: Identity
    text: str
    status: MessageStatus
    created_at: dt.datetime
    original_text: str = ""
    attachment_ids: tuple[str, ...] = ()
    moderation_action: str = "ALLOW"
    moderation_categories: tuple[str, ...] = ()
    moderation_reason: str = ""
    policy_version: str = ""


def validate_message(text: str, attachment_ids: list[str], request_id: str, thread_id: str, policy: ChatPolicy) -> None:
    v = Validator()
    v.identifier(request_id, "request_id")
    v.identifier(thread_id, "thread_id")
    if not text.strip() and not attachment_ids:
        v.add("text", "must not be empty")
    elif len(text) > policy.max_text_chars:
        v.add("text", f"must be at most {policy.max_text_chars} characters, got {len(text)}")
    if len(attachment_ids) > policy.max_attachments_per_message:
        v.add("attachment_ids", f"at most {policy.max_attachments_per_message}")
    for i, attachment in enumerate(attachment_ids):
        v.identifier(attachment, f"attachment_ids[{i}]")
    v.raise_if_any()


@dataclass(frozen=True)
class AttachmentMeta:
    thread_id: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    meta: AttachmentMeta
    uploader_party: str
    created_at: dt.datetime


def validate_attachment(meta: AttachmentMeta, policy: ChatPolicy) -> None:
    v = Validator()
    v.identifier(meta.thread_id, "metadata.thread_id")
    v.text(meta.file_name, "metadata.file_name", max_len=policy.max_file_name_chars)
    if any(c in meta.file_name for c in "/\\\x00"):
        v.add("metadata.file_name", "must not contain path separators or NUL")
    if meta.content_type.lower() not in policy.allowed_content_types:
        v.add("metadata.content_type", f"must be one of {', '.join(policy.allowed_content_types)}")
    if not 1 <= meta.size_bytes <= policy.max_attachment_bytes:
        v.add("metadata.size_bytes", f"must be between 1 and {policy.max_attachment_bytes} bytes")
    if len(meta.sha256) != 64 or any(c not in "0123456789abcdef" for c in meta.sha256.lower()):
        v.add("metadata.sha256", "must be the hex SHA-256 of the content (64 characters)")
    v.raise_if_any()
