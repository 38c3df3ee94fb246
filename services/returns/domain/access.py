"""Who may see and do what in the returns service: the one place of its authorization.

Buyers act on their own purchases and claims, sellers for their own shop; the order system
(the service identities the policy lists) records purchases; support and services see every
claim and balance; moderators may look at claims. Handlers call these before they ask the model for a move."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from prilavok_platform.errors import PermissionDenied, Validator
from prilavok_platform.identity import Identity, Role
from services.returns.domain.model import CANCELLABLE, Claim, ClaimStatus, Purchase

STAFF_VIEWERS = (Role.SUPPORT, Role.SERVICE, Role.MODERATOR)


class ClaimAction(str, enum.Enum):
    DECIDE = "decide"
    RECONSIDER = "reconsider"
    RESPOND_TO_OFFER = "respond_to_offer"
    HAND_OVER = "hand_over"
    CONFIRM_RECEIPT = "confirm_receipt"
    CANCEL = "cancel"


# The buyer drives the claim; the seller decides on it and checks the returned item.
SELLER_ACTIONS = frozenset({ClaimAction.DECIDE, ClaimAction.CONFIRM_RECEIPT})


def require_may_record_purchase(caller: Identity, recorders: tuple[str, ...]) -> None:
    """Recording a purchase credits the shop with its price: only the marketplace's order system
    does it, a service identity whose subject the policy lists (`purchase_recorders`). Support
    reads purchases and balances but never credits a shop."""
    if caller.role is Role.SERVICE and caller.user_id in recorders:
        return
    names = ", ".join(recorders) or "none"
    if caller.role is Role.SUPPORT:
        detail = "support reads purchases and balances but never records one (it would credit a shop)"
    elif caller.role is Role.SERVICE:
        detail = f"service {caller.user_id!r} is not one of the order systems the returns policy lists"
    else:
        detail = f"a {caller.role.value} cannot record purchases"
    raise PermissionDenied(f"purchases are recorded by the order system only (services: {names}); {detail}",
                           reason="NOT_A_PURCHASE_RECORDER", metadata={"purchase_recorders": ",".join(recorders)})


def _is_buyer(caller: Identity, buyer_id: str) -> bool:
    return caller.role is Role.BUYER and caller.user_id == buyer_id


def _is_seller(caller: Identity, shop_id: str) -> bool:
    return caller.role is Role.SELLER and caller.shop_id == shop_id


def require_purchase_visible(caller: Identity, purchase: Purchase) -> None:
    if caller.role in STAFF_VIEWERS or _is_buyer(caller, purchase.buyer_id) or _is_seller(caller, purchase.shop_id):
        return
    raise PermissionDenied(f"purchase {purchase.purchase_id} is not yours", reason="NOT_A_PARTY")


def require_may_open_claims(caller: Identity) -> None:
    caller.require_role(Role.BUYER)


def require_may_open_claim(caller: Identity, purchase: Purchase) -> None:
    require_may_open_claims(caller)
    if not _is_buyer(caller, purchase.buyer_id):
        raise PermissionDenied("only the buyer of the purchase may open a claim on it", reason="NOT_THE_BUYER")


def require_claim_visible(caller: Identity, claim: Claim) -> None:
    if caller.role in STAFF_VIEWERS or _is_buyer(caller, claim.buyer_id) or _is_seller(caller, claim.shop_id):
        return
    raise PermissionDenied(f"claim {claim.claim_id} is not yours", reason="NOT_A_PARTY")


def require_may(action: ClaimAction, caller: Identity, claim: Claim) -> None:
    """Who may move a claim: its seller decides and confirms receipt, its buyer does the rest."""
    if action in SELLER_ACTIONS:
        if not _is_seller(caller, claim.shop_id):
            raise PermissionDenied(f"only the seller of shop {claim.shop_id} may do this", reason="NOT_THE_SELLER")
    elif not _is_buyer(caller, claim.buyer_id):
        raise PermissionDenied(f"only the buyer who opened claim {claim.claim_id} may do this", reason="NOT_THE_BUYER")


def available_actions(caller: Identity, claim: Claim, max_reconsiderations: int) -> tuple[ClaimAction, ...]:
    """The moves the caller may make on the claim now, in lifecycle order: what `require_may`
    allows them and the claim's status (and the policy's reconsideration limit) admits. Anything
    else is PERMISSION_DENIED (not their move) or FAILED_PRECONDITION (not now)."""
    status = claim.status
    if _is_seller(caller, claim.shop_id):
        return tuple(a for a, ok in ((ClaimAction.DECIDE, status is ClaimStatus.AWAITING_SELLER),
                                     (ClaimAction.CONFIRM_RECEIPT, status is ClaimStatus.ITEM_IN_TRANSIT)) if ok)
    if _is_buyer(caller, claim.buyer_id):
        moves = (
            (ClaimAction.RESPOND_TO_OFFER, status is ClaimStatus.AWAITING_BUYER),
            (ClaimAction.HAND_OVER, status is ClaimStatus.AWAITING_HANDOVER),
            (ClaimAction.RECONSIDER, status is ClaimStatus.REJECTED and claim.reconsideration_count < max_reconsiderations),
            (ClaimAction.CANCEL, status in CANCELLABLE),
        )
        return tuple(a for a, ok in moves if ok)
    return ()


@dataclass(frozen=True)
class ClaimScope:
    """The claims a caller may list: a buyer's own, a shop's, or (staff) all."""

    buyer_id: str = ""
    shop_id: str = ""


def claim_scope(caller: Identity) -> ClaimScope:
    if caller.role is Role.BUYER:
        return ClaimScope(buyer_id=caller.user_id)
    if caller.role is Role.SELLER:
        return ClaimScope(shop_id=caller.shop_id)
    caller.require_role(*STAFF_VIEWERS)
    return ClaimScope()


def balance_shop(caller: Identity, shop_id: str) -> str:
    """Whose balance and ledger the caller reads: a seller only their own shop's; support and
    services the shop they name."""
    if caller.role is Role.SELLER:
        if shop_id and shop_id != caller.shop_id:
            raise PermissionDenied("sellers see only their own shop's balance", reason="NOT_YOUR_SHOP")
        return caller.shop_id
    caller.require_role(Role.SUPPORT, Role.SERVICE)
    v = Validator()
    v.identifier(shop_id, "shop_id")
    v.raise_if_any()
    return shop_id


def require_may_verify_ledger(caller: Identity) -> None:
    """VerifyLedger reads every account: the staff who read money (support) and services."""
    caller.require_role(Role.SUPPORT, Role.SERVICE)
