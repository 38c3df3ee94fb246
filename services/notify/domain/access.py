"""Who may see and manage which notification inbox: the one place notify authorizes."""
from __future__ import annotations

from prilavok_platform.errors import PermissionDenied
from prilavok_platform.identity import Identity, Party, Role

# Moderators and services have no inbox: nothing is ever addressed to them.
INBOX_ROLES = (Role.BUYER, Role.SELLER, Role.SUPPORT)


def inbox_of(caller: Identity) -> Party:
    """The only inbox a caller may list, mark read, subscribe to and set preferences for:
    a buyer's own, a seller's shop's (shared by all sellers of the shop), and the support desk's
    (shared by all agents)."""
    if caller.role not in INBOX_ROLES:
        raise PermissionDenied("notifications belong to buyers, sellers and support", reason="ROLE_NOT_ALLOWED",
                               metadata={"role": caller.role.value})
    return Party.of(caller)
