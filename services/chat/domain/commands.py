"""One command per chat use case. Callers are people (or services) identified by their token."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.identity import Identity, Party
from services.chat.domain.model import AttachmentMeta, Direction, InitiationReason, Standing, SupportTopic, ThreadKind, ThreadStatus


@dataclass(frozen=True)
class CreateThread:
    caller: Identity
    # Required for SUPPORT threads (their idempotency key); optional for ORDER and CLAIM threads.
    request_id: str
    kind: ThreadKind | None
    order_id: str = ""
    claim_id: str = ""
    buyer_id: str = ""
    shop_id: str = ""
    support: SupportTopic | None = None
    initiation_reason: InitiationReason | None = None
    linked_thread_id: str = ""


@dataclass(frozen=True)
class GetThread:
    caller: Identity
    thread_id: str


@dataclass(frozen=True)
class ListThreads:
    caller: Identity
    page_size: int = 0
    page_token: str = ""
    kind: ThreadKind | None = None
    status: ThreadStatus | None = None
    unread_only: bool = False
    order_id: str = ""


@dataclass(frozen=True)
class SendMessage:
    caller: Identity
    thread_id: str
    request_id: str
    text: str
    attachment_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListMessages:
    caller: Identity
    thread_id: str
    page_size: int = 0
    page_token: str = ""
    # None: the default order (reading.listing_direction).
    direction: Direction | None = None
    # Start after this seq when no page token is given; 0 starts at the end in the chosen direction.
    start_seq: int = 0


@dataclass(frozen=True)
class MarkRead:
    caller: Identity
    thread_id: str
    # Read up to and including this seq; 0 means everything so far.
    up_to_seq: int = 0


@dataclass(frozen=True)
class CloseThread:
    caller: Identity
    thread_id: str
    reason: str = ""


@dataclass(frozen=True)
class RateThread:
    caller: Identity
    thread_id: str
    score: int
    comment: str = ""


@dataclass(frozen=True)
class ReleaseHeld:
    """A moderator decided on a held message (moderation's ReviewResolved)."""

    message_id: str
    approved: bool
    comment: str = ""
    review_id: str = ""


@dataclass(frozen=True)
class DeliverOnAppeal:
    """A moderator reversed an appeal against a block (moderation's AppealResolved, REVERSED,
    message_was_blocked): the blocked message is delivered, as an approved held message is."""

    message_id: str
    appeal_id: str
    comment: str = ""


@dataclass(frozen=True)
class NoteStanding:
    """Moderation announced a standing change (StandingChanged): `party` is who may not send
    while suspended (or may send again, when a suspension ended early). `standing_version` orders
    a party's changes (moderation's counter; 0 from a moderation that did not count them)."""

    event_id: str
    occurred_at: dt.datetime
    party: Party
    previous: Standing | None
    current: Standing | None
    suspended_until: dt.datetime | None = None
    standing_version: int = 0


@dataclass(frozen=True)
class AnnounceDeadlines:
    """One scan of reply deadlines that approach or have passed."""

    limit: int = 200


@dataclass(frozen=True)
class UploadAttachment:
    caller: Identity
    meta: AttachmentMeta


@dataclass(frozen=True)
class DownloadAttachment:
    caller: Identity
    attachment_id: str


@dataclass(frozen=True)
class StreamEvents:
    caller: Identity
    # Only this thread; empty for all the caller's threads.
    thread_id: str = ""
