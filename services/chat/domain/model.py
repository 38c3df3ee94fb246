"""Chat's domain types: threads, their sides, messages, attachments and the chat policy. Plain Python."""
from __future__ import annotations

import copy
import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field

from prilavok_platform.errors import Validator
from prilavok_platform.idempotency import Fingerprint
from prilavok_platform.identity import Identity, Party, Role
from prilavok_platform.ids import StableIds

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
    # Cleared by a moderator (a held message approved, a block reversed on appeal) after its
    # thread had closed: it is never delivered into the closed thread; `status_reason` says why.
    UNDELIVERED = "UNDELIVERED"


class Side(str, enum.Enum):
    """Who is on which end of a thread. Buyers and support authors ask; sellers and the support
    desk owe the answer (and the reply deadline)."""

    BUYER = "buyer"
    SELLER = "seller"
    AUTHOR = "author"
    SUPPORT = "support"

    @property
    def asks(self) -> bool:
        return self in (Side.BUYER, Side.AUTHOR)


class DeadlineState(str, enum.Enum):
    """A running reply deadline: announced once when it approaches, once when it is breached."""

    PENDING = "PENDING"
    REMINDED = "REMINDED"
    BREACHED = "BREACHED"


class Direction(str, enum.Enum):
    """ListMessages order: newest first towards older messages (the default), or oldest first."""

    OLDER = "OLDER"
    NEWER = "NEWER"


class ReviewOutcome(str, enum.Enum):
    """A moderator's decision on a held message."""

    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Standing(str, enum.Enum):
    """A party's standing as moderation announces it (StandingChanged); only SUSPENDED stops sending."""

    GOOD = "GOOD"
    WARNING = "WARNING"
    RESTRICTED = "RESTRICTED"
    SUSPENDED = "SUSPENDED"


class Category(str, enum.Enum):
    """What moderation found in a message (its Category names without the prefix)."""

    CONTACT_EXCHANGE = "CONTACT_EXCHANGE"
    OFF_PLATFORM_LURE = "OFF_PLATFORM_LURE"
    PERSONAL_DATA = "PERSONAL_DATA"
    PHISHING_LINK = "PHISHING_LINK"
    PROFANITY = "PROFANITY"
    INSULT = "INSULT"
    THREAT = "THREAT"
    DISPARAGEMENT = "DISPARAGEMENT"
    SPAM_ADVERTISING = "SPAM_ADVERTISING"
    EXTRA_PAYMENT = "EXTRA_PAYMENT"
    LOW_EFFORT_REPLY = "LOW_EFFORT_REPLY"


class ModerationAction(str, enum.Enum):
    ALLOW = "ALLOW"
    WARN = "WARN"
    MASK = "MASK"
    REVIEW = "REVIEW"
    BLOCK = "BLOCK"


@dataclass(frozen=True)
class ModerationDecision:
    action: ModerationAction
    categories: tuple[Category, ...] = ()
    reason: str = ""
    masked_text: str = ""
    policy_version: str = ""


