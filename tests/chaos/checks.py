"""After the load: wait until the asynchronous paths (outboxes, consumers) have settled, then hold
the ledger to what callers were told. Reads go through the public API only (support and moderator
identities), plus VerifyLedger, which checks the whole ledger server-side."""
from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc

from prilavok.moderation.v1 import moderation_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from tests.chaos.calls import Caller, md, retry_kind
from tests.chaos.flows import Outcomes, refund_state, status_name

AUDITOR = As(Role.SUPPORT, "chaos-auditor")
MODERATOR = As(Role.MODERATOR, "chaos-moderator")
SALE, REFUND, SHIPPING, FINE = (returns_pb2.ENTRY_KIND_SALE, returns_pb2.ENTRY_KIND_REFUND, returns_pb2.ENTRY_KIND_SHIPPING_REIMBURSEMENT,
                                returns_pb2.ENTRY_KIND_FINE)
T = TypeVar("T")


@dataclass
class ShopView:
    shop_id: str
    entries: list[Any]
    balance: int

    def of(self, kind: int) -> list[Any]:
        return [e for e in self.entries if e.kind == kind]

    def postings(self, entries: Iterable[Any]) -> dict[str, int]:
        """posting id -> the sum of the given entries of that posting on this shop."""
        out: dict[str, int] = defaultdict(int)
        for entry in entries:
            out[entry.posting_id] += entry.amount.amount_minor
        return dict(out)


def fine_key(entry: Any) -> str:
    """What names a fine's entry: its penalty id when the ledger gives one, else its posting id."""
    if "penalty_id" in entry.DESCRIPTOR.fields_by_name and entry.penalty_id:
        return str(entry.penalty_id)
    return str(entry.posting_id)


def balance_amount(balance: Any) -> int:
    """The shop's current balance (`current` once the overdraft rule lands, `available` before)."""
    name = "current" if "current" in balance.DESCRIPTOR.fields_by_name else "available"
    return int(getattr(balance, name).amount_minor)


async def bounded(items: Iterable[T], work: Callable[[T], Awaitable[Any]], limit: int = 16) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with gate:
            return await work(item)

    return await asyncio.gather(*(one(i) for i in items))


async def read_shop(caller: Caller, shop_id: str) -> ShopView:
    entries, token = [], ""
    while True:
        page = await caller.read("returns", "ListLedgerEntries",
                                 returns_pb2.ListLedgerEntriesRequest(shop_id=shop_id, page_size=100, page_token=token), AUDITOR)
        entries += list(page.entries)
        token = page.next_page_token
        if not token:
            break
    balance = await caller.read("returns", "GetBalance", returns_pb2.GetBalanceRequest(shop_id=shop_id), AUDITOR)
    return ShopView(shop_id, entries, balance_amount(balance.balance))


@dataclass
class Settling:
    seconds: float = 0.0
    fines_posted: int = 0
    fines_expected: int = 0
    complete: bool = False


async def settle(caller: Caller, outcomes: Outcomes, *, timeout: float, after_restart: float, redelivery_s: float,
                 log: Callable[[str], None]) -> Settling:
    """Polls until every expected fine is on its shop's ledger and nothing has moved for two polls,
    and (so that a redelivered event would show a double) `redelivery_s` after the last restart."""
    started = time.monotonic()
    state = Settling(fines_expected=len(outcomes.fines))
    shops = sorted({f.shop_id for f in outcomes.fines})
    previous: tuple = ()
    while True:
        views = {v.shop_id: v for v in await bounded(shops, lambda s: read_shop(caller, s))}
        posted = sum(1 for f in outcomes.fines if any(f.message_id in fine_key(e) for e in views[f.shop_id].of(FINE)))
        snapshot = tuple((s, len(v.entries), v.balance) for s, v in sorted(views.items()))
        state.fines_posted, state.seconds = posted, round(time.monotonic() - started, 1)
        quiet = snapshot == previous and time.monotonic() - after_restart >= redelivery_s
        if posted == len(outcomes.fines) and quiet:
            state.complete = True
            return state
        if time.monotonic() - started > timeout:
            log(f"settling: gave up after {timeout:.0f} s with {posted}/{len(outcomes.fines)} fines posted")
            return state
        previous = snapshot
        await asyncio.sleep(1.0)


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    verify_ledger: dict | None = None
    refunds_checked: int = 0
    fines_checked: int = 0
    held_at_end: int = 0
    fine_delays: list[float] = field(default_factory=list)  # seconds from the penalty issued to its fine posted
    fine_times: list[tuple[str, str, str]] = field(default_factory=list)  # (issued, posted, shop), UTC
    shops_checked: int = 0


