"""Moderation's use cases: load through the repositories, let the domain decide, save and emit."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from prilavok_platform.clock import Clock
from prilavok_platform.errors import InvalidArgument, NotFound
from prilavok_platform.pagination import page_size
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.moderation.domain import access
from services.moderation.domain.commands import (
    CheckMessage,
    CheckMessages,
    GetSenderStanding,
    ListReviewQueue,
    RecordMessage,
    ResolveReview,
    batch_problems,
)
from services.moderation.domain.engine import ModerationEngine
from services.moderation.domain.events import ReviewResolved
from services.moderation.domain.model import (
    PENALTIES_SHOWN,
    ReviewItem,
    SenderStanding,
    Verdict,
    Violation,
)
from services.moderation.domain.policy import Policy
from services.moderation.domain.recording import is_violation, record_violation, withdraw_strike
from services.moderation.service_layer.ports import ModerationRepositories


class ModerationHandlers:
    """The policy comes from the holder; the engine built from it is swapped whole when it
    reloads, and each call reads the engine (and its policy) once, so one call never mixes two
    policies. `after_engine_build` is called after every engine is built (at start and on each
    reload); the engine then lives until the next reload (bootstrap freezes it out of the
    garbage collector)."""

    def __init__(
        self,
        uow: UnitOfWork[ModerationRepositories],
        policies: PolicyHolder[Policy],
        clock: Clock,
        *,
        after_engine_build: Callable[[], None] = lambda: None,
    ):
        self._uow = uow
        self._clock = clock
        self._after_engine_build = after_engine_build
        self._use_policy(policies.current)
        policies.on_change(self._use_policy)

    def _use_policy(self, policy: Policy) -> None:
        self._engine = ModerationEngine(policy)
        self._after_engine_build()

    @property
    def engine(self) -> ModerationEngine:
        return self._engine

    # --- checks (a verdict only: nothing is recorded) ---------------------------------------

    async def check_message(self, command: CheckMessage) -> Verdict:
        access.authorize_check(command.caller, [command.item])
        engine = self._engine
        problems = command.item.problems(engine.policy.max_text_chars)
        if problems:
            raise InvalidArgument(problems)
        return engine.check(command.item.message)

    async def check_messages(self, command: CheckMessages) -> list[Verdict]:
        access.authorize_check(command.caller, command.items)
        engine = self._engine
        problems = batch_problems(command.items, engine.policy.max_text_chars)
        if problems:
            raise InvalidArgument(problems)
        return [engine.check(item.message) for item in command.items]

    # --- recording what the chat stored ----------------------------------------------------

    async def record_message(self, command: RecordMessage) -> Violation | None:
        """The chat stored a message under a verdict (its message events): a violation is kept,
        once per message id, so a redelivered event records nothing new (the violation recorded
        first is returned). None for a message allowed as written. No caller: the event comes
        from the chat's own stream. The fines and thresholds are the policy in force's
        (`domain.recording`)."""
        problems = command.problems()
        if problems:
            raise InvalidArgument(problems)
        if not is_violation(command.verdict):
            return None
        policy = self._engine.policy
        at = command.occurred_at
        party = command.sender.offender

        async def work(tx: Transaction[ModerationRepositories]) -> Violation:
            existing = await tx.repos.violations.get(command.message_id)
            if existing is not None:
                return existing  # recorded already: nothing new
            await tx.repos.strike_counters.bump(party)  # first: concurrent recordings for the party conflict
            strikes = await tx.repos.violations.count(party, policy.strikes.window_start(at))
            recording = record_violation(
                message_id=command.message_id, thread_id=command.thread_id, sender=command.sender, text=command.text,
                verdict=command.verdict, policy=policy, strikes_before=strikes, at=at,
            )
            await tx.repos.violations.add(recording.violation)
            if recording.review is not None:
                await tx.repos.reviews.add(recording.review)
            if recording.penalties:
                await tx.repos.penalties.add(recording.penalties)
            tx.emit(*recording.events)
            return recording.violation

        return await self._uow.transaction(work)

    # --- the review queue -----------------------------------------------------------------

    async def list_review_queue(self, command: ListReviewQueue) -> tuple[list[ReviewItem], str]:
        access.authorize_review(command.caller)
        size = page_size(command.page_size)
        return await self._uow.reader().reviews.page(command.wanted, size, command.page_token)

    async def resolve_review(self, command: ResolveReview) -> ReviewItem:
        """Decides a held message once (the same decision again returns the item as decided;
        the other one is FAILED_PRECONDITION). Approving it also withdraws the strike it caused, and its
        fines, in the same transaction (`recording.withdraw_strike`)."""
        access.authorize_review(command.caller)
        problems = command.problems()
        if problems:
            raise InvalidArgument(problems)
        now = self._clock.now()
        policy = self._engine.policy

        async def work(tx: Transaction[ModerationRepositories]) -> ReviewItem:
            item = await tx.repos.reviews.get(command.review_id)
            if item is None:
                raise NotFound(f"review {command.review_id} not found", reason="REVIEW_NOT_FOUND")
            resolved = item.resolve(command.decision, command.caller.user_id, command.comment, now)
            if resolved is item:
                return item  # decided so already: the retry gets the item as it is
            await tx.repos.reviews.save(resolved)
            tx.emit(ReviewResolved(now, resolved))
            if resolved.withdraws_strike:
                await self._withdraw_strike(tx, resolved, policy, now)
            return resolved

        return await self._uow.transaction(work)

    @staticmethod
    async def _withdraw_strike(tx: Transaction[ModerationRepositories], review: ReviewItem, policy: Policy,
                               now: dt.datetime) -> None:
        violation = await tx.repos.violations.get(review.message_id)
        if violation is None or not violation.counts:
            return  # a review is recorded with its violation: only one withdrawn before leaves nothing to do
        party = violation.sender.offender
        await tx.repos.strike_counters.bump(party)  # first: a concurrent recording for the party conflicts
        strikes = await tx.repos.violations.count(party, policy.strikes.window_start(now))
        penalties = tuple(await tx.repos.penalties.of_message(violation.message_id))
        withdrawal = withdraw_strike(review=review, violation=violation, penalties=penalties, policy=policy,
                                     strikes_in_window=strikes, at=now)
        if withdrawal is None:
            return
        await tx.repos.violations.save(withdrawal.violation)
        if withdrawal.penalties:
            await tx.repos.penalties.save(withdrawal.penalties)
        tx.emit(*withdrawal.events)

    # --- standing -------------------------------------------------------------------------

    async def get_sender_standing(self, command: GetSenderStanding) -> SenderStanding:
        sender = access.standing_subject(command.caller, command.sender_id, command.shop_id)
        thresholds = self._engine.policy.strikes
        party = sender.offender
        window_start = thresholds.window_start(self._clock.now())

        # Four reads of one snapshot (a read-only transaction): strikes are recorded while the
        # chat's events arrive, and separate reads could show a fine whose strike is not counted.
        async def work(tx: Transaction[ModerationRepositories]) -> SenderStanding:
            repos = tx.repos
            in_window = await repos.violations.count(party, window_start)
            total = await repos.violations.count(party)
            penalties = await repos.penalties.latest(party, PENALTIES_SHOWN)
            updated_at = await repos.violations.latest_at(party)
            return SenderStanding(sender, thresholds.level(in_window), in_window, total, tuple(penalties), updated_at)

        return await self._uow.transaction(work)
