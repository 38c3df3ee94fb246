"""Calls the moderation service synchronously, with a deadline, before a message is stored.
Chat fails closed: if moderation cannot answer, nothing is delivered."""
from __future__ import annotations

from collections.abc import Callable

import grpc

from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_platform.auth import CachedServiceToken
from prilavok_platform.errors import FieldViolation, InvalidArgument, Unavailable
from prilavok_platform.grpc_server import call_metadata
from prilavok_platform.identity import Identity, Role
from prilavok_platform.protobuf import ROLES
from services.chat.adapters.protos import ACTIONS
from services.chat.domain.model import ModerationAction, ModerationDecision, Thread


class GrpcModerationGateway:
    def __init__(self, channel: grpc.aio.Channel, token: CachedServiceToken, deadline_seconds: Callable[[], float]):
        self._stub = moderation_pb2_grpc.ModerationServiceStub(channel)
        self._token = token
        # Read per call: the policy (and so the deadline) may be reloaded.
        self._deadline = deadline_seconds

    async def check(self, *, message_id: str, thread: Thread, sender: Identity, text: str) -> ModerationDecision:
        request = mpb.CheckMessageRequest(
            message_id=message_id,
            sender_role=ROLES.to_pb(sender.role),
            sender_id=sender.user_id,
            shop_id=sender.shop_id if sender.role is Role.SELLER else "",
            text=text,
            context=mpb.MessageContext(thread_id=thread.thread_id),
            record=True,
        )
        try:
            response = await self._stub.CheckMessage(request, timeout=self._deadline(), metadata=call_metadata(self._token.get()))
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                # Moderation's own limits; pass its words on to the sender.
                raise InvalidArgument(FieldViolation("text", exc.details() or "rejected by moderation")) from None
            raise Unavailable(
                f"moderation did not answer ({exc.code().name}); the message was not sent, retry with the same request_id",
                reason="MODERATION_UNAVAILABLE",
            ) from None
        verdict = response.verdict
        # An action this build does not know is treated as a block: nothing unmoderated is delivered.
        return ModerationDecision(
            action=_ACTION_BY_NUMBER.get(verdict.action, ModerationAction.BLOCK),
            categories=tuple(_category_name(v.category) for v in verdict.violations),
            reason=verdict.reason,
            masked_text=verdict.masked_text,
            policy_version=verdict.policy_version,
        )


_ACTION_BY_NUMBER = {ACTIONS.to_pb(a): a for a in ModerationAction}


def _category_name(number: int) -> str:
    try:
        return mpb.Category.Name(number).removeprefix("CATEGORY_")
    except ValueError:
        return f"UNKNOWN_{number}"
