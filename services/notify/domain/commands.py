"""The use cases of notify, one frozen dataclass each: the events notify consumes (each says
what happened; the domain decides who is told what) and the calls people make on their inbox."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from prilavok_platform.identity import Identity, Party, Role
from services.notify.domain.model import AppealOutcome, Claim, PreferencesChange, Standing, ThreadKind

# --- consumed events -------------------------------------------------------------------------
# `occurred_at` is None when the event carries no time; the domain decides what that means.


class EventCommand(Protocol):
    """What every consumed event says first: which event it is and when it happened."""

    @property
    def event_id(self) -> str: ...

    @property
    def occurred_at(self) -> dt.datetime | None: ...



@dataclass(frozen=True)
class TellMessageDelivered:
    event_id: str
    occurred_at: dt.datetime | None
    recipients: tuple[Party, ...]  # as chat names them: the thread's parties but the sender's
    sender: Role | None  # None: a role a newer chat added, unknown to this version
    thread_id: str
    order_id: str
    text: str


@dataclass(frozen=True)
class TellMessageHeld:
    event_id: str
    occurred_at: dt.datetime | None
    recipients: tuple[Party, ...]
    reason: str
    thread_id: str


@dataclass(frozen=True)
class TellMessageBlocked:
    event_id: str
    occurred_at: dt.datetime | None
    recipients: tuple[Party, ...]
    reason: str
    thread_id: str


@dataclass(frozen=True)
class TellMessageUndelivered:
    """A moderator cleared the sender's message (approved on review, or its block reversed on
    appeal) after its thread had closed: it stays undelivered."""

    event_id: str
    occurred_at: dt.datetime | None
    recipients: tuple[Party, ...]  # as chat names them: the sender's party
    thread_id: str
    order_id: str
    on_appeal: bool  # an appeal cleared it (else a review approved it)
    sent_at: dt.datetime | None = None  # when the message was written, when chat says
    closed_at: dt.datetime | None = None  # when its thread closed, when chat says


@dataclass(frozen=True)
class TellReplyDeadline:
    event_id: str
    occurred_at: dt.datetime | None
    recipients: tuple[Party, ...]
    thread_id: str
    order_id: str
    due_at: dt.datetime | None
    breached: bool
    thread_kind: ThreadKind | None = None  # None: not named, or a kind unknown to this version
    author: Role | None = None  # SUPPORT threads: the role of who wrote to support, when known


@dataclass(frozen=True)
class TellClaimOpened:
    event_id: str
    occurred_at: dt.datetime | None
    claim: Claim


@dataclass(frozen=True)
class TellClaimStatusChanged:
    event_id: str
    occurred_at: dt.datetime | None
    claim: Claim
    changed_by: Role | None  # None: the event names nobody (or a role unknown to this version)
    comment: str = ""


@dataclass(frozen=True)
class TellRefundIssued:
    event_id: str
    occurred_at: dt.datetime | None
    claim_id: str
    buyer_id: str
    shop_id: str
    amount_minor: int  # everything paid to the buyer
    currency: str
    # The split of amount_minor into the refund of the price and the reimbursed return shipping;
    # None for an event of an older returns that names the total only.
    refund_minor: int | None = None
    shipping_minor: int | None = None


@dataclass(frozen=True)
class TellPenaltyIssued:
    event_id: str
    occurred_at: dt.datetime | None
    offender: Party
    amount_minor: int
    currency: str
    reason: str


@dataclass(frozen=True)
class TellPenaltyWithdrawn:
    event_id: str
    occurred_at: dt.datetime | None
    offender: Party
    amount_minor: int  # the fine that was issued
    currency: str
    appeal_id: str = ""  # set when an appeal reversed it (else a held message was approved)


@dataclass(frozen=True)
class TellStandingChanged:
    event_id: str
    occurred_at: dt.datetime | None
    offender: Party  # whose standing changed: the one told
    previous: Standing | None  # None: not named, or unknown to this version
    current: Standing | None
    suspended_until: dt.datetime | None = None  # set with current SUSPENDED
    suspended_party: Party | None = None  # who may not send (or may again, when a suspension ended early)


@dataclass(frozen=True)
class TellAppealResolved:
    event_id: str
    occurred_at: dt.datetime | None
    appellant: Party
    outcome: AppealOutcome
    comment: str
    thread_id: str = ""
    penalty_ids: tuple[str, ...] = ()  # fines withdrawn (REVERSED)
    message_was_blocked: bool = False


# --- the caller's inbox ----------------------------------------------------------------------
# `inbox`: which of the caller's inboxes (access.inboxes_of); None for the caller's main one.

@dataclass(frozen=True)
class ListNotifications:
    caller: Identity
    unread_only: bool = False
    page_size: int = 0
    page_token: str = ""
    inbox: Party | None = None


@dataclass(frozen=True)
class MarkNotificationsRead:
    caller: Identity
    notification_ids: tuple[str, ...] = ()
    all: bool = False
    inbox: Party | None = None


@dataclass(frozen=True)
class Subscribe:
    caller: Identity
    inbox: Party | None = None


@dataclass(frozen=True)
class GetPreferences:
    caller: Identity
    inbox: Party | None = None


@dataclass(frozen=True)
class UpdatePreferences:
    caller: Identity
    change: PreferencesChange
    inbox: Party | None = None
