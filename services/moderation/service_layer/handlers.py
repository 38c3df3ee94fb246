"""Moderation use cases: check (and record), review queue, standing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.errors import FieldViolation, InvalidArgument, Validator
from services.moderation.domain.engine import ModerationEngine
from services.moderation.domain.model import Action, MessageToCheck, SenderRole, Verdict
from services.moderation.domain.policy import Policy
from services.moderation.service_layer.ports import ModerationRepository, ReviewRecord, Sender, ViolationRecord

MAX_BATCH = 500


class EngineHolder:
    """The engine in force; swapped whole when the policy reloads."""

    def __init__(self, engine: ModerationEngine):
        self.engine = engine

    def replace(self, policy: Policy) -> None:
        self.engine = ModerationEngine(policy)


@dataclass(frozen=True)
class CheckCommand:
    message_id: str
    thread_id: str
    thread_kind: str
    first_in_thread: bool
    sender: Sender | None  # None when the role was missing or unknown
    text: str
    record: bool


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    review_id: str = ""


def validate(command: CheckCommand, policy: Policy, prefix: str = "") -> list[FieldViolation]:
    v = Validator()
    if command.sender is None:
        v.add(prefix + "sender_role", "must be one of ROLE_BUYER, ROLE_SELLER, ROLE_SUPPORT, ROLE_MODERATOR")
    elif command.sender.role is SenderRole.SELLER and command.record and not command.sender.shop_id:
        v.add(prefix + "shop_id", "is required for a seller when recording")
    if not command.text.strip():
        v.add(prefix + "text", "must not be empty")
    elif len(command.text) > policy.max_text_chars:
        v.add(prefix + "text", f"must be at most {policy.max_text_chars} characters, got {len(command.text)}")
    if command.record:
        v.identifier(command.message_id, prefix + "message_id")
        v.identifier(command.sender.user_id if command.sender else "", prefix + "sender_id")
    return v.violations


class ModerationHandlers:
    def __init__(self, engines: EngineHolder, repository: ModerationRepository, clock=lambda: dt.datetime.now(dt.UTC)):
        self._engines = engines
        self._repo = repository
        self._clock = clock

    @property
    def policy(self) -> Policy:
        return self._engines.engine.policy

    def verdict(self, command: CheckCommand) -> Verdict:
        assert command.sender is not None
        return self._engines.engine.check(
            MessageToCheck(command.text, command.sender.role, command.first_in_thread, command.thread_kind)
        )

    async def check(self, command: CheckCommand) -> CheckResult:
        violations = validate(command, self.policy)
        if violations:
            raise InvalidArgument(violations)
        return await self._decide(command)

    async def check_batch(self, commands: list[CheckCommand]) -> list[CheckResult]:
        if not commands:
            raise InvalidArgument(FieldViolation("items", "must not be empty"))
        if len(commands) > MAX_BATCH:
            raise InvalidArgument(FieldViolation("items", f"at most {MAX_BATCH} per call, got {len(commands)}"))
        problems: list[FieldViolation] = []
        for index, command in enumerate(commands):
            problems.extend(validate(command, self.policy, prefix=f"items[{index}]."))
        if problems:
            raise InvalidArgument(problems)
        return [await self._decide(c) for c in commands]

    async def _decide(self, command: CheckCommand) -> CheckResult:
        verdict = self.verdict(command)
        if not command.record or verdict.action is Action.ALLOW:
            return CheckResult(verdict)
        assert command.sender is not None
        fines = {
            c: fine
            for c in verdict.categories
            if (fine := self.policy.fines.get((c, command.sender.role))) is not None
        }
        review_id = await self._repo.record_violation(
            ViolationRecord(
                message_id=command.message_id,
                thread_id=command.thread_id,
                sender=command.sender,
                text=command.text,
                verdict=verdict,
                at=self._clock(),
                fines=fines,
                review=verdict.action is Action.REVIEW,
                thresholds=self.policy.strikes,
            )
        )
        return CheckResult(verdict, review_id or "")

    async def list_reviews(self, status: str, limit: int, after: str) -> list[ReviewRecord]:
        return await self._repo.list_reviews(status, limit, after)

    async def resolve_review(self, review_id: str, approve: bool, moderator: str, comment: str) -> ReviewRecord:
        v = Validator()
        v.identifier(review_id, "review_id")
        v.text(comment, "comment", max_len=1000, required=False)
        v.raise_if_any()
        return await self._repo.resolve_review(review_id, approve, moderator, comment, self._clock())

    async def standing(self, sender_key: str) -> tuple[str, int, int, list[dict]]:
        thresholds = self.policy.strikes
        since = self._clock() - dt.timedelta(days=thresholds.window_days)
        in_window, total = await self._repo.strikes(sender_key, since)
        level = thresholds.level(in_window)
        return level, in_window, total, await self._repo.penalties(sender_key, 50)
