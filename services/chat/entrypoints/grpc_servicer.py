"""gRPC face of the chat service."""
from __future__ import annotations

import asyncio

from prilavok.chat.v1 import chat_pb2 as pb
from prilavok.chat.v1 import chat_pb2_grpc
from prilavok_platform import pagination
from prilavok_platform.auth import current_identity
from prilavok_platform.errors import FieldViolation, InvalidArgument, ResourceExhausted
from services.chat.adapters import protos
from services.chat.adapters.event_hub import ChatEventHub, Subscriber
from services.chat.domain.model import AttachmentMeta, NewThread, party_key
from services.chat.service_layer.handlers import ChatHandlers
from services.chat.service_layer.ports import ThreadFilter

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ChatService"].full_name


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, handlers: ChatHandlers, hub: ChatEventHub):
        self._handlers = handlers
        self._hub = hub

    async def CreateThread(self, request: pb.CreateThreadRequest, context):
        caller = current_identity()
        kind = protos.kind_from_pb(request.kind)
        cmd = NewThread(
            request_id=request.request_id,
            kind=kind,
            order_id=request.order_id,
            claim_id=request.claim_id,
            buyer_id=request.buyer_id,
            shop_id=request.shop_id,
            support=protos.support_from_pb(request.support, request.HasField("support")),
            initiation_reason=protos.reason_from_pb(request.initiation_reason),
            linked_thread_id=request.linked_thread_id,
        )
        thread, created = await self._handlers.create_thread(caller, cmd)
        return pb.CreateThreadResponse(thread=protos.thread_to_pb(thread, thread.side_of(caller)), created=created)

    async def GetThread(self, request: pb.GetThreadRequest, context):
        thread, side = await self._handlers.get_thread(current_identity(), request.thread_id)
        return pb.GetThreadResponse(thread=protos.thread_to_pb(thread, side))

    async def ListThreads(self, request: pb.ListThreadsRequest, context):
        caller = current_identity()
        size = pagination.page_size(request.page_size)
        cursor = pagination.decode(request.page_token, required_keys=("at", "id"))
        flt = ThreadFilter(
            party_key=party_key(caller),
            kind=protos.kind_from_pb(request.kind) if request.kind else None,
            status=protos.status_from_pb(request.status) if request.status else None,
            unread_only=request.unread_only,
            order_id=request.order_id,
        )
        threads = await self._handlers.list_threads(caller, flt, size + 1, cursor)
        next_token = ""
        if len(threads) > size:
            last = threads[size - 1]
            activity = last.last_message_at or last.closed_at or last.created_at
            next_token = pagination.encode({"at": activity.isoformat(), "id": last.thread_id})
        return pb.ListThreadsResponse(
            threads=[protos.thread_to_pb(t, t.side_of(caller)) for t in threads[:size]], next_page_token=next_token
        )

    async def SendMessage(self, request: pb.SendMessageRequest, context):
        caller = current_identity()
        message, created = await self._handlers.send_message(
            caller,
            thread_id=request.thread_id,
            request_id=request.request_id,
            text=request.text,
            attachment_ids=list(request.attachment_ids),
        )
        out = protos.message_to_pb(message, caller)
        return pb.SendMessageResponse(message=out, moderation=out.moderation, created=created)

    async def ListMessages(self, request: pb.ListMessagesRequest, context):
        caller = current_identity()
        size = pagination.page_size(request.page_size, maximum=200)
        newer = request.direction == pb.DIRECTION_NEWER
        cursor = pagination.decode(request.page_token, required_keys=("seq",))
        if request.start_seq < 0:
            raise InvalidArgument(FieldViolation("start_seq", "must not be negative"))
        after = cursor["seq"] if cursor else (request.start_seq or None)
        messages = await self._handlers.list_messages(caller, request.thread_id, newer=newer, after_seq=after, limit=size + 1)
        next_token = pagination.encode({"seq": messages[size - 1].seq}) if len(messages) > size else ""
        return pb.ListMessagesResponse(messages=[protos.message_to_pb(m, caller) for m in messages[:size]], next_page_token=next_token)

    async def MarkRead(self, request: pb.MarkReadRequest, context):
        unread = await self._handlers.mark_read(current_identity(), request.thread_id, request.up_to_seq)
        return pb.MarkReadResponse(unread_count=unread)

    async def CloseThread(self, request: pb.CloseThreadRequest, context):
        thread = await self._handlers.close_thread(current_identity(), request.thread_id, request.reason)
        return pb.CloseThreadResponse(thread=protos.thread_to_pb(thread))

    async def StreamEvents(self, request: pb.StreamEventsRequest, context):
        caller = current_identity()
        if request.thread_id:
            await self._handlers.get_thread(caller, request.thread_id)  # visibility check
        subscriber = Subscriber(party_key(caller), caller.is_staff, request.thread_id)
        self._hub.add(subscriber)
        try:
            while True:
                if subscriber.overflowed:
                    raise ResourceExhausted("the client reads events too slowly; reconnect and list what was missed", reason="STREAM_OVERFLOW")
                try:
                    event = await asyncio.wait_for(subscriber.queue.get(), timeout=15)
                except TimeoutError:
                    if context.done():
                        return
                    continue
                yield event
        finally:
            self._hub.remove(subscriber)

    async def UploadAttachment(self, request_iterator, context):
        caller = current_identity()
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("part") != "metadata":
            raise InvalidArgument(FieldViolation("metadata", "the first message must carry the metadata"))
        m = first.metadata
        meta = AttachmentMeta(m.thread_id, m.file_name, m.content_type, m.size_bytes, m.sha256)

        async def chunks():
            async for part in request_iterator:
                if part.WhichOneof("part") != "chunk":
                    raise InvalidArgument(FieldViolation("metadata", "metadata may come only once, first"))
                yield part.chunk

        attachment = await self._handlers.upload_attachment(caller, meta, chunks())
        return pb.UploadAttachmentResponse(attachment=protos.attachment_to_pb(attachment))

    async def DownloadAttachment(self, request: pb.DownloadAttachmentRequest, context):
        attachment, content = await self._handlers.download_attachment(current_identity(), request.attachment_id)
        yield pb.DownloadAttachmentResponse(attachment=protos.attachment_to_pb(attachment))
        async for chunk in content:
            yield pb.DownloadAttachmentResponse(chunk=chunk)

    async def RateThread(self, request: pb.RateThreadRequest, context):
        thread = await self._handlers.rate_thread(current_identity(), request.thread_id, request.score, request.comment)
        return pb.RateThreadResponse(thread=protos.thread_to_pb(thread, "author"))
