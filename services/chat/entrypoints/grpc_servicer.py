"""gRPC face of the chat service: protobuf -> command -> handler -> protobuf. Nothing else."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from prilavok.chat.v1 import chat_pb2 as pb
from prilavok.chat.v1 import chat_pb2_grpc
from prilavok_platform.auth import current_identity
from prilavok_platform.errors import FieldViolation, InvalidArgument
from prilavok_platform.grpc_server import live_items
from prilavok_platform.replay import tell_replayed
from services.chat.adapters import protos
from services.chat.domain import commands
from services.chat.domain.live import LiveItem
from services.chat.service_layer.handlers import ChatHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ChatService"].full_name


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, handlers: ChatHandlers):
        self._handlers = handlers

    async def CreateThread(self, request: pb.CreateThreadRequest, context):
        opened = await self._handlers.create_thread(commands.CreateThread(
            caller=current_identity(),
            request_id=request.request_id,
            kind=protos.KINDS.from_pb(request.kind, "kind", required=False),
            order_id=request.order_id,
            claim_id=request.claim_id,
            buyer_id=request.buyer_id,
            shop_id=request.shop_id,
            support=protos.support_from_pb(request),
            initiation_reason=protos.REASONS.from_pb(request.initiation_reason, "initiation_reason", required=False),
            linked_thread_id=request.linked_thread_id,
        ))
        await tell_replayed(context, opened.replayed)
        view = opened.view
        return pb.CreateThreadResponse(thread=protos.thread_to_pb(view.thread, view.viewer_side), created=opened.created)

    async def GetThread(self, request: pb.GetThreadRequest, context):
        view = await self._handlers.get_thread(commands.GetThread(current_identity(), request.thread_id))
        return pb.GetThreadResponse(thread=protos.thread_to_pb(view.thread, view.viewer_side))

    async def ListThreads(self, request: pb.ListThreadsRequest, context):
        page = await self._handlers.list_threads(commands.ListThreads(
            caller=current_identity(),
            page_size=request.page_size,
            page_token=request.page_token,
            kind=protos.KINDS.from_pb(request.kind, "kind", required=False),
            status=protos.STATUSES.from_pb(request.status, "status", required=False),
            unread_only=request.unread_only,
            order_id=request.order_id,
        ))
        return pb.ListThreadsResponse(
            threads=[protos.thread_to_pb(v.thread, v.viewer_side) for v in page.threads], next_page_token=page.next_page_token
        )

    async def SendMessage(self, request: pb.SendMessageRequest, context):
        sent = await self._handlers.send_message(commands.SendMessage(
            caller=current_identity(),
            thread_id=request.thread_id,
            request_id=request.request_id,
            text=request.text,
            attachment_ids=tuple(request.attachment_ids),
        ))
        await tell_replayed(context, sent.replayed)
        out = protos.message_to_pb(sent.message)
        return pb.SendMessageResponse(message=out, moderation=out.moderation, created=sent.created)

    async def ListMessages(self, request: pb.ListMessagesRequest, context):
        page = await self._handlers.list_messages(commands.ListMessages(
            caller=current_identity(),
            thread_id=request.thread_id,
            page_size=request.page_size,
            page_token=request.page_token,
            direction=protos.DIRECTIONS.from_pb(request.direction, "direction", required=False),
            start_seq=request.start_seq,
        ))
        return pb.ListMessagesResponse(messages=[protos.message_to_pb(m) for m in page.messages], next_page_token=page.next_page_token)

    async def MarkRead(self, request: pb.MarkReadRequest, context):
        unread = await self._handlers.mark_read(commands.MarkRead(current_identity(), request.thread_id, request.up_to_seq))
        return pb.MarkReadResponse(unread_count=unread)

    async def CloseThread(self, request: pb.CloseThreadRequest, context):
        view = await self._handlers.close_thread(commands.CloseThread(current_identity(), request.thread_id, request.reason))
        return pb.CloseThreadResponse(thread=protos.thread_to_pb(view.thread, view.viewer_side))

    async def StreamEvents(self, request: pb.StreamEventsRequest, context):
        subscription = await self._handlers.stream_events(commands.StreamEvents(current_identity(), request.thread_id))
        stream: AsyncGenerator[LiveItem, None] = live_items(subscription, context)
        async with aclosing(stream) as items:
            async for item in items:
                yield protos.live_item_to_pb(item)

    async def UploadAttachment(self, request_iterator, context):
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("part") != "metadata":
            raise InvalidArgument(FieldViolation("metadata", "the first message must carry the metadata"))

        async def chunks():
            async for part in request_iterator:
                if part.WhichOneof("part") != "chunk":
                    raise InvalidArgument(FieldViolation("metadata", "metadata may come only once, first"))
                yield part.chunk

        cmd = commands.UploadAttachment(current_identity(), protos.attachment_meta_from_pb(first.metadata))
        attachment = await self._handlers.upload_attachment(cmd, chunks())
        return pb.UploadAttachmentResponse(attachment=protos.attachment_to_pb(attachment))

    async def DownloadAttachment(self, request: pb.DownloadAttachmentRequest, context):
        attachment, content = await self._handlers.download_attachment(commands.DownloadAttachment(current_identity(), request.attachment_id))
        yield pb.DownloadAttachmentResponse(attachment=protos.attachment_to_pb(attachment))
        async for chunk in content:
            yield pb.DownloadAttachmentResponse(chunk=chunk)

    async def RateThread(self, request: pb.RateThreadRequest, context):
        view = await self._handlers.rate_thread(
            commands.RateThread(current_identity(), request.thread_id, request.score, request.comment))
        return pb.RateThreadResponse(thread=protos.thread_to_pb(view.thread, view.viewer_side))
