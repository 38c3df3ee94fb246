"""VerifyLedger on a live ledger: the scan of every collection, batch by batch, then each suspect
the scan found checked again on a snapshot of just its documents. Orchestration only: what is
wrong is decided in `domain/audit.py`.

The scan reads the ledger, the balances, the purchases and the claims one after another, outside
transactions, while the service keeps posting (sales, refunds, the held-refund payer, fines); a
posting committed between two of those reads makes a healthy account, claim or shop look wrong.
So the scan only collects suspects, and each is read again in one short read transaction: the
transaction's reads all come from one snapshot (the documents a posting changes together are seen
together: a balance and its account's entries, a claim and its refund posting, a shop's held
refunds and its held claims, a fine and its reversal), and a suspect is reported only if it is
still wrong there. Whatever is posted during the check, a problem it reports was a problem of one
consistent state of the ledger."""
from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.returns.domain import audit, fines
from services.returns.domain.audit import Problem, Progress
from services.returns.domain.ledger import Account, refund_posting_id
from services.returns.service_layer.ports import ReturnsRepositories

VERIFY_BATCH = 500  # documents per batch when VerifyLedger reads a collection (one cursor each)
RECHECK_PROGRESS_EVERY = 100  # suspects checked again between two progress messages


async def verify_ledger(uow: UnitOfWork[ReturnsRepositories], max_problems: int) -> AsyncIterator[Progress]:
    """Yields progress after every batch and every RECHECK_PROGRESS_EVERY suspects checked again,
    and last the report (done, with the problems confirmed, at most `max_problems`)."""
    checks = audit.LedgerAudit(max_problems)
    reader = uow.reader()
    steps: list[tuple[Callable[[int], AsyncGenerator[list[Any], None]], Callable[[list[Any]], None], Callable[[], None]]] = [
        (reader.ledger.scan, checks.add_entries, checks.end_entries),
        (reader.balances.scan, checks.add_balances, checks.end_balances),
        (reader.purchases.scan, checks.add_purchases, lambda: None),
        (reader.claims.scan, checks.add_claims, lambda: None),
    ]
    for scan, add, end in steps:
        async with aclosing(scan(VERIFY_BATCH)) as batches:  # the cursor closed when the caller stops early
            async for batch in batches:
                add(batch)
                yield checks.progress()
        end()
    confirmed: list[Problem] = []
    for n, suspect in enumerate(checks.finish(), 1):
        if len(confirmed) >= checks.max_problems:
            break
        problem = await check_again(uow, suspect)
        if problem is not None:
            confirmed.append(problem)
        if n % RECHECK_PROGRESS_EVERY == 0:
            yield checks.progress()
    yield checks.report(confirmed)


async def check_again(uow: UnitOfWork[ReturnsRepositories], suspect: Problem) -> Problem | None:
    """The suspect as it stands on one snapshot of its documents: the problem (its detail as of
    now), or None when that snapshot is consistent. A refund above the price stands as found
    (the totals it compares only grow)."""
    if suspect.kind in audit.FINAL_KINDS:
        return suspect

    async def work(tx: Transaction[ReturnsRepositories]) -> Problem | None:
        return await _on_snapshot(tx.repos, suspect)

    return await uow.transaction(work)


async def _on_snapshot(repos: ReturnsRepositories, suspect: Problem) -> Problem | None:
    subject, kind = suspect.subject, suspect.kind
    if kind in audit.POSTING_KINDS:
        posting = audit.posting_totals(subject, await repos.ledger.posting_entries(subject))
        return audit.posting_problem(posting) if posting is not None else None
    if kind in audit.ACCOUNT_KINDS:
        account = Account.parse(subject)
        stored = await repos.balances.stored(account)
        sums, count = audit.account_sums(await repos.ledger.account_amounts(account))
        return audit.balance_problem(account, stored, sums, count)
    if kind in audit.CLAIM_KINDS:
        claim = await repos.claims.get(subject)
        posting_id = refund_posting_id(subject)
        return audit.claim_problem(subject, claim, audit.posting_totals(posting_id, await repos.ledger.posting_entries(posting_id)))
    if kind in audit.SHOP_KINDS:
        account = Account.parse(subject)
        shop_id = account.owner.id if account.owner else ""
        stored = await repos.balances.stored(account)
        held = [amount for claim in await repos.claims.held_of_shop(shop_id) if (amount := audit.held_total(claim)) is not None]
        return audit.held_problem(shop_id, audit.stored_held(stored), held)
    if kind in audit.PENALTY_KINDS:
        fine_id, reversal_id = fines.fine_posting_id(subject), fines.reversal_posting_id(subject)
        fine = audit.posting_totals(fine_id, await repos.ledger.posting_entries(fine_id))
        reversal = audit.posting_totals(reversal_id, await repos.ledger.posting_entries(reversal_id))
        return audit.fine_problem(subject, fine, reversal)
    return suspect
