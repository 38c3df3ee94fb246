"""Returns use cases, one handler per command: load, ask the domain, save, emit. Orchestration only."""
from __future__ import annotations

import datetime as dt

from prilavok_platform.clock import Clock
from prilavok_platform.errors import NotFound, require_ids
from prilavok_platform.identity import Identity
from prilavok_platform.pagination import page_size
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.returns.domain import access, commands, model, moves
from services.returns.domain.ledger import (
    Account,
    LedgerEntry,
    Money,
    Posting,
    ShopBalance,
    balance_moves,
    require_not_posted,
    stored_entries,
)
from services.returns.domain.model import Claim, Purchase, ReturnsPolicy
from services.returns.service_layer.ports import ReturnsRepositories

Tx = Transaction[ReturnsRepositories]


async def _post(tx: Tx, posting: Posting, at: dt.datetime, *, check_posted: bool = True) -> tuple[LedgerEntry, ...]:
    """Stores a posting the domain decided: one atomic update per shop or buyer balance it
    moves, and its entries (the marketplace's accounts get entries only: no document every
    sale or fine would update). `check_posted=False` where the posting's id is unique by
    construction (a sale: its purchase was just inserted); the entry ids are unique anyway."""
    if check_posted:
        require_not_posted(posting, await tx.repos.ledger.has_posting(posting.posting_id))
    after = {move.account: await tx.repos.balances.apply(move, at) for move in balance_moves(posting)}
    entries = stored_entries(posting, after, at)
    await tx.repos.ledger.add(entries)
    return entries


async def _load_purchase(repos: ReturnsRepositories, purchase_id: str) -> Purchase:
    purchase = await repos.purchases.get(purchase_id)
    if purchase is None:
        raise NotFound(f"purchase {purchase_id} not found", reason="PURCHASE_NOT_FOUND")
    return purchase


async def _reserve_refund(tx: Tx, purchase_id: str, refund: Money | None) -> None:
    """Counts a settled refund against its order line, in the settlement's transaction: one
    conditional update that succeeds only while the line's refunds stay within what was paid
    for it (however many claims and concurrent settlements), else REFUND_LIMIT_EXCEEDED with
    what is left."""
    if refund is None:
        return
    purchase = await _load_purchase(tx.repos, purchase_id)  # for its price and quantity, which never change
    if not await tx.repos.purchases.add_refunded(purchase_id, refund, purchase.paid):
        raise model.RefundLimitExceeded(await _load_purchase(tx.repos, purchase_id), refund)


async def _load_claim(repos: ReturnsRepositories, caller: Identity, claim_id: str) -> Claim:
    claim = await repos.claims.get(claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} not found", reason="CLAIM_NOT_FOUND")
    access.require_claim_visible(caller, claim)
    return claim


