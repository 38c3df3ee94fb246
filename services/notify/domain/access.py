"""Who may see and manage which notification inbox: the one place notify authorizes."""
from __future__ import annotations

from prilavok_platform.errors import PermissionDenied
from prilavok_platform.identity import Identity, Party, Role

# Moderators and services have no inbox: nothing is ever addressed to them.
INBOX_ROLES = (Role.BUYER, Role.SELLER, Role.SUPPORT)


def inboxes_of(caller: Identity) -> tuple[Party, ...]:
    """The inboxes a caller may list, mark read, subscribe to and set preferences for, the main
    one first: a buyer's own; a seller's shop's (shared by all sellers of the shop: nothing is
    addressed to a seller in person); a support agent's desk (shared by all agents) and the
    agent's own, where notices about the agent in person arrive (moderation fines an agent's
    message to the agent, not to the desk, and the other agents must not read it)."""
    if caller.role not in INBOX_ROLES:
        raise PermissionDenied("notifications belong to buyers, sellers and support", reason="ROLE_NOT_ALLOWED",
                               metadata={"role": caller.role.value})
    main = Party.of(caller)
    if caller.role is Role.SUPPORT:
        return main, Party.user(caller.user_id)
    return (main,)


def inbox_of(caller: Identity, requested: Party | None = None) -> Party:
    """The inbox a call concerns: the one requested if it is the caller's, the main one if none."""
    inboxes = inboxes_of(caller)
    if requested is None:
        return inboxes[0]
    if requested not in inboxes:
        raise PermissionDenied("not one of the caller's inboxes", reason="INBOX_NOT_ALLOWED",
                               metadata={"inbox": requested.key, "allowed": ",".join(p.key for p in inboxes)})
    return requested
