"""Asks the moderation service for its verdict, synchronously and with a deadline, before a
message is stored. Only the verdict: nothing is recorded by this call; moderation
records violations from the message events chat writes together with the stored message, so a
message that never got stored leaves no strike or fine. Chat fails closed: if moderation cannot
answer, nothing is delivered."""
from __future__ import annotations

import logging
from collections.abc import Callable

import grpc

from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_platform.auth import CachedServiceToken
from prilavok_platform.errors import FieldViolation, InvalidArgument, Unavailable
from prilavok_platform.grpc_server import call_metadata
from prilavok_platform.identity import Identity, Party, PartyKind
from prilavok_platform.protobuf import ROLES
from services.chat.adapters.protos import ACTIONS, CATEGORIES
from services.chat.domain import conversation
from services.chat.domain.model import ModerationDecision

log = logging.getLogger(__name__)


class GrpcModerationGateway:
    def __init__(self, channel: grpc.aio.Channel, token: CachedServiceToken, deadline_seconds: Callable[[], float]):
        self._stub = moderation_pb2_grpc.ModerationServiceStub(channel)
        self._token = token
        # Read per call: the policy (and so the deadline) may be reloaded.
        self._deadline = deadline_seconds

    async def check(self, *, sender: Identity, text: str) -> ModerationDecision:
        party = Party.of(sender)
        request = mpb.CheckMessageRequest(
            sender_role=ROLES.to_pb(sender.role),
            sender_id=sender.user_id,
            shop_id=party.id if party.kind is PartyKind.SHOP else "",
            text=text,
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
        return decision_from_pb(response.verdict)


def decision_from_pb(verdict: mpb.Verdict) -> ModerationDecision:
    """Numbers this version does not know map to None; the domain decides what they mean."""
    action = ACTIONS.from_pb(verdict.action, "verdict.action", required=False, unknown_ok=True)
    if action is None:
        log.warning("moderation answered an action this version does not know (%d)", verdict.action)
    categories = tuple(CATEGORIES.from_pb(v.category, "verdict.violations.category", required=False, unknown_ok=True)
                       for v in verdict.violations)
    return conversation.verdict(action, categories, reason=verdict.reason, masked_text=verdict.masked_text,
                                policy_version=verdict.policy_version)