async def verify(caller: Caller, outcomes: Outcomes) -> Verification:
    result = Verification()
    views = {v.shop_id: v for v in await bounded(sorted(outcomes.shops), lambda s: read_shop(caller, s))}
    result.shops_checked = len(views)
    held = await check_claims(caller, outcomes, result)
    check_sales_and_refunds(outcomes, views, held, result)
    await check_fines(caller, outcomes, views, result)
    for view in views.values():
        total = sum(e.amount.amount_minor for e in view.entries)
        if total != view.balance:
            result.problems.append(f"shop {view.shop_id}: balance {view.balance} but its entries sum to {total}")
    result.verify_ledger = await verify_ledger(caller)
    if result.verify_ledger is not None and not result.verify_ledger.get("ok"):
        result.problems.append(f"VerifyLedger found problems: {result.verify_ledger.get('problems') or result.verify_ledger}")
    return result


def check_sales_and_refunds(outcomes: Outcomes, views: dict[str, ShopView], held: set[str], result: Verification) -> None:
    """Sales once each; no line refunded above its price; each acknowledged refund posted exactly
    once with its amounts (none while its money is still held); no refund posting nobody was told of."""
    for sale in outcomes.sales:
        postings = views[sale.shop_id].postings(e for e in views[sale.shop_id].of(SALE) if e.purchase_id == sale.purchase_id)
        if list(postings.values()) != [sale.amount]:
            result.problems.append(f"purchase {sale.purchase_id} (shop {sale.shop_id}): sale postings {postings}, expected one of {sale.amount}")
    acknowledged = {r.claim_id: r for r in outcomes.refunds}
    for view in views.values():
        check_line_limits(view, result)
        for claim_id, (postings, got) in claim_postings(view).items():
            ack = acknowledged.get(claim_id)
            if ack is None:
                if view.shop_id not in outcomes.uncertain_shops:
                    result.problems.append(f"claim {claim_id} (shop {view.shop_id}) has refund postings {postings} but no caller was told it settled")
            elif ack.claim_id in held:
                result.problems.append(f"claim {claim_id} (shop {view.shop_id}) reads PENDING_FUNDS but has refund postings {postings}")
            elif len(postings) != 1 or got != (ack.refund, ack.shipping):
                result.problems.append(f"claim {claim_id} (shop {view.shop_id}): refund/shipping {got} in postings {postings}, "
                                       f"acknowledged {(ack.refund, ack.shipping)} once")
    for ack in outcomes.refunds:
        result.refunds_checked += 1
        if (ack.refund or ack.shipping) and ack.claim_id not in held and not claim_postings(views[ack.shop_id]).get(ack.claim_id):
            result.problems.append(f"claim {ack.claim_id} (shop {ack.shop_id}): acknowledged refund {ack.refund}+{ack.shipping} is not in the ledger")