# The same parts give the same id, so a retried request finds what the first one made.
stable_id = StableIds(ID_NAMESPACE)


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
    # How often each replica re-reads the suspensions in force (a suspension, or its early end,
    # takes effect at most this long after chat consumed moderation's StandingChanged).
    suspensions_refresh_seconds: float = 1.0
    # A suspended party may still write to the marketplace's support (to sort the suspension out).
    suspended_may_write_to_support: bool = True

    @classmethod
    def from_dict(cls, data: dict) -> ChatPolicy:
        try:
            limits, deadline, moderation = data["limits"], data["reply_deadline"], data["moderation"]
            suspensions = data.get("suspensions") or {}
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
                suspensions_refresh_seconds=float(suspensions.get("refresh_seconds", 1.0)),
                suspended_may_write_to_support=_flag(suspensions.get("may_write_to_support", True), "suspensions.may_write_to_support"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid chat policy: {exc!r}") from None
        if (policy.max_text_chars < 1 or policy.seller_reply_hours < 1 or policy.support_reply_hours < 1
                or policy.remind_before_hours < 0 or policy.moderation_deadline_ms < 50
                or not 0.1 <= policy.suspensions_refresh_seconds <= 60):
            raise ValueError("invalid chat policy: limits must be positive, the moderation deadline >= 50 ms "
                             "and suspensions.refresh_seconds between 0.1 and 60")
        return policy

    @property
    def remind_before(self) -> dt.timedelta:
        return dt.timedelta(hours=self.remind_before_hours)

    def reply_window(self, kind: ThreadKind) -> dt.timedelta:
        return dt.timedelta(hours=self.support_reply_hours if kind is ThreadKind.SUPPORT else self.seller_reply_hours)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


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
    participants: dict[Side, Party]
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
    # What ListThreads sorts on: the last delivered message or the close, else the creation.
    last_activity_at: dt.datetime | None = None
    last_seq: int = 0
    unread: dict[Side, int] = field(default_factory=dict)
    read_seq: dict[Side, int] = field(default_factory=dict)
    reply_due_at: dt.datetime | None = None
    deadline_state: DeadlineState | None = None
    # When the side that owes answers (the shop, the support desk) first got a message delivered.
    answered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    closed_by: Identity | None = None
    close_reason: str = ""
    rating: int = 0
    rating_comment: str = ""
    rated_at: dt.datetime | None = None
    # The request's fingerprint (prilavok_platform.idempotency) for a thread keyed by its
    # request id (SUPPORT): a retry must carry the same values. Empty before fingerprints existed.
    request_fingerprint: Fingerprint = ()
    # The request that started the thread (threads.opening_request_key: the opener's party and
    # user id and its request_id): a retry of it is a replay, answered as that request was.
    # Empty when it was started without a request_id (an order or claim chat), and on threads
    # stored before this was kept.
    opening_request: str = ""
    # Bumped by every save; a save from a stale copy is refused (optimistic concurrency).
    version: int = 0

    def __post_init__(self) -> None:
        if self.last_activity_at is None:
            self.last_activity_at = self.created_at

    def side_of(self, identity: Identity) -> Side | None:
        party = Party.of(identity)
        for side, owner in self.participants.items():
            if owner == party:
                return side
        return None

    def other_side(self, side: Side) -> Side:
        return next(s for s in self.participants if s is not side)

    @property
    def parties(self) -> tuple[Party, ...]:
        return tuple(self.participants.values())

    def parties_except(self, party: Party) -> tuple[Party, ...]:
        return tuple(p for p in self.participants.values() if p != party)

    def snapshot(self) -> Thread:
        """An independent copy (events carry the thread as it was when they happened)."""
        return copy.deepcopy(self)


@dataclass
class Message:
    message_id: str
    thread_id: str
    seq: int
    sender: Identity
    sender_side: Side
    text: str
    status: MessageStatus
    created_at: dt.datetime
    original_text: str = ""
    attachment_ids: tuple[str, ...] = ()
    moderation_action: ModerationAction = ModerationAction.ALLOW
    moderation_categories: tuple[Category, ...] = ()
    moderation_reason: str = ""
    policy_version: str = ""
    released_at: dt.datetime | None = None
    review_comment: str = ""
    # Why the message is not delivered when moderation is not the reason (UNDELIVERED), for its sender (Russian).
    status_reason: str = ""
    # The fingerprint of the SendMessage request that stored it (text, attachment ids): a retry
    # under the same request id must carry the same values. Empty before fingerprints existed.
    request_fingerprint: Fingerprint = ()
    # What SendMessage answered when it stored the message (its status and moderation's reason):
    # a retry of that request is answered the same, whatever moderators decided since. None on
    # messages stored before this was kept (a retry gets them as they are).
    answered_status: MessageStatus | None = None
    answered_reason: str = ""
    # An appeal reversed the block of this message before chat heard of the block (it was still
    # HELD): applied when the review's rejection arrives (conversation.deliver_on_appeal).
    reversed_on_appeal: str = ""
    appeal_comment: str = ""

    @property
    def sender_party(self) -> Party:
        return Party.of(self.sender)

    @property
    def moderated_text(self) -> str:
        """What the sender wrote, which moderation judged (`text` is what was delivered)."""
        return self.original_text or self.text

    def snapshot(self) -> Message:
        return copy.deepcopy(self)


def validate_message(text: str, attachment_ids: tuple[str, ...], request_id: str, thread_id: str, policy: ChatPolicy) -> None:
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
    uploader_party: Party
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
