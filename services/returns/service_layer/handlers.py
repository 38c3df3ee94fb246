"""Returns use cases: purchases, claims and their lifecycle, balances."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import NotFound, PermissionDenied, Validator
from services.returns.domain import model
from services.returns.domain.ledger import Money, sale_posting, shop_account
from services.returns.domain.model import Claim, ClaimStatus, CompensationForm, Purchase, ReturnsPolicy
from services.returns.service_layer.ports import ClaimFilter, LedgerRow, ReturnsRepository

NAMESPACE = uuid.UUID("3a1f2c4e-5b6d-4e7f-8a9b-72657475726e")
MAX_MONEY_MINOR = 10**13  # 100 billion roubles: anything above is a typo


def stable_id(*parts: str) -> str:
    return uuid.uuid5(NAMESPACE, "\x1f".join(parts)).hex


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class NewPurchase:
    order_id: str
    item_id: str
    item_name: str
    buyer_id: str
    shop_id: str
    price: Money | None
    quantity: int
    paid_at: dt.datetime | None
    delivered_at: dt.datetime | None


class ReturnsHandlers:
    def __init__(self, repository: ReturnsRepository, policy: ReturnsPolicy, clock=utcnow):
        self._repo = repository
        self.policy = policy
        self._clock = clock

    async def record_purchase(self, caller: Identity, request_id: str, p: NewPurchase) -> tuple[Purchase, bool]:
        caller.require_role(Role.SERVICE, Role.SUPPORT)
        v = Validator()
        v.identifier(request_id, "request_id")
        for name in ("order_id", "item_id", "buyer_id", "shop_id"):
            v.identifier(getattr(p, name), f"purchase.{name}")
        v.text(p.item_name, "purchase.item_name", max_len=500, required=False)
        if p.price is None or p.price.amount_minor <= 0:
            v.add("purchase.price", "a positive price in minor units is required")
        elif p.price.currency_code != self.policy.currency_code:
            v.add("purchase.price.currency_code", f"must be {self.policy.currency_code}")
        elif p.price.amount_minor * max(p.quantity, 1) > MAX_MONEY_MINOR:
            v.add("purchase.price", "is implausibly large")
        if not 1 <= p.quantity <= 10_000:
            v.add("purchase.quantity", "must be between 1 and 10000")
        now = self._clock()
        if p.paid_at is None:
            v.add("purchase.paid_at", "is required")
        elif p.paid_at > now + dt.timedelta(minutes=5):
            v.add("purchase.paid_at", "must not be in the future")
        v.raise_if_any()
        assert p.price is not None and p.paid_at is not None
        purchase = Purchase(
            purchase_id=stable_id("purchase", p.order_id, p.item_id), order_id=p.order_id, item_id=p.item_id,
            item_name=p.item_name, buyer_id=p.buyer_id, shop_id=p.shop_id, price=p.price, quantity=p.quantity,
            paid_at=p.paid_at, delivered_at=p.delivered_at,
        )
        posting = sale_posting(purchase.purchase_id, purchase.shop_id, purchase.price.times(purchase.quantity))
        return await self._repo.record_purchase(purchase, posting)

    async def get_purchase(self, caller: Identity, purchase_id: str) -> Purchase:
        purchase = await self._repo.get_purchase(purchase_id)
        if purchase is None:
            raise NotFound(f"purchase {purchase_id} not found", reason="PURCHASE_NOT_FOUND")
        if (caller.role is Role.BUYER and caller.user_id != purchase.buyer_id) or (
            caller.role is Role.SELLER and caller.shop_id != purchase.shop_id
        ):
            raise PermissionDenied(f"purchase {purchase_id} is not yours", reason="NOT_A_PARTY")
        return purchase

    async def open_claim(
        self, caller: Identity, *, request_id: str, purchase_id: str, description: str, photo_ids: list[str],
        video_id: str, requested_form: CompensationForm | None, quantity: int, thread_id: str,
        defect_found_at: dt.datetime | None,
    ) -> tuple[Claim, bool]:
        v = Validator()
        v.identifier(request_id, "request_id")
        v.identifier(purchase_id, "purchase_id")
        v.raise_if_any()
        caller.require_role(Role.BUYER)
        purchase = await self.get_purchase(caller, purchase_id)
        claim = model.open_claim(
            claim_id=stable_id("claim", caller.user_id, request_id), purchase=purchase, caller=caller,
            description=description, photo_ids=photo_ids, video_id=video_id, requested_form=requested_form,
            quantity=quantity, thread_id=thread_id, defect_found_at=defect_found_at, now=self._clock(), policy=self.policy,
        )
        return await self._repo.open_claim(claim)

    async def get_claim(self, caller: Identity, claim_id: str) -> Claim:
        v = Validator()
        v.identifier(claim_id, "claim_id")
        v.raise_if_any()
        claim = await self._repo.get_claim(claim_id)
        if claim is None:
            raise NotFound(f"claim {claim_id} not found", reason="CLAIM_NOT_FOUND")
        claim.require_visible(caller)
        return claim

    async def list_claims(self, caller: Identity, status: ClaimStatus | None, limit: int, cursor: dict | None) -> list[Claim]:
        if caller.role is Role.BUYER:
            flt = ClaimFilter(buyer_id=caller.user_id, status=status)
        elif caller.role is Role.SELLER:
            flt = ClaimFilter(shop_id=caller.shop_id, status=status)
        else:
            flt = ClaimFilter(status=status)
        return await self._repo.list_claims(flt, limit, cursor)

    async def act(self, caller: Identity, claim_id: str, request_id: str, move) -> Claim:
        """Applies a lifecycle move (a function of the claim and now) once per request_id."""
        v = Validator()
        v.identifier(claim_id, "claim_id")
        v.identifier(request_id, "request_id")
        v.raise_if_any()
        existing = await self.get_claim(caller, claim_id)  # NOT_FOUND / PERMISSION_DENIED before any write
        del existing
        now = self._clock()
        return await self._repo.apply(claim_id, f"{caller.role.value}:{caller.user_id}:{request_id}", lambda claim: move(claim, now))

    async def balance(self, caller: Identity, shop_id: str) -> tuple[str, Money, object]:
        shop_id = self._shop_for(caller, shop_id)
        amount, updated = await self._repo.balance(shop_account(shop_id), self.policy.currency_code)
        return shop_id, amount, updated

    async def ledger(self, caller: Identity, shop_id: str, limit: int, cursor: dict | None) -> list[LedgerRow]:
        return await self._repo.ledger(shop_account(self._shop_for(caller, shop_id)), limit, cursor)

    def _shop_for(self, caller: Identity, shop_id: str) -> str:
        if caller.role is Role.SELLER:
            if shop_id and shop_id != caller.shop_id:
                raise PermissionDenied("sellers see only their own shop's balance", reason="NOT_YOUR_SHOP")
            return caller.shop_id
        caller.require_role(Role.SUPPORT, Role.SERVICE)
        v = Validator()
        v.identifier(shop_id, "shop_id")
        v.raise_if_any()
        return shop_id
