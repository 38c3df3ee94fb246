"""Who may do what in moderation: the one place of its authorization rules."""
from __future__ import annotations

from collections.abc import Iterable

from prilavok_platform.errors import FieldViolation, InvalidArgument, PermissionDenied
from prilavok_platform.identity import Identity, Party, PartyKind, Role
from services.moderation.domain.commands import MessageCheck
from services.moderation.domain.model import Sender, SenderRole

_OWN_ROLE = {Role.BUYER: SenderRole.BUYER, Role.SELLER: SenderRole.SELLER}


def authorize_check(caller: Identity, items: Iterable[MessageCheck]) -> None:
    """A check records nothing, so anyone may ask for a verdict - but a buyer or seller only on
    their own drafts: in their own role, as themselves (`sender_id`) and, for a seller, for their
    own shop (`shop_id`), either left empty or their own. Staff and services (the chat, asking
    before it stores a message) may check anything."""
    own = _OWN_ROLE.get(caller.role)
    if own is None:
        return
    for item in items:
        if item.role is not own:
            raise PermissionDenied("users may check drafts only in their own role", reason="ROLE_MISMATCH")
        if item.sender_id not in ("", caller.user_id) or item.shop_id not in ("", caller.shop_id):
            raise PermissionDenied("users may check only their own drafts", reason="NOT_YOURS")


def authorize_review(caller: Identity) -> None:
    """The review queue is the moderators' alone: listing it and deciding items."""
    caller.require_role(Role.MODERATOR)


def authorize_lift(caller: Identity) -> None:
    """Only a moderator ends a suspension before its time."""
    caller.require_role(Role.MODERATOR)


def authorize_appeal(caller: Identity, sender: Sender) -> None:
    """Only the offender appeals a violation: for a shop any of its sellers (they act for it, as
    they share its strikes and fines), otherwise the person who wrote, in the role they wrote in.
    Staff, services and everyone else: PERMISSION_DENIED."""
    offender = sender.offender
    if offender.kind is PartyKind.SHOP:
        allowed = caller.role is Role.SELLER and caller.shop_id == offender.id
    else:
        allowed = caller.role.value == sender.role.value and caller.user_id == offender.id
    if not allowed:
        raise PermissionDenied("only the offender of a violation may appeal it", reason="NOT_THE_OFFENDER")


def suspension_subject(sender_id: str, shop_id: str) -> Party:
    """Whose suspension a moderator names: a shop (shop_id) or a user (sender_id), one of them."""
    if shop_id and sender_id:
        raise InvalidArgument(FieldViolation("sender_id", "name the shop (shop_id) or the user (sender_id), not both"))
    if shop_id:
        return Party.shop(shop_id)
    if sender_id:
        return Party.user(sender_id)
    raise InvalidArgument(FieldViolation("sender_id", "sender_id or shop_id is required"))


def standing_subject(caller: Identity, sender_id: str, shop_id: str) -> Sender:
    """Whose standing the caller may see: sellers their shop's, buyers their own, staff (and
    services) anyone's, named by sender_id and, for a shop, shop_id. A field that cannot apply
    to the caller is refused rather than ignored: a seller's standing is their shop's, whoever
    wrote (no sender_id); a buyer has no shop (no shop_id)."""
    if caller.role is Role.SELLER:
        if sender_id:
            raise InvalidArgument(FieldViolation("sender_id", "a seller's standing is their shop's: leave it empty"))
        if shop_id and shop_id != caller.shop_id:
            raise PermissionDenied("sellers see only their own shop's standing", reason="NOT_YOUR_SHOP")
        return Sender(caller.user_id, SenderRole.SELLER, caller.shop_id)
    if caller.role is Role.BUYER:
        if shop_id:
            raise InvalidArgument(FieldViolation("shop_id", "a buyer's standing is their own: leave it empty"))
        if sender_id and sender_id != caller.user_id:
            raise PermissionDenied("buyers see only their own standing", reason="NOT_YOURS")
        return Sender(caller.user_id, SenderRole.BUYER)
    if not sender_id and not shop_id:
        raise InvalidArgument(FieldViolation("sender_id", "sender_id or shop_id is required"))
    if shop_id:
        return Sender(sender_id, SenderRole.SELLER, shop_id)
    return Sender(sender_id, SenderRole.BUYER)
