"""Moderation's use cases: load through the repositories, let the domain decide, save and emit."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    MessageCheck,
    RecordMessage,
    ResolveReview,
    batch_problems,
)
from services.moderation.domain.engine import ModerationEngine
from services.moderation.domain.events import ReviewResolved
from services.moderation.domain.model import MessageToCheck, ReviewItem, SenderStanding, Verdict
from services.moderation.domain.policy import Policy
from services.moderation.domain.recording import is_violation, must_record, record_violation
from services.moderation.service_layer.ports import ModerationRepositories

STANDING_PENALTIES = 50  # the most recent penalties shown with a standing


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    review_id: str = ""  # set when the message was held for a human (recording checks)


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
        engine = ModerationEngine(policy)
        self._engine = engine
        self._after_engine_build()

    @property
    def engine(self) -> ModerationEngine:
        return self._engine

    # --- checks ---------------------------------------------------------------------------

    async def check_message(self, command: CheckMessage) -> CheckResult:
        access.authorize_check(command.caller, [command.item])
        engine = self._engine
        problems = command.item.problems(engine.policy.max_text_chars)
        if problems:
            raise InvalidArgument(problems)
        return await self._check(engine, command.item)

    async def check_messages(self, command: CheckMessages) -> list[CheckResult]:
        access.authorize_check(command.caller, command.items)
        engine = self._engine
        problems = batch_problems(command.items, engine.policy.max_text_chars)
        if problems:
            raise InvalidArgument(problems)
        return [await self._check(engine, item) for item in command.items]

    async def _check(self, engine: ModerationEngine, item: MessageCheck) -> CheckResult:
        if item.record:
            # A retried recording check answers what was recorded: the engine (or its policy)
            # may have changed since, and the caller stored the message under that verdict.
            stored = await self._uow.reader().violations.get(item.message_id)
            if stored is not None:
                return CheckResult(stored.verdict, stored.review_id)
        verdict = engine.check(MessageToCheck(item.text, item.sender.role))
        if not must_record(verdict, item.record):
            return CheckResult(verdict)
        return await self._record(RecordMessage.of_check(item, verdict, self._clock.now()), engine.policy)

    # --- recording what the chat stored ----------------------------------------------------

    async def record_message(self, command: RecordMessage) -> CheckResult:
        """The chat stored a message under a verdict (its message events): a violation is kept,
        once per message id, so a redelivered event records nothing new. No caller: the event
        comes from the chat's own stream."""
        problems = command.problems()
        if problems:
            raise InvalidArgument(problems)
        if not is_violation(command.verdict):
            return CheckResult(command.verdict)
        return await self._record(command, self._engine.policy)

    async def _record(self, command: RecordMessage, policy: Policy) -> CheckResult:
        at = command.occurred_at

        async def work(tx: Transaction[ModerationRepositories]) -> CheckResult:
            existing = await tx.repos.violations.get(command.message_id)
            if existing is not None:
                return CheckResult(existing.verdict, existing.review_id)  # recorded already: nothing new
            strikes = await tx.repos.violations.count(command.sender.offender, policy.strikes.window_start(at))
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
            return CheckResult(recording.violation.verdict, recording.violation.review_id)

        return await self._uow.transaction(work)

    # --- the review queue -----------------------------------------------------------------

    async def list_review_queue(self, command: ListReviewQueue) -> tuple[list[ReviewItem], str]:
        access.authorize_review(command.caller)
        size = page_size(command.page_size)
        return await self._uow.reader().reviews.page(command.wanted, size, command.page_token)

    async def resolve_review(self, command: ResolveReview) -> ReviewItem:
        access.authorize_review(command.caller)
        problems = command.problems()
        if problems:
            raise InvalidArgument(problems)
        now = self._clock.now()

        async def work(tx: Transaction[ModerationRepositories]) -> ReviewItem:
            item = await tx.repos.reviews.get(command.review_id)
            if item is None:
                raise NotFound(f"review {command.review_id} not found", reason="REVIEW_NOT_FOUND")
            resolved = item.resolve(command.decision, command.caller.user_id, command.comment, now)
            await tx.repos.reviews.save(resolved)
            tx.emit(ReviewResolved(now, resolved))
            return resolved

        return await self._uow.transaction(work)

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
            penalties = await repos.penalties.latest(party, STANDING_PENALTIES)
            updated_at = await repos.violations.latest_at(party)
            return SenderStanding(sender, thresholds.level(in_window), in_window, total, tuple(penalties), updated_at)

        return await self._uow.transaction(work)
