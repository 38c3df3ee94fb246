"""gRPC face of the moderation service: protobuf -> command -> handler -> protobuf."""
from __future__ import annotations

import grpc

from prilavok.moderation.v1 import moderation_pb2 as pb
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_platform.auth import current_identity
from prilavok_platform.replay import tell_replayed
from services.moderation.adapters import protos
from services.moderation.domain.commands import (
    AppealDecision,
    CheckMessage,
    CheckMessages,
    GetSenderStanding,
    LiftSuspension,
    ListReviewQueue,
    ResolveReview,
)
from services.moderation.service_layer.handlers import ModerationHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ModerationService"].full_name


class ModerationServicer(moderation_pb2_grpc.ModerationServiceServicer):
    def __init__(self, handlers: ModerationHandlers):
        self._handlers = handlers

    async def CheckMessage(self, request: pb.CheckMessageRequest, context: grpc.aio.ServicerContext):
        command = CheckMessage(current_identity(), protos.message_check(request))
        return pb.CheckMessageResponse(verdict=protos.verdict_to_pb(await self._handlers.check_message(command)))

    async def CheckMessages(self, request: pb.CheckMessagesRequest, context: grpc.aio.ServicerContext):
        command = CheckMessages(current_identity(), tuple(protos.message_check(item) for item in request.items))
        verdicts = await self._handlers.check_messages(command)
        return pb.CheckMessagesResponse(results=[pb.CheckMessageResponse(verdict=protos.verdict_to_pb(v)) for v in verdicts])

    async def ListReviewQueue(self, request: pb.ListReviewQueueRequest, context: grpc.aio.ServicerContext):
        status = protos.REVIEW_STATUSES.from_pb(request.status, "status", required=False)
        kind = protos.REVIEW_KINDS.from_pb(request.kind, "kind", required=False)
        command = ListReviewQueue(current_identity(), status, request.page_size, request.page_token, kind)
        items, next_token = await self._handlers.list_review_queue(command)
        return pb.ListReviewQueueResponse(items=[protos.review_to_pb(i) for i in items], next_page_token=next_token)

    async def ResolveReview(self, request: pb.ResolveReviewRequest, context: grpc.aio.ServicerContext):
        decision = protos.REVIEW_DECISIONS.require(request.decision, "decision")
        command = ResolveReview(current_identity(), request.review_id, decision, request.comment)
        return pb.ResolveReviewResponse(item=protos.review_to_pb(await self._handlers.resolve_review(command)))

    async def GetSenderStanding(self, request: pb.GetSenderStandingRequest, context: grpc.aio.ServicerContext):
        command = GetSenderStanding(current_identity(), request.sender_id, request.shop_id)
        return protos.standing_to_pb(await self._handlers.get_sender_standing(command))

    async def AppealDecision(self, request: pb.AppealDecisionRequest, context: grpc.aio.ServicerContext):
        command = AppealDecision(current_identity(), request.request_id, request.message_id, request.penalty_id, request.reason)
        appeal = await self._handlers.appeal_decision(command)
        await tell_replayed(context, appeal.replayed)
        return pb.AppealDecisionResponse(appeal=protos.review_to_pb(appeal))

    async def LiftSuspension(self, request: pb.LiftSuspensionRequest, context: grpc.aio.ServicerContext):
        command = LiftSuspension(current_identity(), request.request_id, request.sender_id, request.shop_id, request.reason)
        lift = await self._handlers.lift_suspension(command)
        await tell_replayed(context, lift.replayed)
        return protos.lift_to_pb(lift)
