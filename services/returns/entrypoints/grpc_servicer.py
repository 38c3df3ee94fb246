"""gRPC face of the returns service: protobuf -> command -> handler -> protobuf."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from prilavok.returns.v1 import returns_pb2 as pb
from prilavok.returns.v1 import returns_pb2_grpc
from prilavok_platform.auth import current_identity
from prilavok_platform.replay import tell_replayed
from services.returns.adapters import protos
from services.returns.domain import commands
from services.returns.domain.model import Claim
from services.returns.service_layer.handlers import ReturnsHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ReturnsService"].full_name


class ReturnsServicer(returns_pb2_grpc.ReturnsServiceServicer):
    def __init__(self, handlers: ReturnsHandlers):
        self._h = handlers

    def _claim(self, claim: Claim) -> pb.Claim:
        """The claim with the moves the caller may make on it now."""
        return protos.claim_pb(claim, self._h.available_actions(current_identity(), claim))

    async def RecordPurchase(self, request: pb.RecordPurchaseRequest, context: Any) -> pb.RecordPurchaseResponse:
        recorded = await self._h.record_purchase(protos.record_purchase_command(current_identity(), request))
        await tell_replayed(context, recorded.replayed)
        return pb.RecordPurchaseResponse(purchase=protos.purchase_pb(recorded.purchase), created=recorded.created)

    async def GetPurchase(self, request: pb.GetPurchaseRequest, context: Any) -> pb.GetPurchaseResponse:
        purchase = await self._h.get_purchase(commands.GetPurchase(current_identity(), request.purchase_id))
        return pb.GetPurchaseResponse(purchase=protos.purchase_pb(purchase))

    async def OpenClaim(self, request: pb.OpenClaimRequest, context: Any) -> pb.OpenClaimResponse:
        opened = await self._h.open_claim(protos.open_claim_command(current_identity(), request))
        await tell_replayed(context, opened.replayed)
        return pb.OpenClaimResponse(claim=self._claim(opened.claim), created=opened.created)

    async def GetClaim(self, request: pb.GetClaimRequest, context: Any) -> pb.GetClaimResponse:
        claim = await self._h.get_claim(commands.GetClaim(current_identity(), request.claim_id))
        return pb.GetClaimResponse(claim=self._claim(claim))

    async def ListClaims(self, request: pb.ListClaimsRequest, context: Any) -> pb.ListClaimsResponse:
        claims, token = await self._h.list_claims(commands.ListClaims(
            current_identity(), protos.STATUSES.from_pb(request.status, "status", required=False),
            request.page_size, request.page_token,
        ))
        return pb.ListClaimsResponse(claims=[self._claim(c) for c in claims], next_page_token=token)

    async def DecideClaim(self, request: pb.DecideClaimRequest, context: Any) -> pb.DecideClaimResponse:
        moved = await self._h.move(commands.DecideClaim(
            current_identity(), request.request_id, request.claim_id, protos.decision_from_pb(request), request.expected_version,
        ))
        await tell_replayed(context, moved.replayed)
        return pb.DecideClaimResponse(claim=self._claim(moved.claim))

    async def RequestReconsideration(self, request: pb.RequestReconsiderationRequest, context: Any) -> pb.RequestReconsiderationResponse:
        moved = await self._h.move(commands.RequestReconsideration(
            current_identity(), request.request_id, request.claim_id, request.comment, tuple(request.photo_ids), request.video_id,
        ))
        await tell_replayed(context, moved.replayed)
        return pb.RequestReconsiderationResponse(claim=self._claim(moved.claim))

    async def RespondToOffer(self, request: pb.RespondToOfferRequest, context: Any) -> pb.RespondToOfferResponse:
        moved = await self._h.move(commands.RespondToOffer(
            current_identity(), request.request_id, request.claim_id, request.accept, request.comment,
        ))
        await tell_replayed(context, moved.replayed)
        return pb.RespondToOfferResponse(claim=self._claim(moved.claim))

    async def HandOverItem(self, request: pb.HandOverItemRequest, context: Any) -> pb.HandOverItemResponse:
        moved = await self._h.move(commands.HandOverItem(
            current_identity(), request.request_id, request.claim_id,
            protos.HANDOVERS.from_pb(request.method, "method", required=False), request.pickup_point_id,
        ))
        await tell_replayed(context, moved.replayed)
        return pb.HandOverItemResponse(claim=self._claim(moved.claim))

    async def ConfirmReceipt(self, request: pb.ConfirmReceiptRequest, context: Any) -> pb.ConfirmReceiptResponse:
        moved = await self._h.move(commands.ConfirmReceipt(
            current_identity(), request.request_id, request.claim_id, request.defect_confirmed, request.comment,
        ))
        await tell_replayed(context, moved.replayed)
        return pb.ConfirmReceiptResponse(claim=self._claim(moved.claim))

    async def CancelClaim(self, request: pb.CancelClaimRequest, context: Any) -> pb.CancelClaimResponse:
        moved = await self._h.move(commands.CancelClaim(
            current_identity(), request.request_id, request.claim_id, request.reason,
        ))
        await tell_replayed(context, moved.replayed)
        return pb.CancelClaimResponse(claim=self._claim(moved.claim))

    async def GetBalance(self, request: pb.GetBalanceRequest, context: Any) -> pb.GetBalanceResponse:
        balance = await self._h.get_balance(commands.GetBalance(current_identity(), request.shop_id))
        return pb.GetBalanceResponse(balance=protos.balance_pb(balance))

    async def ListLedgerEntries(self, request: pb.ListLedgerEntriesRequest, context: Any) -> pb.ListLedgerEntriesResponse:
        entries, token = await self._h.list_ledger_entries(commands.ListLedgerEntries(
            current_identity(), request.shop_id, request.page_size, request.page_token,
        ))
        return pb.ListLedgerEntriesResponse(entries=[protos.ledger_entry_pb(e) for e in entries], next_page_token=token)

    async def VerifyLedger(self, request: pb.VerifyLedgerRequest, context: Any) -> AsyncIterator[pb.VerifyLedgerResponse]:
        async for progress in self._h.verify_ledger(commands.VerifyLedger(current_identity(), request.max_problems)):
            yield protos.verify_response(progress)