class ReturnsHandlers:
    def __init__(self, uow: UnitOfWork[ReturnsRepositories], policy: PolicyHolder[ReturnsPolicy], clock: Clock):
        self._uow = uow
        self._policy = policy
        self._clock = clock

    # --- purchases ----------------------------------------------------------------------------

    async def record_purchase(self, cmd: commands.RecordPurchase) -> tuple[Purchase, bool]:
        access.require_may_record_purchase(cmd.caller)
        now = self._clock.now()
        candidate = model.new_purchase(
            caller=cmd.caller, request_id=cmd.request_id, order_id=cmd.order_id, item_id=cmd.item_id,
            item_name=cmd.item_name, buyer_id=cmd.buyer_id, shop_id=cmd.shop_id, price=cmd.price, quantity=cmd.quantity,
            paid_at=cmd.paid_at, delivered_at=cmd.delivered_at, now=now, policy=self._policy.current,
        )

        async def work(tx: Tx) -> tuple[Purchase, bool]:
            by_request = await tx.repos.purchases.find_by_request(candidate.request_key)
            same_line = None if by_request else await tx.repos.purchases.get(candidate.purchase_id)
            purchase, created = model.record_purchase(candidate, by_request, same_line)
            if created:
                await tx.repos.purchases.add(purchase)
                entries = await _post(tx, purchase.sale(), now, check_posted=False)
                tx.emit(*model.balance_changes(entries))
            return purchase, created

        return await self._uow.transaction(work)

    async def get_purchase(self, cmd: commands.GetPurchase) -> Purchase:
        require_ids(purchase_id=cmd.purchase_id)
        purchase = await self._uow.reader().purchases.get(cmd.purchase_id)
        if purchase is None:
            raise NotFound(f"purchase {cmd.purchase_id} not found", reason="PURCHASE_NOT_FOUND")
        access.require_purchase_visible(cmd.caller, purchase)
        return purchase

    # --- claims -------------------------------------------------------------------------------

    async def open_claim(self, cmd: commands.OpenClaim) -> tuple[Claim, bool]:
        require_ids(request_id=cmd.request_id, purchase_id=cmd.purchase_id)
        access.require_may_open_claims(cmd.caller)
        claim_id = model.claim_id_for(cmd.caller.user_id, cmd.request_id)
        now, policy = self._clock.now(), self._policy.current

        async def work(tx: Tx) -> tuple[Claim, bool]:
            existing = await tx.repos.claims.get(claim_id)
            if existing is not None:
                return existing, False
            purchase = await _load_purchase(tx.repos, cmd.purchase_id)
            access.require_may_open_claim(cmd.caller, purchase)
            claim = model.open_claim(
                claim_id=claim_id, purchase=purchase, description=cmd.description, photo_ids=cmd.photo_ids,
                video_id=cmd.video_id, requested_form=cmd.requested_form, quantity=cmd.quantity, thread_id=cmd.thread_id,
                defect_found_at=cmd.defect_found_at, open_claim_exists=await tx.repos.claims.has_open_claim(purchase.purchase_id),
                now=now, policy=policy,
            )
            await tx.repos.claims.add(claim)
            tx.emit(*model.opened(claim))
            return claim, True

        return await self._uow.transaction(work)

    async def get_claim(self, cmd: commands.GetClaim) -> Claim:
        require_ids(claim_id=cmd.claim_id)
        return await _load_claim(self._uow.reader(), cmd.caller, cmd.claim_id)

    async def list_claims(self, cmd: commands.ListClaims) -> tuple[list[Claim], str]:
        scope = access.claim_scope(cmd.caller)
        return await self._uow.reader().claims.page(scope, cmd.status, page_size(cmd.page_size), cmd.page_token)

    async def decide_claim(self, cmd: commands.DecideClaim) -> Claim:
        return await self._move(cmd)

    async def request_reconsideration(self, cmd: commands.RequestReconsideration) -> Claim:
        return await self._move(cmd)

    async def respond_to_offer(self, cmd: commands.RespondToOffer) -> Claim:
        return await self._move(cmd)

    async def hand_over_item(self, cmd: commands.HandOverItem) -> Claim:
        return await self._move(cmd)

    async def confirm_receipt(self, cmd: commands.ConfirmReceipt) -> Claim:
        return await self._move(cmd)

    async def cancel_claim(self, cmd: commands.CancelClaim) -> Claim:
        return await self._move(cmd)

    async def _move(self, cmd: commands.ClaimMove) -> Claim:
        """The common path of every claim move: once per request id, by whom access allows,
        saved with its posting and events in one transaction."""
        require_ids(claim_id=cmd.claim_id, request_id=cmd.request_id)
        key = model.request_key(cmd.caller, cmd.request_id)
        now, policy = self._clock.now(), self._policy.current

        async def work(tx: Tx) -> Claim:
            before = await _load_claim(tx.repos, cmd.caller, cmd.claim_id)
            if before.has_applied(key):
                return before  # a retry of a move already made
            access.require_may(moves.action(cmd), cmd.caller, before)
            # A decision is checked against what is left to refund on the order line.
            refundable = (await _load_purchase(tx.repos, before.purchase_id)).refundable if isinstance(cmd, commands.DecideClaim) else None
            transition = model.stamp_move(before, moves.apply(before, cmd, now, policy, refundable), key)
            entries: tuple[LedgerEntry, ...] = ()
            if transition.posting is not None:
                await _reserve_refund(tx, before.purchase_id, transition.claim.refunded)
                entries = await _post(tx, transition.posting, now)
            await tx.repos.claims.save(transition.claim, before.version)
            tx.emit(*transition.emitted(entries))
            return transition.claim

        return await self._uow.transaction(work)

    # --- balances -----------------------------------------------------------------------------

    async def get_balance(self, cmd: commands.GetBalance) -> ShopBalance:
        shop_id = access.balance_shop(cmd.caller, cmd.shop_id)
        amount, updated_at = await self._uow.reader().balances.get(Account.shop(shop_id), self._policy.current.currency_code)
        return ShopBalance(shop_id, amount, updated_at)

    async def list_ledger_entries(self, cmd: commands.ListLedgerEntries) -> tuple[list[LedgerEntry], str]:
        shop_id = access.balance_shop(cmd.caller, cmd.shop_id)
        return await self._uow.reader().ledger.page(Account.shop(shop_id), page_size(cmd.page_size), cmd.page_token)
