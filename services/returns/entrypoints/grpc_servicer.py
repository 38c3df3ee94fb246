"""gRPC face of the returns service."""
from __future__ import annotations

from prilavok.returns.v1 import returns_pb2 as pb
from prilavok.returns.v1 import returns_pb2_grpc
from prilavok_platform import pagination
from prilavok_platform.auth import current_identity
from prilavok_platform.errors import Aborted, FieldViolation, InvalidArgument
from services.returns.adapters import protos
from services.returns.domain import model
from services.returns.service_layer.handlers import NewPurchase, ReturnsHandlers

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ReturnsService"].full_name


def _claim_page(claims, size):
    token = ""
    if len(claims) > size:
        last = claims[size - 1]
        token = pagination.encode({"at": last.created_at.isoformat(), "id": last.claim_id})
    return [protos.claim_pb(c) for c in claims[:size]], token


class ReturnsServicer(returns_pb2_grpc.ReturnsServiceServicer):
    def __init__(self, handlers: ReturnsHandlers):
        self._h = handlers

    async def RecordPurchase(self, request: pb.RecordPurchaseRequest, context):
        p = request.purchase
        purchase, created = await self._h.record_purchase(current_identity(), request.request_id, NewPurchase(
            order_id=p.order_id, item_id=p.item_id, item_name=p.item_name, buyer_id=p.buyer_id, shop_id=p.shop_id,
            price=protos.money_from_pb(p, "price"), quantity=p.quantity or 1,
            paid_at=protos.from_ts(p, "paid_at"), delivered_at=protos.from_ts(p, "delivered_at"),
        ))
        return pb.RecordPurchaseResponse(purchase=protos.purchase_pb(purchase), created=created)

    async def GetPurchase(self, request, context):
        return pb.GetPurchaseResponse(purchase=protos.purchase_pb(await self._h.get_purchase(current_identity(), request.purchase_id)))

    async def OpenClaim(self, request: pb.OpenClaimRequest, context):
        claim, created = await self._h.open_claim(
            current_identity(), request_id=request.request_id, purchase_id=request.purchase_id,
            description=request.description, photo_ids=list(request.photo_ids), video_id=request.video_id,
            requested_form=protos.form_from(request.requested_form), quantity=request.quantity,
            thread_id=request.thread_id, defect_found_at=protos.from_ts(request, "defect_found_at"),
        )
        return pb.OpenClaimResponse(claim=protos.claim_pb(claim), created=created)

    async def GetClaim(self, request, context):
        return pb.GetClaimResponse(claim=protos.claim_pb(await self._h.get_claim(current_identity(), request.claim_id)))

    async def ListClaims(self, request: pb.ListClaimsRequest, context):
        size = pagination.page_size(request.page_size)
        cursor = pagination.decode(request.page_token, required_keys=("at", "id"))
        claims = await self._h.list_claims(current_identity(), protos.status_from(request.status) if request.status else None, size + 1, cursor)
        items, token = _claim_page(claims, size)
        return pb.ListClaimsResponse(claims=items, next_page_token=token)

    async def DecideClaim(self, request: pb.DecideClaimRequest, context):
        caller = current_identity()
        which = request.WhichOneof("decision")
        if which is None:
            raise InvalidArgument(FieldViolation("decision", "set approve or reject"))
        expected = request.expected_version

        def move(claim, now):
            if expected and claim.version != expected:
                raise Aborted(f"claim is at version {claim.version}, not {expected}; reload it", reason="CLAIM_VERSION_MISMATCH")
            if which == "approve":
                offer = protos.offer_from_pb(request.approve.offer)
                if offer is None:
                    raise InvalidArgument(FieldViolation("approve.offer.form", "choose a compensation form"))
                return model.approve(claim, caller, protos.mode_from(request.approve.mode), offer, now)
            return model.reject(claim, caller, protos.rejection_from(request.reject.reason), request.reject.comment, now)

        claim = await self._h.act(caller, request.claim_id, request.request_id, move)
        return pb.DecideClaimResponse(claim=protos.claim_pb(claim))

    async def RequestReconsideration(self, request: pb.RequestReconsiderationRequest, context):
        caller = current_identity()
        policy = self._h.policy
        claim = await self._h.act(caller, request.claim_id, request.request_id,
                                  lambda c, now: model.reconsider(c, caller, list(request.photo_ids), request.video_id, now, policy))
        return pb.RequestReconsiderationResponse(claim=protos.claim_pb(claim))

    async def RespondToOffer(self, request: pb.RespondToOfferRequest, context):
        caller = current_identity()
        claim = await self._h.act(caller, request.claim_id, request.request_id, lambda c, now: model.respond_to_offer(c, caller, request.accept, now))
        return pb.RespondToOfferResponse(claim=protos.claim_pb(claim))

    async def HandOverItem(self, request: pb.HandOverItemRequest, context):
        caller = current_identity()
        claim = await self._h.act(caller, request.claim_id, request.request_id, lambda c, now: model.hand_over(
            c, caller, protos.handover_from(request.method), request.pickup_point_id, now))
        return pb.HandOverItemResponse(claim=protos.claim_pb(claim))

    async def ConfirmReceipt(self, request: pb.ConfirmReceiptRequest, context):
        caller = current_identity()
        claim = await self._h.act(caller, request.claim_id, request.request_id, lambda c, now: model.confirm_receipt(
            c, caller, request.defect_confirmed, request.comment, now))
        return pb.ConfirmReceiptResponse(claim=protos.claim_pb(claim))

    async def CancelClaim(self, request: pb.CancelClaimRequest, context):
        caller = current_identity()
        claim = await self._h.act(caller, request.claim_id, "cancel", lambda c, now: model.cancel(c, caller, now))
        return pb.CancelClaimResponse(claim=protos.claim_pb(claim))

    async def GetBalance(self, request: pb.GetBalanceRequest, context):
        shop_id, amount, updated = await self._h.balance(current_identity(), request.shop_id)
        return pb.GetBalanceResponse(balance=protos.balance_pb(shop_id, amount, updated))

    async def ListLedgerEntries(self, request: pb.ListLedgerEntriesRequest, context):
        size = pagination.page_size(request.page_size)
        cursor = pagination.decode(request.page_token, required_keys=("seq",))
        rows = await self._h.ledger(current_identity(), request.shop_id, size + 1, cursor)
        token = ""
        if len(rows) > size:
            token = pagination.encode({"seq": rows[size - 1].seq})
        return pb.ListLedgerEntriesResponse(
            entries=[pb.LedgerEntry(
                entry_id=r.entry_id, posting_id=r.posting_id, kind=pb.EntryKind.Value(f"ENTRY_KIND_{r.kind}"),
                amount=protos.money_pb(r.amount), claim_id=r.claim_id, purchase_id=r.purchase_id,
                posted_at=protos.ts(r.posted_at), balance_after=protos.money_pb(r.balance_after),
            ) for r in rows[:size]],
            next_page_token=token,
        )
