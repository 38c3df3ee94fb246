"""Which move on a claim each command makes: who must be allowed to make it (`action`, checked
by `access.require_may`) and the move itself (`apply`). Plain Python."""
from __future__ import annotations

import datetime as dt

from services.returns.domain import commands, model
from services.returns.domain.access import ClaimAction
from services.returns.domain.ledger import Money
from services.returns.domain.model import Claim, ReturnsPolicy, Transition

_ACTIONS: dict[type[commands.ClaimMove], ClaimAction] = {
    commands.DecideClaim: ClaimAction.DECIDE,
    commands.RequestReconsideration: ClaimAction.RECONSIDER,
    commands.RespondToOffer: ClaimAction.RESPOND,
    commands.HandOverItem: ClaimAction.HAND_OVER,
    commands.ConfirmReceipt: ClaimAction.CONFIRM_RECEIPT,
    commands.CancelClaim: ClaimAction.CANCEL,
}


def action(cmd: commands.ClaimMove) -> ClaimAction:
    return _ACTIONS[type(cmd)]


def apply(claim: Claim, cmd: commands.ClaimMove, now: dt.datetime, policy: ReturnsPolicy, refundable: Money | None = None) -> Transition:
    """The claim after the move the command asks for; the caller was allowed (see `action`).
    A decision needs `refundable`, what is left to refund on the claim's order line."""
    if isinstance(cmd, commands.DecideClaim):
        assert refundable is not None, "a decision is checked against what is left to refund"
        return model.decide(claim, cmd.caller, cmd.decision, cmd.expected_version, now, policy, refundable)
    if isinstance(cmd, commands.RequestReconsideration):
        return model.reconsider(claim, cmd.caller, cmd.comment, cmd.photo_ids, cmd.video_id, now, policy)
    if isinstance(cmd, commands.RespondToOffer):
        return model.respond_to_offer(claim, cmd.caller, cmd.accept, cmd.comment, now)
    if isinstance(cmd, commands.HandOverItem):
        return model.hand_over(claim, cmd.caller, cmd.method, cmd.pickup_point_id, now)
    if isinstance(cmd, commands.ConfirmReceipt):
        return model.confirm_receipt(claim, cmd.caller, cmd.defect_confirmed, cmd.comment, now)
    return model.cancel(claim, cmd.caller, cmd.reason, now)
