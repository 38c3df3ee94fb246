"""Moderation's use cases: load through the repositories, let the domain decide, save and emit."""
from __future__ import annotations

from dataclasses import dataclass

from prilavok_platform.clock import Clock, SystemClock
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
    ResolveReview,
    batch_problems,
)
from services.moderation.domain.engine import ModerationEngine
from services.moderation.domain.events import ReviewResolved
from services.moderation.domain.model import MessageToCheck, ReviewItem, SenderStanding, Verdict
from services.moderation.domain.policy import Policy
from services.moderation.domain.recording import must_record, record_violation
from services.moderation.service_layer.ports import ModerationRepositories

STANDING_PENALTIES = 50  # the most recent penalties shown with a standing


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    review_id: str = ""  # set when the message was held for a human (recording checks)


class ModerationHandlers:
    """The policy comes from the holder; the engine built from it is swapped whole when it
    reloads, and each call reads the engine (and its policy) once, so one call never mixes two
    policies."""

    def __init__(
        self,
        uow: UnitOfWork[ModerationRepositories],
        policies: PolicyHolder[Policy],
        clock: Clock | None = None,
    ):
        self._uow = uow
        self._clock = clock or SystemClock()
        self._engine = ModerationEngine(policies.current)
        policies.on_change(self._use_policy)

    def _use_policy(self, policy: Policy) -> None:
        self._engine = ModerationEngine(policy)

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
        sender = item.sender
        verdict = engine.check(MessageToCheck(item.text, sender.role))
        if not must_record(verdict, item.record):
            return CheckResult(verdict)
        now = self._clock.now()
        policy = engine.policy

        async def work(tx: Transaction[ModerationRepositories]) -> str:
            existing = await tx.repos.violations.get(item.message_id)
            if existing is not None:
                return existing.review_id  # the same message checked again (a retry): nothing new
            strikes = await tx.repos.violations.count(sender.offender, policy.strikes.window_start(now))
            recording = record_violation(
                message_id=item.message_id, thread_id=item.thread_id, sender=sender, text=item.text,
                verdict=verdict, policy=policy, strikes_before=strikes, at=now,
            )
            await tx.repos.violations.add(recording.violation)
            if recording.review is not None:
                await tx.repos.reviews.add(recording.review)
            if recording.penalties:
                await tx.repos.penalties.add(recording.penalties)
            tx.emit(*recording.events)
            return recording.violation.review_id

        return CheckResult(verdict, await self._uow.transaction(work))

    # --- the review queue -----------------------------------------------------------------

    async def list_review_queue(self, command: ListReviewQueue) -> tuple[list[ReviewItem], str]:
        access.authorize_review(command.caller)
        size = page_size(command.page_size)
        return await self._uow.reader().reviews.page(command.status, size, command.page_token)

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
        repos = self._uow.reader()
        party = sender.offender
        in_window = await repos.violations.count(party, thresholds.window_start(self._clock.now()))
        total = await repos.violations.count(party)
        penalties = await repos.penalties.latest(party, STANDING_PENALTIES)
        return SenderStanding(sender, thresholds.level(in_window), in_window, total, tuple(penalties))
