"""Who is calling and on whose behalf: roles, identities and parties. Plain Python with no
third-party imports, so every domain package may use it.

A *party* is who owns one side of a conversation, a notification inbox or a ledger account:
a user (buyers, and staff acting for themselves), a shop (every seller of that shop acts for
it) or the marketplace's support desk (all support agents share one desk).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from prilavok_platform.errors import PermissionDenied


class Role(str, enum.Enum):
    BUYER = "buyer"
    SELLER = "seller"
    SUPPORT = "support"
    MODERATOR = "moderator"
    SERVICE = "service"


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: Role
    shop_id: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.SUPPORT, Role.MODERATOR)

    @property
    def party(self) -> Party:
        return Party.of(self)

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise PermissionDenied(
                f"role '{self.role.value}' may not do this; allowed: {allowed}",
                reason="ROLE_NOT_ALLOWED",
                metadata={"role": self.role.value, "allowed": allowed},
            )


class PartyKind(str, enum.Enum):
    USER = "user"
    SHOP = "shop"
    SUPPORT = "support"


@dataclass(frozen=True, order=True)
class Party:
    kind: PartyKind
    id: str = ""

    @staticmethod
    def user(user_id: str) -> Party:
        return Party(PartyKind.USER, user_id)

    @staticmethod
    def shop(shop_id: str) -> Party:
        return Party(PartyKind.SHOP, shop_id)

    @staticmethod
    def support() -> Party:
        return SUPPORT_DESK

    @staticmethod
    def of(identity: Identity) -> Party:
        """Sellers act for their shop; support agents as one desk; everyone else for themselves."""
        if identity.role is Role.SELLER:
            return Party.shop(identity.shop_id)
        if identity.role is Role.SUPPORT:
            return SUPPORT_DESK
        return Party.user(identity.user_id)

    @property
    def key(self) -> str:
        """The stable string form stored in documents and indexes: 'user:<id>', 'shop:<id>', 'support'."""
        return self.kind.value if self.kind is PartyKind.SUPPORT else f"{self.kind.value}:{self.id}"

    @staticmethod
    def parse(key: str) -> Party:
        if key == PartyKind.SUPPORT.value:
            return SUPPORT_DESK
        kind, sep, ident = key.partition(":")
        if not sep or not ident or kind not in (PartyKind.USER.value, PartyKind.SHOP.value):
            raise ValueError(f"not a party key: {key!r}")
        return Party(PartyKind(kind), ident)

    def __str__(self) -> str:
        return self.key


SUPPORT_DESK = Party(PartyKind.SUPPORT, "")
