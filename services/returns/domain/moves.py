"""Which move on a claim each command makes: who must be allowed to make it (`action`, checked
by `access.require_may`) and the move itself (`apply`). Plain Python."""
from __future__ import annotations

import datetime as dt

from prilavok_platform import idempotency
from services.returns.domain import commands, model
from services.returns.domain.access import ClaimAction
from services.returns.domain.model import Claim, Fingerprint, Purchase, ReturnsPolicy, Transition

_METHODS: dict[type[commands.ClaimMove], str] = {
    commands.DecideClaim: "DecideClaim",
    commands.RequestReconsideration: "RequestReconsideration",
    commands.RespondToOffer: "RespondToOffer",
    commands.HandOverItem: "HandOverItem",
    commands.ConfirmReceipt: "ConfirmReceipt",
    commands.CancelClaim: "CancelClaim",
}
_ACTIONS: dict[type[commands.ClaimMove], ClaimAction] = {
    commands.DecideClaim: ClaimAction.DECIDE,
    commands.RequestReconsideration: ClaimAction.RECONSIDER,
    commands.RespondToOffer: ClaimAction.RESPOND_TO_OFFER,
    commands.HandOverItem: ClaimAction.HAND_OVER,
    commands.ConfirmReceipt: ClaimAction.CONFIRM_RECEIPT,
    commands.CancelClaim: ClaimAction.CANCEL,
}


def action(cmd: commands.ClaimMove) -> ClaimAction:
    return _ACTIONS[type(cmd)]


def request_of(cmd: commands.ClaimMove) -> tuple[str, Fingerprint]:
    """The RPC a move command came from and its fingerprint: every field that shapes the move,
    named as the request names them (a reused request id is reported by those names)."""
    fields: dict[str, object] = {"claim_id": cmd.claim_id}
    if isinstance(cmd, commands.DecideClaim):
        fields["expected_version"] = cmd.expected_version
        if isinstance(cmd.decision, model.Approve):
            offer = cmd.decision.offer
            fields.update({
                "approve.mode": cmd.decision.mode, "approve.offer.form": offer.form if offer else None,
                "approve.offer.refund_amount": offer.refund if offer else None,
                "approve.offer.shipping_reimbursement": offer.shipping if offer else None,
                "approve.offer.handover_method": offer.handover if offer else None,
            })
        elif isinstance(cmd.decision, model.Reject):
            fields.update({"reject.reason": cmd.decision.reason, "reject.comment": cmd.decision.comment})
    elif isinstance(cmd, commands.RequestReconsideration):
        fields.update({"comment": cmd.comment, "photo_ids": cmd.photo_ids, "video_id": cmd.video_id})
    elif isinstance(cmd, commands.RespondToOffer):
        fields.update({"accept": cmd.accept, "comment": cmd.comment})
    elif isinstance(cmd, commands.HandOverItem):
        fields.update({"method": cmd.method, "pickup_point_id": cmd.pickup_point_id})
    elif isinstance(cmd, commands.ConfirmReceipt):
        fields.update({"defect_confirmed": cmd.defect_confirmed, "comment": cmd.comment})
    else:
        fields["reason"] = cmd.reason
    return _METHODS[type(cmd)], idempotency.fingerprint(fields)


def open_claim_fingerprint(cmd: commands.OpenClaim) -> Fingerprint:
    """The OpenClaim request's fingerprint (the quantity as the domain reads it: 0 is one)."""
    return idempotency.fingerprint({
        "purchase_id": cmd.purchase_id, "description": cmd.description, "photo_ids": cmd.photo_ids, "video_id": cmd.video_id,
        "requested_form": cmd.requested_form, "quantity": model.quantity_or_default(cmd.quantity), "thread_id": cmd.thread_id,
        "defect_found_at": cmd.defect_found_at,
    })


def apply(claim: Claim, cmd: commands.ClaimMove, now: dt.datetime, policy: ReturnsPolicy, line: Purchase | None = None) -> Transition:
    """The claim after the move the command asks for; the caller was allowed (see `action`).
    A decision needs `line`, the claim's order line as stored (what is left on it)."""
    if isinstance(cmd, commands.DecideClaim):
        assert line is not None, "a decision is checked against what is left on the order line"
        return model.decide(claim, cmd.caller, cmd.decision, cmd.expected_version, now, policy, line)
    if isinstance(cmd, commands.RequestReconsideration):
        return model.reconsider(claim, cmd.caller, cmd.comment, cmd.photo_ids, cmd.video_id, now, policy)
    if isinstance(cmd, commands.RespondToOffer):
        return model.respond_to_offer(claim, cmd.caller, cmd.accept, cmd.comment, now)
    if isinstance(cmd, commands.HandOverItem):
        return model.hand_over(claim, cmd.caller, cmd.method, cmd.pickup_point_id, now)
    if isinstance(cmd, commands.ConfirmReceipt):
        return model.confirm_receipt(claim, cmd.caller, cmd.defect_confirmed, cmd.comment, now)
    return model.cancel(claim, cmd.caller, cmd.reason, now)
