from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from prilavok.notify.v1 import notify_pb2 as pb
from services.notify.domain.model import Kind, Notification, Preferences


def notification_to_pb(n: Notification) -> pb.Notification:
    created = Timestamp()
    created.FromDatetime(n.created_at)
    return pb.Notification(
        notification_id=n.notification_id, recipient=n.recipient,
        kind=pb.NotificationKind.Value(f"NOTIFICATION_KIND_{n.kind.value}"), title=n.title, body=n.body,
        thread_id=n.thread_id, claim_id=n.claim_id, created_at=created, read=n.read,
    )


def preferences_to_pb(p: Preferences) -> pb.Preferences:
    return pb.Preferences(
        muted_kinds=[pb.NotificationKind.Value(f"NOTIFICATION_KIND_{k.value}") for k in sorted(p.muted_kinds)],
        email_enabled=p.email_enabled, email_address=p.email_address,
        webhook_enabled=p.webhook_enabled, webhook_url=p.webhook_url,
    )


def preferences_from_pb(p: pb.Preferences) -> Preferences:
    kinds = set()
    for k in p.muted_kinds:
        name = pb.NotificationKind.Name(k).removeprefix("NOTIFICATION_KIND_") if k in pb.NotificationKind.values() else ""
        if name in Kind.__members__:
            kinds.add(Kind(name))
    return Preferences(kinds, p.email_enabled, p.email_address.strip(), p.webhook_enabled, p.webhook_url.strip())
