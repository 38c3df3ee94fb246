"""gRPC face of the notify service: protobuf -> command -> handler -> protobuf."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from prilavok.notify.v1 import notify_pb2 as pb
from prilavok.notify.v1 import notify_pb2_grpc
from prilavok_platform.auth import current_identity
from prilavok_platform.grpc_server import live_items
from services.notify.adapters.protos import inbox_from_pb, notification_to_pb, preferences_change_from_pb, preferences_to_pb
from services.notify.domain import commands
from services.notify.service_layer.handlers import NotifyHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NotifyService"].full_name


class NotifyServicer(notify_pb2_grpc.NotifyServiceServicer):
    def __init__(self, handlers: NotifyHandlers):
        self._handlers = handlers

    async def ListNotifications(self, request: pb.ListNotificationsRequest, context) -> pb.ListNotificationsResponse:
        page = await self._handlers.list_notifications(commands.ListNotifications(
            current_identity(), unread_only=request.unread_only, page_size=request.page_size, page_token=request.page_token,
            inbox=inbox_from_pb(request.inbox)))
        return pb.ListNotificationsResponse(notifications=[notification_to_pb(n) for n in page.notifications],
                                            next_page_token=page.next_page_token, unread_count=page.unread_count)

    async def MarkNotificationsRead(self, request: pb.MarkNotificationsReadRequest, context) -> pb.MarkNotificationsReadResponse:
        unread = await self._handlers.mark_read(commands.MarkNotificationsRead(
            current_identity(), notification_ids=tuple(request.notification_ids), all=request.all, inbox=inbox_from_pb(request.inbox)))
        return pb.MarkNotificationsReadResponse(unread_count=unread)

    async def Subscribe(self, request: pb.SubscribeRequest, context) -> AsyncIterator[pb.SubscribeResponse]:
        feed = self._handlers.subscribe(commands.Subscribe(current_identity(), inbox_from_pb(request.inbox)))
        async with aclosing(live_items(feed, context)) as notifications:
            async for notification in notifications:
                yield pb.SubscribeResponse(notification=notification_to_pb(notification))

    async def GetPreferences(self, request: pb.GetPreferencesRequest, context) -> pb.GetPreferencesResponse:
        preferences = await self._handlers.get_preferences(commands.GetPreferences(current_identity(), inbox_from_pb(request.inbox)))
        return pb.GetPreferencesResponse(preferences=preferences_to_pb(preferences))

    async def UpdatePreferences(self, request: pb.UpdatePreferencesRequest, context) -> pb.UpdatePreferencesResponse:
        saved = await self._handlers.update_preferences(commands.UpdatePreferences(
            current_identity(), preferences_change_from_pb(request), inbox_from_pb(request.inbox)))
        return pb.UpdatePreferencesResponse(preferences=preferences_to_pb(saved))