def check_line_limits(view: ShopView, result: Verification) -> None:
    sold: dict[str, int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    for entry in view.entries:
        if entry.kind == SALE:
            sold[entry.purchase_id] += entry.amount.amount_minor
        elif entry.kind == REFUND:
            refunded[entry.purchase_id] -= entry.amount.amount_minor
    for line, amount in refunded.items():
        if amount > sold[line]:
            result.problems.append(f"order line {line} (shop {view.shop_id}) refunded {amount} above its price {sold[line]}")


def claim_postings(view: ShopView) -> dict[str, tuple[list[str], tuple[int, int]]]:
    """claim id -> (its refund postings, (refund, shipping) taken from the shop)."""
    postings: dict[str, set[str]] = defaultdict(set)
    amounts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in view.entries:
        if entry.kind in (REFUND, SHIPPING):
            postings[entry.claim_id].add(entry.posting_id)
            amounts[entry.claim_id][0 if entry.kind == REFUND else 1] -= entry.amount.amount_minor
    return {c: (sorted(p), (amounts[c][0], amounts[c][1])) for c, p in postings.items()}


async def check_claims(caller: Caller, outcomes: Outcomes, result: Verification) -> set[str]:
    """Each acknowledged refund's claim reads SETTLED with its amounts; returns the claims whose
    money is still held (PENDING_FUNDS), which the ledger must not show yet."""
    held: set[str] = set()

    async def one(ack: Any) -> None:
        claim = (await caller.read("returns", "GetClaim", returns_pb2.GetClaimRequest(claim_id=ack.claim_id), AUDITOR)).claim
        seen = (status_name(claim.status), claim.refunded.amount_minor, claim.shipping_reimbursed.amount_minor)
        if seen != ("CLAIM_STATUS_SETTLED", ack.refund, ack.shipping):
            result.problems.append(f"claim {ack.claim_id}: reads {seen}, acknowledged SETTLED {ack.refund}+{ack.shipping}")
        if refund_state(claim) == "REFUND_STATE_PENDING_FUNDS":
            held.add(ack.claim_id)

    await bounded(outcomes.refunds, one)
    result.held_at_end = len(held)
    return held


async def check_fines(caller: Caller, outcomes: Outcomes, views: dict[str, ShopView], result: Verification) -> None:
    expected: dict[str, list[str]] = defaultdict(list)
    for fine in outcomes.fines:
        expected[fine.shop_id].append(fine.message_id)

    async def standing(shop: str) -> tuple[str, Any]:
        request = moderation_pb2.GetSenderStandingRequest(shop_id=shop)
        return shop, await caller.read("moderation", "GetSenderStanding", request, MODERATOR)

    standings = dict(await bounded(sorted(outcomes.shops), standing))
    for shop, view in views.items():
        penalties = {p.penalty_id: p for p in standings[shop].penalties}
        fines = view.postings(view.of(FINE))
        keys = {fine_key(e): e.posting_id for e in view.of(FINE)}
        reversals = {k: v for k, v in fines.items() if v > 0}
        reversals.update(view.postings(e for e in view.entries if returns_pb2.EntryKind.Name(e.kind) == "ENTRY_KIND_FINE_REVERSAL"))
        if reversals:
            result.problems.append(f"shop {shop}: fine reversals {reversals} though no appeal or review was made")
        for message_id in expected.get(shop, []):
            result.fines_checked += 1
            owed = [p for p in penalties.values() if p.message_id == message_id]
            posted = sorted({posting for key, posting in keys.items() if message_id in key})
            if len(owed) != 1:
                result.problems.append(f"shop {shop}: message {message_id} was blocked; moderation lists {len(owed)} penalties for it")
            if len(posted) != 1:
                result.problems.append(f"shop {shop}: the fine for message {message_id} is posted {len(posted)} times {posted}")
            elif owed and fines[posted[0]] != -owed[0].fine.amount_minor:
                result.problems.append(f"shop {shop}: fine posting {posted[0]} moves {fines[posted[0]]}, the penalty is {owed[0].fine.amount_minor}")
            if owed and len(posted) == 1:
                entry = next(e for e in view.of(FINE) if e.posting_id == posted[0])
                issued, posted_at = owed[0].issued_at.ToDatetime(), entry.posted_at.ToDatetime()
                result.fine_delays.append(round((posted_at - issued).total_seconds(), 3))
                result.fine_times.append((issued.isoformat(timespec="milliseconds"), posted_at.isoformat(timespec="milliseconds"), shop))
        stray = [k for k in keys if not any(m in k for m in expected.get(shop, []))]
        if stray and shop not in outcomes.uncertain_shops:
            result.problems.append(f"shop {shop}: fines {stray} posted without a message the caller saw blocked")
        stray_penalties = [p for p in penalties.values() if p.message_id not in expected.get(shop, [])]
        if stray_penalties and shop not in outcomes.uncertain_shops:
            result.problems.append(f"shop {shop}: moderation penalties {[p.penalty_id for p in stray_penalties]} without a blocked message")


async def verify_ledger(caller: Caller) -> dict | None:
    """The server-side check of the whole ledger; None while returns has no VerifyLedger."""
    if not hasattr(returns_pb2, "VerifyLedgerRequest"):
        return None
    last = None
    for attempt in range(5):
        try:
            stub = caller.channels.stub("returns")
            call = stub.VerifyLedger(returns_pb2.VerifyLedgerRequest(max_problems=100), metadata=md(AUDITOR), timeout=600)
            progress = 0
            async for reply in call:
                progress += 1
                last = reply
            break
        except grpc.RpcError as error:  # a stream cut by a crash is asked again; a final answer is reported
            if attempt == 4 or not retry_kind(error):
                return {"ok": False, "problems": [f"VerifyLedger failed: {error.code().name}: {error.details()}"]}
            await asyncio.sleep(1)
    if last is None or not last.done:
        return {"ok": False, "problems": ["VerifyLedger ended without its final message"]}
    return {
        "ok": last.ok, "messages": progress, "entries_checked": last.entries_checked, "postings_checked": last.postings_checked,
        "accounts_checked": last.accounts_checked, "purchases_checked": last.purchases_checked, "claims_checked": last.claims_checked,
        "penalties_checked": last.penalties_checked,
        "problems": [f"{p.kind} {p.subject}: {p.detail}" for p in last.problems],
    }
