"""Returns use cases, one handler per command: load, ask the domain, save, emit. Orchestration only."""
from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import AsyncIterator

from prilavok_platform.clock import Clock
from prilavok_platform.errors import FailedPrecondition, InvalidArgument, NotFound, PrilavokError, require_ids
from prilavok_platform.identity import Identity
from prilavok_platform.pagination import page_size
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.returns.domain import access, audit, commands, fines, model, moves
from services.returns.domain.fines import FineOutcome
from services.returns.domain.ledger import Account, LedgerEntry, ShopBalance
from services.returns.domain.model import Claim, Purchase, ReturnsPolicy
from services.returns.service_layer import verify
from services.returns.service_layer.money import load_purchase, post, settle
from services.returns.service_layer.ports import ReturnsRepositories

Tx = Transaction[ReturnsRepositories]
log = logging.getLogger(__name__)


async def _load_claim(repos: ReturnsRepositories, caller: Identity, claim_id: str) -> Claim:
    claim = await repos.claims.get(claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} not found", reason="CLAIM_NOT_FOUND")
    access.require_claim_visible(caller, claim)
    return claim


class HeldPayment(enum.Enum):
    """What one attempt to pay a held refund came to."""

    PAID = "PAID"
    WAITS = "WAITS"  # the shop's balance does not allow it yet
    GONE = "GONE"  # nothing to pay: paid meanwhile (another replica)
    FAILED = "FAILED"  # the payment failed (a write conflict, the database away): logged, tried at the next scan


