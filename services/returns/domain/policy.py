"""The returns policy: the marketplace's numbers for defect claims and the money they move,
read from `default_policy.yaml` (or PRILAVOK_POLICY_FILE). Plain Python."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.returns.domain.ledger import Money

# How the item comes back, as the shipping tariffs name it; WITHOUT_RETURN when it stays with the buyer.
WITHOUT_RETURN = "WITHOUT_RETURN"
TARIFF_KEYS = ("PICKUP_POINT", "DIRECT_TO_SELLER", WITHOUT_RETURN)
DEFAULT_SHIPPING_TARIFFS = (("PICKUP_POINT", 50_000), ("DIRECT_TO_SELLER", 100_000), (WITHOUT_RETURN, 0))


@dataclass(frozen=True)
class ReturnsPolicy:
    version: str
    currency_code: str
    claim_min_days_after_payment: int
    claim_max_days_after_payment: int
    max_photos: int
    max_description_chars: int
    max_reconsiderations: int
    # Return shipping reimbursed on one claim: never above this ...
    max_shipping_reimbursement_minor: int = 100_000
    # ... nor above what the return costs by the way the item comes back (minor units per
    # hand-over method, WITHOUT_RETURN when nothing comes back).
    shipping_tariff_minor: tuple[tuple[str, int], ...] = DEFAULT_SHIPPING_TARIFFS
    # ... and all the claims of one order line together never above this (by default the
    # maximum per claim: a line's returns are reimbursed at most once over).
    max_shipping_per_order_line_minor: int = 100_000
    # How far below zero refunds may take a shop's balance (its debt, netted from its next
    # sales); a refund that would go further is held until the balance allows it.
    max_overdraft_minor: int = 5_000_000
    # The service identities (JWT subjects of role service) that record purchases, which
    # credits shops: the marketplace's order system.
    purchase_recorders: tuple[str, ...] = ("orders",)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReturnsPolicy:
        required = ("version", "currency_code", "claim_min_days_after_payment", "claim_max_days_after_payment",
                    "max_photos", "max_description_chars", "max_reconsiderations")
        try:
            values: dict[str, Any] = {name: data[name] for name in required}
            values["version"], values["currency_code"] = str(values["version"]), str(values["currency_code"])
            for name in required[2:]:
                values[name] = _count(values[name], name)
            if "max_shipping_reimbursement_minor" in data:
                values["max_shipping_reimbursement_minor"] = _count(data["max_shipping_reimbursement_minor"], "max_shipping_reimbursement_minor")
            values["max_shipping_per_order_line_minor"] = _count(
                data.get("max_shipping_per_order_line_minor",
                         values.get("max_shipping_reimbursement_minor", cls.max_shipping_reimbursement_minor)),
                "max_shipping_per_order_line_minor")
            if "max_overdraft_minor" in data:
                values["max_overdraft_minor"] = _count(data["max_overdraft_minor"], "max_overdraft_minor")
            if "purchase_recorders" in data:
                values["purchase_recorders"] = _names(data["purchase_recorders"], "purchase_recorders")
            if "shipping_tariff_minor" in data:
                values["shipping_tariff_minor"] = _tariffs(data["shipping_tariff_minor"])
            policy = cls(**values)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"invalid returns policy: missing or bad field {exc}") from None
        if policy.claim_max_days_after_payment <= policy.claim_min_days_after_payment:
            raise ValueError("invalid returns policy: claim day limits")
        return policy

    def overdraft_floor(self) -> Money:
        """The lowest balance a refund may leave a shop with."""
        return Money(-self.max_overdraft_minor, self.currency_code)

    @property
    def overdraft_limit(self) -> Money:
        return Money(self.max_overdraft_minor, self.currency_code)

    @property
    def shipping_per_order_line(self) -> Money:
        """The most return shipping all the claims of one order line reimburse together."""
        return Money(self.max_shipping_per_order_line_minor, self.currency_code)

    def shipping_cap_minor(self, handover: str | None) -> int:
        """The most a claim may reimburse for return shipping when the item comes back by
        `handover` (a hand-over method's name, None when it does not come back)."""
        tariff = dict(self.shipping_tariff_minor).get(handover or WITHOUT_RETURN, 0)
        return min(self.max_shipping_reimbursement_minor, tariff)


def _count(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"invalid returns policy: {name} must be a whole number >= 0, got {value!r}")
    return value


def _names(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"invalid returns policy: {name} must be a list of service names")
    return tuple(v.strip() for v in value)


def _tariffs(value: object) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, Mapping):
        raise ValueError("invalid returns policy: shipping_tariff_minor must map hand-over methods to amounts")
    unknown = sorted(str(k) for k in value if k not in TARIFF_KEYS)
    if unknown:
        raise ValueError(f"invalid returns policy: shipping_tariff_minor has unknown methods {unknown}; use {list(TARIFF_KEYS)}")
    return tuple((key, _count(value.get(key, 0), f"shipping_tariff_minor.{key}")) for key in TARIFF_KEYS)
