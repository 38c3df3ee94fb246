"""Moderation's use cases: load through the repositories, let the domain decide, save and emit."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from prilavok_platform.clock import Clock, to_millisecond
from prilavok_platform.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from prilavok_platform.idempotency import require_same_request
from prilavok_platform.identity import Party
from prilavok_platform.pagination import page_size
from prilavok_platform.policy_file import PolicyHolder
from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.moderation.domain import access
from services.moderation.domain.appeals import appeal_resolved, file_appeal
from services.moderation.domain.commands import (
    AppealDecision,
    CheckMessage,
    CheckMessages,
    GetSenderStanding,
    LiftSuspension,
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
    ReviewKind,
    SenderStanding,
    SuspensionLift,
    Verdict,
    Violation,
)
from services.moderation.domain.policy import Policy
from services.moderation.domain.recording import Withdrawal, is_violation, lift_suspension, record_violation, withdraw_strike
from services.moderation.service_layer.ports import ModerationRepositories

Tx = Transaction[ModerationRepositories]


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
        at = to_millisecond(command.occurred_at)  # when it was written: the strike's date
        now = to_millisecond(self._clock.now())  # when it is recorded: a suspension's start, the standing's news
        party = command.sender.offender

        async def work(tx: Transaction[ModerationRepositories]) -> Violation:
            existing = await tx.repos.violations.get(command.message_id)
            if existing is not None:
                return existing  # recorded already: nothing new
            record = await tx.repos.strike_counters.bump(party)  # first: concurrent recordings for the party conflict
            strikes = await tx.repos.violations.count(party, policy.strikes.window_start(now))
            recording = record_violation(
                message_id=command.message_id, thread_id=command.thread_id, sender=command.sender, text=command.text,
                verdict=command.verdict, policy=policy, strikes_before=strikes, at=at, now=now, suspensions=record.suspensions,
                version=record.version,
            )
            await tx.repos.violations.add(recording.violation)
            if recording.review is not None:
                await tx.repos.reviews.add(recording.review)
            if recording.penalties:
                await tx.repos.penalties.add(recording.penalties)
            if recording.suspension is not None:
                await tx.repos.strike_counters.save_suspensions(party, recording.suspensions)
            tx.emit(*recording.events)
            return recording.violation

        return await self._uow.transaction(work)

    # --- the review queue -----------------------------------------------------------------

    async def list_review_queue(self, command: ListReviewQueue) -> tuple[list[ReviewItem], str]:
        access.authorize_review(command.caller)
        size = page_size(command.page_size)
        return await self._uow.reader().reviews.page(command.wanted, size, command.page_token, command.kind)

    async def resolve_review(self, command: ResolveReview) -> ReviewItem:
        """Decides an item once (the same decision again returns the item as decided; the other
        one is FAILED_PRECONDITION; one for the other kind of item INVALID_ARGUMENT). Approving a
        held message or reversing an appeal also withdraws the violation's strike and fines, in
        the same transaction (`recording.withdraw_strike`). A held message's decision is
        announced by ReviewResolved (the chat delivers or blocks it), an appeal's by
        AppealResolved (the chat delivers a block reversed; the appellant is told)."""
        access.authorize_review(command.caller)
        problems = command.problems()
        if problems:
            raise InvalidArgument(problems)
        now = to_millisecond(self._clock.now())
        policy = self._engine.policy

        async def work(tx: Tx) -> ReviewItem:
            item = await tx.repos.reviews.get(command.review_id)
            if item is None:
                raise NotFound(f"review {command.review_id} not found", reason="REVIEW_NOT_FOUND")
            resolved = item.resolve(command.decision, command.caller.user_id, command.comment, now)
            if resolved is item:
                return item  # decided so already: the retry gets the item as it is
            await tx.repos.reviews.save(resolved)
            if resolved.kind is ReviewKind.HELD_MESSAGE:
                tx.emit(ReviewResolved(now, resolved))
            appeal = resolved.kind is ReviewKind.APPEAL
            violation = await tx.repos.violations.get(resolved.message_id) if resolved.withdraws_strike or appeal else None
            withdrawal = await self._withdraw_strike(tx, resolved, violation, policy, now) if resolved.withdraws_strike else None
            if appeal and violation is not None:
                tx.emit(appeal_resolved(resolved, violation, withdrawal.penalties if withdrawal else (), now))
            return resolved

        return await self._uow.transaction(work)

    @staticmethod
    async def _withdraw_strike(tx: Tx, item: ReviewItem, violation: Violation | None, policy: Policy,
                               now: dt.datetime) -> Withdrawal | None:
        if violation is None or not violation.counts:
            return None  # a review is recorded with its violation: only one withdrawn before leaves nothing to do
        party = violation.sender.offender
        record = await tx.repos.strike_counters.bump(party)  # first: a concurrent recording for the party conflicts
        strikes = await tx.repos.violations.count(party, policy.strikes.window_start(now))
        penalties = tuple(await tx.repos.penalties.of_message(violation.message_id))
        appeal_id = item.review_id if item.kind is ReviewKind.APPEAL else ""
        withdrawal = withdraw_strike(violation=violation, penalties=penalties, policy=policy, strikes_in_window=strikes,
                                     suspensions=record.suspensions, at=now, review_id="" if appeal_id else item.review_id,
                                     appeal_id=appeal_id, version=record.version)
        if withdrawal is None:
            return None
        await tx.repos.violations.save(withdrawal.violation)
        if withdrawal.penalties:
            await tx.repos.penalties.save(withdrawal.penalties)
        if withdrawal.ended:
            await tx.repos.strike_counters.save_suspensions(party, withdrawal.suspensions)
        tx.emit(*withdrawal.events)
        return withdrawal

    # --- appeals ---------------------------------------------------------------------------

    async def appeal_decision(self, command: AppealDecision) -> ReviewItem:
        """The offender appeals a violation (named by its message or a penalty): the appeal
        waits in the review queue. The request id is Stripe's: the same request again returns
        the appeal as first answered (as filed, even once decided: `ReviewItem.as_filed`),
        `replayed` (the servicer marks the answer), another payload under it is
        IDEMPOTENCY_KEY_REUSED. Filing writes the violation (it names its appeal), so two appeals
        of one violation conflict and the second finds the first (APPEAL_ALREADY_FILED)."""
        policy = self._engine.policy
        problems = command.problems(policy.appeals.max_reason_chars)
        if problems:
            raise InvalidArgument(problems)
        request = command.request
        now = to_millisecond(self._clock.now())

        async def work(tx: Tx) -> ReviewItem:
            earlier = await tx.repos.reviews.by_request(request.key)
            if earlier is not None:
                require_same_request(earlier.request.fingerprint if earlier.request else (), request.fingerprint,
                                     request_id=command.request_id)
                return replace(earlier.as_filed(), replayed=True)
            violation = await self._appealed_violation(tx, command)
            access.authorize_appeal(command.caller, violation.sender)
            held = await tx.repos.reviews.get(violation.review_id) if violation.review_id else None
            penalties = tuple(await tx.repos.penalties.of_message(violation.message_id))
            filing = file_appeal(violation=violation, held=held, penalties=penalties, appealed_by=command.caller.user_id,
                                 reason=command.reason, request=request, policy=policy, at=now)
            await tx.repos.violations.save(filing.violation)
            await tx.repos.reviews.add(filing.appeal)
            return filing.appeal

        return await self._uow.transaction(work)

    @staticmethod
    async def _appealed_violation(tx: Tx, command: AppealDecision) -> Violation:
        message_id = command.message_id
        if command.penalty_id:
            penalty = await tx.repos.penalties.get(command.penalty_id)
            if penalty is None:
                raise NotFound(f"penalty {command.penalty_id} not found", reason="PENALTY_NOT_FOUND")
            if message_id and penalty.message_id != message_id:
                raise InvalidArgument(FieldViolation("penalty_id", f"is a fine for another message than {message_id}"))
            message_id = penalty.message_id
        violation = await tx.repos.violations.get(message_id)
        if violation is None:
            raise NotFound(f"no violation recorded for message {message_id}", reason="VIOLATION_NOT_FOUND")
        return violation

    # --- suspensions ------------------------------------------------------------------------

    async def lift_suspension(self, command: LiftSuspension) -> SuspensionLift:
        """A moderator ends a suspension early (StandingChanged: the party may send again), named
        by the suspended party: a shop, or a user - suspended in person, whose suspension the
        record of the offender it wrote for (its shop) holds. The request id is Stripe's: the
        same request again returns the first lift, `replayed` (the servicer marks the answer),
        another payload under it is IDEMPOTENCY_KEY_REUSED. Nothing is written when nothing is
        in force (NOT_SUSPENDED)."""
        access.authorize_lift(command.caller)
        problems = command.problems()
        if problems:
            raise InvalidArgument(problems)
        suspended = access.suspension_subject(command.sender_id, command.shop_id)
        request = command.request
        policy = self._engine.policy
        now = to_millisecond(self._clock.now())

        async def work(tx: Tx) -> SuspensionLift:
            earlier = await tx.repos.lifts.get(request.key)
            if earlier is not None:
                require_same_request(earlier.request.fingerprint, request.fingerprint, request_id=command.request_id)
                return replace(earlier, replayed=True)
            for offender in await tx.repos.strike_counters.holding(suspended):
                suspensions = await tx.repos.strike_counters.suspensions(offender)
                if (found := suspensions.of(suspended)) is not None and found.in_force(now):
                    return await self._lift(tx, offender, suspended, command, policy, now)
            raise FailedPrecondition("the party is not suspended", reason="NOT_SUSPENDED")

        return await self._uow.transaction(work)

    @staticmethod
    async def _lift(tx: Tx, offender: Party, suspended: Party, command: LiftSuspension, policy: Policy,
                    now: dt.datetime) -> SuspensionLift:
        record = await tx.repos.strike_counters.bump(offender)  # a concurrent strike or lift for the offender conflicts
        strikes = await tx.repos.violations.count(offender, policy.strikes.window_start(now))
        lift, event = lift_suspension(suspension=record.suspensions.of(suspended), strikes_in_window=strikes, policy=policy,
                                      moderator=command.caller.user_id, reason=command.reason, request=command.request, at=now,
                                      version=record.version)
        await tx.repos.strike_counters.save_suspensions(offender, record.suspensions.replaced(lift.suspension))
        await tx.repos.lifts.add(lift)
        tx.emit(event)
        return lift

    # --- standing -------------------------------------------------------------------------

    async def get_sender_standing(self, command: GetSenderStanding) -> SenderStanding:
        sender = access.standing_subject(command.caller, command.sender_id, command.shop_id)
        thresholds = self._engine.policy.strikes
        party = sender.offender
        now = to_millisecond(self._clock.now())
        window_start = thresholds.window_start(now)

        # Five reads of one snapshot (a read-only transaction): strikes are recorded while the
        # chat's events arrive, and separate reads could show a fine whose strike is not counted.
        async def work(tx: Transaction[ModerationRepositories]) -> SenderStanding:
            repos = tx.repos
            in_window = await repos.violations.count(party, window_start)
            total = await repos.violations.count(party)
            penalties = await repos.penalties.latest(party, PENALTIES_SHOWN)
            updated_at = await repos.violations.latest_at(party)
            in_force = (await repos.strike_counters.suspensions(party)).in_force_for(sender, now)
            return SenderStanding(sender, thresholds.standing(in_window, in_force, now), in_window, total, tuple(penalties),
                                  updated_at, in_force)

        return await self._uow.transaction(work)
