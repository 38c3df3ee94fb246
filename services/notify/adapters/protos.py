"""Protobuf <-> notify domain."""
from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.field_mask_pb2 import FieldMask

from prilavok.notify.v1 import notify_pb2 as pb
from prilavok_platform.errors import FieldViolation, InvalidArgument
from prilavok_platform.identity import Party
from prilavok_platform.protobuf import EnumMapping, datetime_of, timestamp
from services.notify.domain.model import Kind, Notification, Preferences

KINDS: EnumMapping[Kind] = EnumMapping(pb.NotificationKind, Kind, "NOTIFICATION_KIND_")


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


def preferences_to_pb(p: Preferences) -> pb.Preferences:
    return pb.Preferences(
        muted_kinds=[KINDS.to_pb(k) for k in sorted(p.muted_kinds)],
        email_enabled=p.email_enabled, email_address=p.email_address,
        webhook_enabled=p.webhook_enabled, webhook_url=p.webhook_url,
    )


def preferences_from_pb(p: pb.Preferences) -> Preferences:
    return Preferences(
        muted_kinds=frozenset(KINDS.require(k, "preferences.muted_kinds") for k in p.muted_kinds),
        email_enabled=p.email_enabled, email_address=p.email_address,
        webhook_enabled=p.webhook_enabled, webhook_url=p.webhook_url,
    )


@dataclass(frozen=True)
class MaskedPreferences:
    """An UpdatePreferences request as a change: the fields its update_mask names are taken
    from the request (all of them when the mask is empty). Checked on construction."""

    preferences: pb.Preferences
    update_mask: FieldMask

    def __post_init__(self) -> None:
        unknown = [p for p in self.update_mask.paths if p not in pb.Preferences.DESCRIPTOR.fields_by_name]
        if unknown:
            allowed = ", ".join(pb.Preferences.DESCRIPTOR.fields_by_name)
            raise InvalidArgument(FieldViolation("update_mask", f"unknown paths: {', '.join(unknown)}; allowed: {allowed}"))
        preferences_from_pb(self.preferences)  # unknown kinds are rejected now, whatever the mask names

    def applied_to(self, current: Preferences) -> Preferences:
        if not self.update_mask.paths:
            return preferences_from_pb(self.preferences)
        merged = preferences_to_pb(current)
        self.update_mask.MergeMessage(self.preferences, merged, replace_message_field=True, replace_repeated_field=True)
        return preferences_from_pb(merged)
