"""Notifications, the claims they talk about, and preferences. Plain Python."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, fields, replace

from prilavok_platform.errors import FieldViolation, InvalidArgument
from prilavok_platform.identity import Party


class Kind(str, enum.Enum):
    NEW_MESSAGE = "NEW_MESSAGE"
    MESSAGE_BLOCKED = "MESSAGE_BLOCKED"
    MESSAGE_HELD = "MESSAGE_HELD"
    CLAIM_UPDATE = "CLAIM_UPDATE"
    REFUND = "REFUND"
    PENALTY = "PENALTY"
    REPLY_DEADLINE = "REPLY_DEADLINE"
    PENALTY_WITHDRAWN = "PENALTY_WITHDRAWN"
    STANDING = "STANDING"  # sending suspended (until when) and a suspension ended early
    APPEAL = "APPEAL"  # the outcome of an appeal
    MESSAGE_UNDELIVERED = "MESSAGE_UNDELIVERED"  # cleared by a moderator after its thread closed


# Kinds every party is told whatever it mutes: a seller must not miss that their shop cannot
# write (SENDER_SUSPENDED would be their first news of it otherwise), nor that it may again.
UNMUTABLE_KINDS = frozenset({Kind.STANDING})


@dataclass(frozen=True)
class Notification:
    notification_id: str
    recipient: Party
    kind: Kind
    title: str
    body: str
    created_at: dt.datetime
    thread_id: str = ""
    claim_id: str = ""
    read: bool = False


class MalformedEvent(InvalidArgument):
    """A consumed event the domain can never act on (it lacks its id or its time): redelivering
    it changes nothing, unlike a failure of storage, which passes."""

    def __init__(self, field: str, description: str):
        super().__init__(FieldViolation(field, description), reason="MALFORMED_EVENT")


def notification_id(event_id: str, recipient: Party) -> str:
    """One notification per event and recipient, so a redelivered event adds nothing."""
    return f"{event_id}:{recipient.key}"


class ThreadKind(str, enum.Enum):
    """The kinds of chat threads, as chat's events name them."""

    ORDER = "ORDER"  # buyer <-> shop about an order: the shop owes the replies
    CLAIM = "CLAIM"  # the conversation of a return claim: likewise
    SUPPORT = "SUPPORT"  # a buyer or a seller <-> the support desk: the desk owes them


class Standing(str, enum.Enum):
    """A party's standing with moderation, as its events name it."""

    GOOD = "GOOD"
    WARNING = "WARNING"
    RESTRICTED = "RESTRICTED"
    SUSPENDED = "SUSPENDED"


class AppealOutcome(str, enum.Enum):
    UPHELD = "UPHELD"  # the block, strike or fine stands
    REVERSED = "REVERSED"  # it was wrong: strike and fines withdrawn


class ClaimStatus(str, enum.Enum):
    AWAITING_SELLER = "AWAITING_SELLER"
    AWAITING_BUYER = "AWAITING_BUYER"
    AWAITING_HANDOVER = "AWAITING_HANDOVER"
    ITEM_IN_TRANSIT = "ITEM_IN_TRANSIT"
    REJECTED = "REJECTED"
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"


class RefundState(str, enum.Enum):
    """Whether the money a settled claim pays the buyer is paid, as returns names it."""

    PENDING_FUNDS = "PENDING_FUNDS"  # held: the shop's balance does not allow it yet; paid later (RefundIssued then)
    PAID = "PAID"  # posted to the ledger (RefundIssued is sent with it)


@dataclass(frozen=True)
class Claim:
    """A return claim as returns' events describe it. `status` is None when the event names none
    this version knows: a returns newer than notify may add statuses, and notify still tells the
    parties (with a general title). `refund_state` is None while the claim pays nothing (and for
    a state unknown to this version); the amounts are minor units of `currency`, 0 when none."""

    claim_id: str
    order_id: str
    thread_id: str
    buyer_id: str
    shop_id: str
    status: ClaimStatus | None = None
    refund_state: RefundState | None = None
    refunded_minor: int = 0  # the refund of the price, once settled
    shipping_minor: int = 0  # the return shipping reimbursed, once settled
    held_minor: int = 0  # while PENDING_FUNDS: all that is held for the buyer
    currency: str = ""

    @property
    def refund_held(self) -> bool:
        return self.refund_state is RefundState.PENDING_FUNDS

    @property
    def buyer(self) -> Party:
        return Party.user(self.buyer_id)

    @property
    def shop(self) -> Party:
        return Party.shop(self.shop_id)


@dataclass(frozen=True)
class Preferences:
    # Kinds the recipient does not want: they are not even stored. Never one of UNMUTABLE_KINDS
    # (a change muting one is refused; should one be stored anyway, it is not honoured).
    muted_kinds: frozenset[Kind] = field(default_factory=frozenset)

    def wants(self, kind: Kind) -> bool:
        return kind in UNMUTABLE_KINDS or kind not in self.muted_kinds


PREFERENCE_FIELDS = tuple(f.name for f in fields(Preferences))


@dataclass(frozen=True)
class PreferencesChange:
    """An UpdatePreferences request as a change: `fields` names what is taken from `values`
    (every field when empty, as an empty update mask means "replace all")."""

    fields: frozenset[str]
    values: Preferences

    def __post_init__(self) -> None:
        unknown = sorted(self.fields - set(PREFERENCE_FIELDS))
        if unknown:
            raise InvalidArgument(FieldViolation(
                "update_mask", f"unknown paths: {', '.join(unknown)}; allowed: {', '.join(PREFERENCE_FIELDS)}"))
        refused = sorted(k.value for k in self.values.muted_kinds & UNMUTABLE_KINDS)
        if refused and (not self.fields or "muted_kinds" in self.fields):
            raise InvalidArgument(FieldViolation(
                "preferences.muted_kinds", f"{', '.join(refused)} cannot be muted: every party is told of its suspensions"))

    def applied_to(self, current: Preferences) -> Preferences:
        named = self.fields or frozenset(PREFERENCE_FIELDS)
        return replace(current, **{name: getattr(self.values, name) for name in named})


def wanted(notifications: list[Notification], preferences: dict[Party, Preferences]) -> list[Notification]:
    """What is kept of `notifications`: muted kinds are dropped for the recipients muting them."""
    return [n for n in notifications if preferences.get(n.recipient, Preferences()).wants(n.kind)]


MAX_IDS_PER_MARK = 500


def check_mark_read(notification_ids: tuple[str, ...], everything: bool) -> None:
    """A MarkNotificationsRead names what it marks: some ids (bounded) or everything, not both
    (ids sent with all=true would otherwise be silently ignored)."""
    if not notification_ids and not everything:
        raise InvalidArgument(FieldViolation("notification_ids", "name notifications or set all=true"))
    if notification_ids and everything:
        raise InvalidArgument(FieldViolation("notification_ids", "must be empty with all=true"))
    if len(notification_ids) > MAX_IDS_PER_MARK:
        raise InvalidArgument(FieldViolation("notification_ids", f"at most {MAX_IDS_PER_MARK}, got {len(notification_ids)}"))
