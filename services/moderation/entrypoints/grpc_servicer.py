"""gRPC face of the moderation service."""
from __future__ import annotations

import grpc

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2 as pb
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_platform import pagination
from prilavok_platform.auth import Role, current_identity
from prilavok_platform.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.moderation.adapters import protos
from services.moderation.domain.model import SenderRole
from services.moderation.service_layer.handlers import CheckCommand, CheckResult, ModerationHandlers
from services.moderation.service_layer.ports import Sender

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ModerationService"].full_name


def _command(request: pb.CheckMessageRequest) -> CheckCommand:
    role = protos.ROLE_FROM_PB.get(request.sender_role)
    return CheckCommand(
        message_id=request.message_id,
        thread_id=request.context.thread_id,
        thread_kind=request.context.thread_kind,
        first_in_thread=request.context.first_in_thread,
        sender=Sender(request.sender_id, role, request.shop_id) if role else None,
        text=request.text,
        record=request.record,
    )


def _result(result: CheckResult) -> pb.CheckMessageResponse:
    return pb.CheckMessageResponse(verdict=protos.verdict_to_pb(result.verdict), review_id=result.review_id)


def _authorize_check(requests: list[pb.CheckMessageRequest]) -> None:
    identity = current_identity()
    if any(r.record for r in requests):
        # Only the chat (a service) records strikes against senders.
        identity.require_role(Role.SERVICE)
    elif identity.role in (Role.BUYER, Role.SELLER):
        # A user may dry-run their own draft, as themselves.
        own_role = common_pb2.ROLE_BUYER if identity.role is Role.BUYER else common_pb2.ROLE_SELLER
        if any(r.sender_role != own_role for r in requests):
            raise PermissionDenied("users may check drafts only in their own role", reason="ROLE_MISMATCH")


class ModerationServicer(moderation_pb2_grpc.ModerationServiceServicer):
    def __init__(self, handlers: ModerationHandlers):
        self._handlers = handlers

    async def CheckMessage(self, request: pb.CheckMessageRequest, context: grpc.aio.ServicerContext):
        _authorize_check([request])
        return _result(await self._handlers.check(_command(request)))

    async def CheckMessages(self, request: pb.CheckMessagesRequest, context: grpc.aio.ServicerContext):
        _authorize_check(list(request.items))
        results = await self._handlers.check_batch([_command(item) for item in request.items])
        return pb.CheckMessagesResponse(results=[_result(r) for r in results])

    async def ListReviewQueue(self, request: pb.ListReviewQueueRequest, context):
        current_identity().require_role(Role.MODERATOR)
        status = request.status or pb.REVIEW_STATUS_PENDING
        size = pagination.page_size(request.page_size)
        cursor = pagination.decode(request.page_token, required_keys=("after",)) or {"after": ""}
        items = await self._handlers.list_reviews(pb.ReviewStatus.Name(status).removeprefix("REVIEW_STATUS_"), size + 1, cursor["after"])
        next_token = pagination.encode({"after": items[size - 1].review_id}) if len(items) > size else ""
        return pb.ListReviewQueueResponse(items=[protos.review_to_pb(i) for i in items[:size]], next_page_token=next_token)

    async def ResolveReview(self, request: pb.ResolveReviewRequest, context):
        identity = current_identity()
        identity.require_role(Role.MODERATOR)
        if request.decision not in (pb.REVIEW_DECISION_APPROVE, pb.REVIEW_DECISION_REJECT):
            raise InvalidArgument(FieldViolation("decision", "must be REVIEW_DECISION_APPROVE or REVIEW_DECISION_REJECT"))
        review = await self._handlers.resolve_review(
            request.review_id, request.decision == pb.REVIEW_DECISION_APPROVE, identity.user_id, request.comment
        )
        return pb.ResolveReviewResponse(item=protos.review_to_pb(review))

    async def GetSenderStanding(self, request: pb.GetSenderStandingRequest, context):
        identity = current_identity()
        if identity.role is Role.SELLER:
            if request.shop_id and request.shop_id != identity.shop_id:
                raise PermissionDenied("sellers see only their own shop's standing", reason="NOT_YOUR_SHOP")
            sender = Sender(identity.user_id, SenderRole.SELLER, identity.shop_id)
        elif identity.role is Role.BUYER:
            if request.sender_id and request.sender_id != identity.user_id:
                raise PermissionDenied("buyers see only their own standing", reason="NOT_YOURS")
            sender = Sender(identity.user_id, SenderRole.BUYER)
        else:
            if not request.sender_id and not request.shop_id:
                raise InvalidArgument(FieldViolation("sender_id", "sender_id or shop_id is required"))
            sender = (
                Sender(request.sender_id, SenderRole.SELLER, request.shop_id)
                if request.shop_id
                else Sender(request.sender_id, SenderRole.BUYER)
            )
        level, in_window, total, penalties = await self._handlers.standing(sender.key)
        return pb.GetSenderStandingResponse(
            sender_id=sender.user_id,
            shop_id=sender.shop_id,
            standing=pb.Standing.Value(f"STANDING_{level}"),
            strikes_in_window=in_window,
            strikes_total=total,
            penalties=[
                pb.Penalty(
                    penalty_id=p["_id"],
                    category=pb.Category.Value(f"CATEGORY_{p['category']}"),
                    fine=common_pb2.Money(currency_code=p["currency_code"], amount_minor=p["amount_minor"]),
                    message_id=p["message_id"],
                    issued_at=protos.timestamp(p["issued_at"]),
                )
                for p in penalties
            ],
        )