class ReturnsHandlers:
    def __init__(self, uow: UnitOfWork[ReturnsRepositories], policy: PolicyHolder[ReturnsPolicy], clock: Clock):
        self._uow = uow
        self._policy = policy
        self._clock = clock

    def _now(self) -> dt.datetime:
        """Now, to the millisecond the database keeps: what a call answers is what a retry reads back."""
        return model.to_millisecond(self._clock.now())

    # --- purchases ----------------------------------------------------------------------------

    async def record_purchase(self, cmd: commands.RecordPurchase) -> model.Recorded:
        """Records a purchase once per order line; a retry under its request id is answered as
        the first request was (created, `replayed`)."""
        policy = self._policy.current
        access.require_may_record_purchase(cmd.caller, policy.purchase_recorders)
        now = self._now()
        candidate = model.new_purchase(
            caller=cmd.caller, request_id=cmd.request_id, order_id=cmd.order_id, item_id=cmd.item_id,
            item_name=cmd.item_name, buyer_id=cmd.buyer_id, shop_id=cmd.shop_id, price=cmd.price, quantity=cmd.quantity,
            paid_at=cmd.paid_at, delivered_at=cmd.delivered_at, now=now, policy=policy,
        )

        async def work(tx: Tx) -> model.Recorded:
            by_request = await tx.repos.purchases.find_by_request(candidate.request_key)
            same_line = None if by_request else await tx.repos.purchases.get(candidate.purchase_id)
            recorded = model.record_purchase(candidate, by_request, same_line, cmd.request_id)
            if recorded.created and not recorded.replayed:
                await tx.repos.purchases.add(recorded.purchase)
                posted = await post(tx, recorded.purchase.sale(), now, check_posted=False)
                assert posted is not None  # a sale is never conditional
                tx.emit(*model.balance_changes(posted.entries, posted.held))
            return recorded

        return await self._uow.transaction(work)

    async def get_purchase(self, cmd: commands.GetPurchase) -> Purchase:
        require_ids(purchase_id=cmd.purchase_id)
        purchase = await self._uow.reader().purchases.get(cmd.purchase_id)
        if purchase is None:
            raise NotFound(f"purchase {cmd.purchase_id} not found", reason="PURCHASE_NOT_FOUND")
        access.require_purchase_visible(cmd.caller, purchase)
        return purchase

    # --- claims -------------------------------------------------------------------------------

    async def open_claim(self, cmd: commands.OpenClaim) -> model.Opened:
        """Opens a claim once per request id, keeping its answer with it (`claim_requests`, same
        transaction): a retry is answered with the claim as it was opened (created, `replayed`)."""
        require_ids(request_id=cmd.request_id, purchase_id=cmd.purchase_id)
        access.require_may_open_claims(cmd.caller)
        claim_id = model.claim_id_for(cmd.caller.user_id, cmd.request_id)
        now, policy = self._now(), self._policy.current
        fingerprint = moves.open_claim_fingerprint(cmd)

        async def work(tx: Tx) -> model.Opened:
            existing = await tx.repos.claims.get(claim_id)
            if existing is not None:  # the request id opened a claim: a retry, or a reuse refused
                opened = await tx.repos.requests.get(model.open_request_key(claim_id))
                return model.replay_open(existing, opened, fingerprint, cmd.request_id)
            purchase = await load_purchase(tx.repos, cmd.purchase_id)
            access.require_may_open_claim(cmd.caller, purchase)
            claim = model.open_claim(
                claim_id=claim_id, purchase=purchase, description=cmd.description, photo_ids=cmd.photo_ids,
                video_id=cmd.video_id, requested_form=cmd.requested_form, quantity=cmd.quantity, thread_id=cmd.thread_id,
                defect_found_at=cmd.defect_found_at, open_claim_exists=await tx.repos.claims.has_open_claim(purchase.purchase_id),
                now=now, policy=policy, request_fingerprint=fingerprint,
            )
            await tx.repos.claims.add(claim)
            await tx.repos.requests.add(model.AppliedRequest(model.open_request_key(claim_id), "OpenClaim", claim_id, fingerprint, now, claim))
            tx.emit(*model.opened(claim))
            return model.Opened(claim, True)

        return await self._uow.transaction(work)

    async def get_claim(self, cmd: commands.GetClaim) -> Claim:
        require_ids(claim_id=cmd.claim_id)
        return await _load_claim(self._uow.reader(), cmd.caller, cmd.claim_id)

    async def list_claims(self, cmd: commands.ListClaims) -> tuple[list[Claim], str]:
        scope = access.claim_scope(cmd.caller)
        return await self._uow.reader().claims.page(scope, cmd.status, page_size(cmd.page_size), cmd.page_token)

    async def decide_claim(self, cmd: commands.DecideClaim) -> Claim:
        return (await self.move(cmd)).claim

    async def request_reconsideration(self, cmd: commands.RequestReconsideration) -> Claim:
        return (await self.move(cmd)).claim

    async def respond_to_offer(self, cmd: commands.RespondToOffer) -> Claim:
        return (await self.move(cmd)).claim

    async def hand_over_item(self, cmd: commands.HandOverItem) -> Claim:
        return (await self.move(cmd)).claim

    async def confirm_receipt(self, cmd: commands.ConfirmReceipt) -> Claim:
        return (await self.move(cmd)).claim

    async def cancel_claim(self, cmd: commands.CancelClaim) -> Claim:
        return (await self.move(cmd)).claim

    async def move(self, cmd: commands.ClaimMove) -> model.Moved:
        """The common path of every claim move: once per request id (kept with the move and the
        claim as the move left it, in its transaction: a retry is answered with that claim, the
        first result, `replayed`, however the claim moved since; the id reused for another
        request is IDEMPOTENCY_KEY_REUSED), by whom access allows, saved with its money and events."""
        require_ids(claim_id=cmd.claim_id, request_id=cmd.request_id)
        key = model.request_key(cmd.caller, cmd.request_id)
        method, fingerprint = moves.request_of(cmd)
        now, policy = self._now(), self._policy.current

        async def work(tx: Tx) -> model.Moved:
            applied = await tx.repos.requests.get(key)
            if applied is not None:  # a retry of a move already made
                model.require_same_move(applied, method, fingerprint, cmd.request_id)
                if applied.claim is None:  # recorded before answers were kept: the claim as it is now
                    return model.Moved(await _load_claim(tx.repos, cmd.caller, applied.claim_id), True)
                access.require_claim_visible(cmd.caller, applied.claim)
                return model.Moved(applied.claim, True)
            before = await _load_claim(tx.repos, cmd.caller, cmd.claim_id)
            if before.has_applied(key):
                return model.Moved(before, True)  # a retry of a move made before request records existed
            access.require_may(moves.action(cmd), cmd.caller, before)
            # A decision is checked against what is left on the order line.
            line = await load_purchase(tx.repos, before.purchase_id) if isinstance(cmd, commands.DecideClaim) else None
            try:
                transition = model.stamp_move(before, moves.apply(before, cmd, now, policy, line))
            except FailedPrecondition as exc:  # not a move for now: say which are
                available = access.available_actions(cmd.caller, before, policy.max_reconsiderations)
                exc.metadata.setdefault("available_actions", ",".join(a.name for a in available))
                raise
            transition, posted = await settle(tx, transition, now, policy)
            await tx.repos.claims.save(transition.claim, before.version)
            await tx.repos.requests.add(model.AppliedRequest(key, method, before.claim_id, fingerprint, now, transition.claim))
            tx.emit(*transition.emitted(posted.entries, posted.held))
            return model.Moved(transition.claim)

        return await self._uow.transaction(work)

    def available_actions(self, caller: Identity, claim: Claim) -> tuple[access.ClaimAction, ...]:
        """The moves `caller` may make on `claim` now (Claim.available_actions)."""
        return access.available_actions(caller, claim, self._policy.current.max_reconsiderations)

    # --- balances -----------------------------------------------------------------------------

    async def get_balance(self, cmd: commands.GetBalance) -> ShopBalance:
        shop_id = access.balance_shop(cmd.caller, cmd.shop_id)
        policy = self._policy.current
        amount, held, updated_at = await self._uow.reader().balances.get(Account.shop(shop_id), policy.currency_code)
        return ShopBalance(shop_id, amount, updated_at, held, policy.overdraft_limit)

    # --- verifying the ledger -------------------------------------------------------------------

    async def verify_ledger(self, cmd: commands.VerifyLedger) -> AsyncIterator[audit.Progress]:
        """Reads the whole ledger, then the balances, purchases and claims, page by page, and
        checks them against each other (`domain/audit.py`), each suspect again on a snapshot of
        its documents (`verify.py`: exact while the service posts); yields its progress on the
        way and last the report (done, with the problems found)."""
        access.require_may_verify_ledger(cmd.caller)
        async for progress in verify.verify_ledger(self._uow, audit.max_problems_of(cmd.max_problems)):
            yield progress

    # --- fines (moderation's penalties) ---------------------------------------------------------

    async def post_fine(self, cmd: commands.PostFine) -> FineOutcome:
        """Posts an issued penalty's fine once per penalty id (a redelivery changes nothing),
        whatever it does to the shop's balance; non-shop offenders have no account to post to.
        A penalty whose fine can never be posted is INVALID_ARGUMENT, and remembered as refused
        (`refused_fines`) so that its withdrawal is acknowledged rather than redelivered."""
        try:
            posting = fines.fine_posting(cmd.penalty, self._policy.current)
        except InvalidArgument as exc:
            await self._remember_refused(fines.refused_fine(cmd.penalty, exc, self._now()))
            raise
        if posting is None:
            return FineOutcome.NOT_A_SHOP
        now = self._now()

        async def work(tx: Tx) -> FineOutcome:
            if await tx.repos.ledger.has_posting(posting.posting_id):
                return FineOutcome.ALREADY_POSTED
            posted = await post(tx, posting, now, check_posted=False)
            assert posted is not None  # a fine is never conditional
            tx.emit(*model.balance_changes(posted.entries, posted.held))
            return FineOutcome.POSTED

        return await self._uow.transaction(work)

    async def _remember_refused(self, refused: fines.RefusedFine | None) -> None:
        if refused is None:
            return

        async def work(tx: Tx) -> None:
            await tx.repos.refused_fines.add(refused)

        await self._uow.transaction(work)

    async def reverse_fine(self, cmd: commands.ReverseFine) -> FineOutcome:
        """Reverses a withdrawn penalty's fine once, by a new posting of the fine's entries
        negated; FineNotPosted (FAILED_PRECONDITION) while the fine is not in the ledger yet;
        FINE_REFUSED (nothing posted) when its fine was refused and so will never be."""
        now = self._now()
        penalty_id = cmd.penalty.penalty_id
        reversal_id = fines.reversal_posting_id(penalty_id)

        async def work(tx: Tx) -> FineOutcome:
            fine = await tx.repos.ledger.posting_entries(fines.fine_posting_id(penalty_id))
            refused = not fine and penalty_id != "" and await tx.repos.refused_fines.get(penalty_id) is not None
            posting = fines.reversal_posting(cmd.penalty, fine, refused)
            if isinstance(posting, FineOutcome):
                return posting
            if await tx.repos.ledger.has_posting(reversal_id):
                return FineOutcome.ALREADY_POSTED
            posted = await post(tx, posting, now, check_posted=False)
            assert posted is not None
            tx.emit(*model.balance_changes(posted.entries, posted.held))
            return FineOutcome.POSTED

        return await self._uow.transaction(work)

    # --- held refunds -------------------------------------------------------------------------

    async def pay_held_refunds(self, cmd: commands.PayHeldRefunds) -> int:
        """Pays the refunds held for lack of funds that the shops' balances now allow, oldest
        first per shop: a shop's younger refunds wait for the rest of the scan while its oldest
        cannot be paid, for lack of funds or because paying it failed (a write conflict, the
        database away), so no refund is ever paid before an older one of its shop. How many
        were paid. Safe with several replicas: each payment is one transaction on the claim's
        version, so a refund another replica paid meanwhile is skipped."""
        paid, blocked, token = 0, set(), ""
        while True:
            claims, token = await self._uow.reader().claims.pending_refunds(cmd.batch_size, token)
            for claim in claims:
                if claim.shop_id in blocked:
                    continue
                outcome = await self._pay_held(claim.claim_id)
                if outcome in (HeldPayment.WAITS, HeldPayment.FAILED):
                    blocked.add(claim.shop_id)
                paid += outcome is HeldPayment.PAID
            if not token:
                return paid

    async def _pay_held(self, claim_id: str) -> HeldPayment:
        now, policy = self._now(), self._policy.current

        async def work(tx: Tx) -> HeldPayment:
            claim = await tx.repos.claims.get(claim_id)
            if claim is None or claim.refund_state is not model.RefundState.PENDING_FUNDS:
                return HeldPayment.GONE
            payment = claim.payment()
            posted = await post(tx, payment, now, floor=policy.overdraft_floor(), release=claim.refund_held)
            if posted is None:
                return HeldPayment.WAITS
            paid = model.pay_held(claim, now)
            await tx.repos.claims.save(paid, claim.version)
            tx.emit(*model.payment_events(paid, payment, posted.entries, posted.held, now))
            return HeldPayment.PAID

        try:
            return await self._uow.transaction(work)
        except PrilavokError as exc:
            log.warning("held refund of claim %s not paid: %s; its shop's younger refunds wait for the next scan", claim_id, exc)
            return HeldPayment.FAILED

    async def list_ledger_entries(self, cmd: commands.ListLedgerEntries) -> tuple[list[LedgerEntry], str]:
        shop_id = access.balance_shop(cmd.caller, cmd.shop_id)
        return await self._uow.reader().ledger.page(Account.shop(shop_id), page_size(cmd.page_size), cmd.page_token)
