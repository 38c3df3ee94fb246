"""gRPC face of the notify service: every call sees only the caller's notifications."""
from __future__ import annotations

import asyncio

from prilavok.notify.v1 import notify_pb2 as pb
from prilavok.notify.v1 import notify_pb2_grpc
from prilavok_platform import pagination
from prilavok_platform.auth import Identity, Role, current_identity
from prilavok_platform.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.notify.adapters.fanout import NatsFanout
from services.notify.adapters.protos import notification_to_pb, preferences_from_pb, preferences_to_pb
from services.notify.service_layer.handlers import NotifyHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NotifyService"].full_name
PREFERENCE_PATHS = {"muted_kinds", "email_enabled", "email_address", "webhook_enabled", "webhook_url"}


def recipient_of(identity: Identity) -> str:
    if identity.role is Role.SELLER:
        return f"shop:{identity.shop_id}"
    if identity.role is Role.SUPPORT:
        return "support"
    if identity.role is Role.BUYER:
        return f"user:{identity.user_id}"
    raise PermissionDenied("notifications belong to buyers, sellers and support", reason="ROLE_NOT_ALLOWED")


class NotifyServicer(notify_pb2_grpc.NotifyServiceServicer):
    def __init__(self, handlers: NotifyHandlers, fanout: NatsFanout):
        self._handlers = handlers
        self._fanout = fanout

    async def ListNotifications(self, request: pb.ListNotificationsRequest, context):
        recipient = recipient_of(current_identity())
        size = pagination.page_size(request.page_size)
        cursor = pagination.decode(request.page_token, required_keys=("at", "id"))
        items, unread = await self._handlers.list(recipient, request.unread_only, size + 1, cursor)
        next_token = ""
        if len(items) > size:
            last = items[size - 1]
            next_token = pagination.encode({"at": last.created_at.isoformat(), "id": last.notification_id})
        return pb.ListNotificationsResponse(
            notifications=[notification_to_pb(n) for n in items[:size]], next_page_token=next_token, unread_count=unread
        )

    async def MarkNotificationsRead(self, request: pb.MarkNotificationsReadRequest, context):
        unread = await self._handlers.mark_read(recipient_of(current_identity()), list(request.notification_ids), request.all)
        return pb.MarkNotificationsReadResponse(unread_count=unread)

    async def Subscribe(self, request: pb.SubscribeRequest, context):
        recipient = recipient_of(current_identity())
        queue = self._fanout.open(recipient)
        try:
            while True:
                try:
                    notification = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    if context.done():
                        return
                    continue
                yield pb.SubscribeResponse(notification=notification)
        finally:
            self._fanout.close(recipient, queue)

    async def GetPreferences(self, request, context):
        prefs = await self._handlers.get_preferences(recipient_of(current_identity()))
        return pb.GetPreferencesResponse(preferences=preferences_to_pb(prefs))

    async def UpdatePreferences(self, request: pb.UpdatePreferencesRequest, context):
        recipient = recipient_of(current_identity())
        incoming = preferences_from_pb(request.preferences)
        paths = list(request.update_mask.paths)
        unknown = [p for p in paths if p not in PREFERENCE_PATHS]
        if unknown:
            raise InvalidArgument(FieldViolation("update_mask", f"unknown paths: {', '.join(unknown)}"))
        if paths:
            current = await self._handlers.get_preferences(recipient)
            for path in paths:
                setattr(current, path, getattr(incoming, path))
            incoming = current
        saved = await self._handlers.update_preferences(recipient, incoming)
        return pb.UpdatePreferencesResponse(preferences=preferences_to_pb(saved))
