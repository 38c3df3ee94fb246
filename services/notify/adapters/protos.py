"""Protobuf <-> notify domain."""
from __future__ import annotations

from prilavok.chat.v1 import chat_pb2
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok.notify.v1 import notify_pb2 as pb
from prilavok.returns.v1 import returns_pb2
from prilavok_platform.errors import FieldViolation, InvalidArgument
from prilavok_platform.identity import Party, PartyKind
from prilavok_platform.protobuf import PARTY_KINDS, EnumMapping, datetime_of, timestamp
from services.notify.domain.model import (
    UNMUTABLE_KINDS,
    AppealOutcome,
    Claim,
    ClaimStatus,
    Kind,
    Notification,
    Preferences,
    PreferencesChange,
    RefundState,
    Standing,
    ThreadKind,
)


class NewerThanThisVersion(Exception):
    """A consumed event names a value this version does not know (an enum number a newer producer
    added) and cannot do without: not poison, a newer notify will handle it, so it is redelivered."""


KINDS: EnumMapping[Kind] = EnumMapping(pb.NotificationKind, Kind, "NOTIFICATION_KIND_")
CLAIM_STATUSES: EnumMapping[ClaimStatus] = EnumMapping(returns_pb2.ClaimStatus, ClaimStatus, "CLAIM_STATUS_")
REFUND_STATES: EnumMapping[RefundState] = EnumMapping(returns_pb2.RefundState, RefundState, "REFUND_STATE_")
THREAD_KINDS: EnumMapping[ThreadKind] = EnumMapping(chat_pb2.ThreadKind, ThreadKind, "THREAD_KIND_")
STANDINGS: EnumMapping[Standing] = EnumMapping(moderation_pb2.Standing, Standing, "STANDING_")
APPEAL_OUTCOMES: EnumMapping[AppealOutcome] = EnumMapping(moderation_events.AppealOutcome, AppealOutcome, "APPEAL_OUTCOME_")


def notification_to_pb(n: Notification) -> pb.Notification:
    return pb.Notification(
        notification_id=n.notification_id, recipient=n.recipient.key, kind=KINDS.to_pb(n.kind),
        title=n.title, body=n.body, thread_id=n.thread_id, claim_id=n.claim_id, created_at=timestamp(n.created_at), read=n.read,
    )


def notification_from_pb(message: pb.Notification) -> Notification:
    created_at = datetime_of(message, "created_at")
    assert created_at is not None, "notify always stamps its notifications"
    return Notification(message.notification_id, Party.parse(message.recipient), KINDS.require(message.kind, "kind"),
                        message.title, message.body, created_at, message.thread_id, message.claim_id, message.read)


def inbox_from_pb(key: str) -> Party | None:
    """A request's `inbox`: a party key, or None (empty) for the caller's main inbox."""
    if not key:
        return None
    try:
        return Party.parse(key)
    except ValueError:
        raise InvalidArgument(FieldViolation("inbox", "must be 'user:<id>', 'shop:<id>' or 'support'")) from None


def preferences_to_pb(p: Preferences) -> pb.Preferences:
    """The party's preferences, with the kinds nobody can mute (output only)."""
    return pb.Preferences(muted_kinds=[KINDS.to_pb(k) for k in sorted(p.muted_kinds)],
                          unmutable_kinds=[KINDS.to_pb(k) for k in sorted(UNMUTABLE_KINDS)])


def preferences_from_pb(p: pb.Preferences) -> Preferences:
    # unmutable_kinds is output only: a client sending back what it read changes nothing by it.
    return Preferences(muted_kinds=frozenset(KINDS.require(k, "preferences.muted_kinds") for k in p.muted_kinds))


def preferences_change_from_pb(request: pb.UpdatePreferencesRequest) -> PreferencesChange:
    """The mask's paths name Preferences fields by their protobuf names, which the domain shares.
    Unknown kinds are rejected whatever the mask names."""
    return PreferencesChange(frozenset(request.update_mask.paths), preferences_from_pb(request.preferences))


def claim_from_pb(claim: returns_pb2.Claim) -> Claim:
    # A status number this version does not know (a newer returns) is not an error: the domain
    # tells the parties with a general title.
    status = CLAIM_STATUSES.from_pb(claim.status, "claim.status", required=False, unknown_ok=True)
    # Likewise a refund state: unknown reads as none (the status change is told as usual).
    refund_state = REFUND_STATES.from_pb(claim.refund_state, "claim.refund_state", required=False, unknown_ok=True)
    currency = claim.refund_held.currency_code or claim.refunded.currency_code or claim.shipping_reimbursed.currency_code
    return Claim(claim.claim_id, claim.order_id, claim.thread_id, claim.buyer_id, claim.shop_id, status, refund_state,
                 refunded_minor=claim.refunded.amount_minor, shipping_minor=claim.shipping_reimbursed.amount_minor,
                 held_minor=claim.refund_held.amount_minor, currency=currency)


def event_party(message: common_pb2.Party, field: str) -> Party:
    """A party a consumed event names. Missing (no kind) or without the id its kind needs: the event
    is malformed (INVALID_ARGUMENT). A kind this version does not know: NewerThanThisVersion."""
    kind = PARTY_KINDS.from_pb(message.kind, f"{field}.kind", required=True, unknown_ok=True)
    if kind is None:
        raise NewerThanThisVersion(f"{field}.kind {message.kind} is unknown to this version")
    if kind is PartyKind.SUPPORT:
        return Party.support()
    if not message.id:
        raise InvalidArgument(FieldViolation(f"{field}.id", "must not be empty"))
    return Party(kind, message.id)
