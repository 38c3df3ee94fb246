"""Moderation's vocabulary: actions, categories, spans, findings and verdicts. Plain Python."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace

from prilavok_platform.errors import FailedPrecondition, FieldViolation, InvalidArgument, PermissionDenied
from prilavok_platform.idempotency import Fingerprint
from prilavok_platform.identity import Identity, Party
from prilavok_platform.ids import SEPARATOR


class Action(enum.IntEnum):
    """Ordered by severity: the verdict takes the most severe action among its findings."""

    ALLOW = 1
    WARN = 2
    MASK = 3
    REVIEW = 4
    BLOCK = 5

    @property
    def delivered_as_written(self) -> bool:
        return self in (Action.ALLOW, Action.WARN)


class Category(str, enum.Enum):
    CONTACT_EXCHANGE = "CONTACT_EXCHANGE"
    OFF_PLATFORM_LURE = "OFF_PLATFORM_LURE"
    PERSONAL_DATA = "PERSONAL_DATA"
    PHISHING_LINK = "PHISHING_LINK"
    PROFANITY = "PROFANITY"
    INSULT = "INSULT"
    THREAT = "THREAT"
    DISPARAGEMENT = "DISPARAGEMENT"
    SPAM_ADVERTISING = "SPAM_ADVERTISING"
    EXTRA_PAYMENT = "EXTRA_PAYMENT"
    LOW_EFFORT_REPLY = "LOW_EFFORT_REPLY"


class SenderRole(str, enum.Enum):
    BUYER = "buyer"
    SELLER = "seller"
    SUPPORT = "support"
    MODERATOR = "moderator"


@dataclass(frozen=True, order=True)
class Span:
    """[start, end) in code points of the original text."""

    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    category: Category
    rule: str
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Verdict:
    action: Action
    findings: tuple[Finding, ...]
    reason: str
    masked_text: str
    policy_version: str

    @property
    def categories(self) -> list[Category]:
        seen: dict[Category, None] = {}
        for finding in self.findings:
            seen.setdefault(finding.category)
        return list(seen)

    @staticmethod
    def reported(
        action: Action, categories: tuple[Category, ...], reason: str, policy_version: str, masked_text: str = ""
    ) -> Verdict:
        """A verdict as another service reports it (the chat's message events): the categories
        without their rules or spans, which the chat does not keep."""
        return Verdict(action, tuple(Finding(c, "") for c in dict.fromkeys(categories)), reason, masked_text, policy_version)


@dataclass(frozen=True)
class MessageToCheck:
    text: str
    role: SenderRole


# --- records kept against senders ---------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """Who wrote a checked message, in the role they wrote it in."""

    user_id: str
    role: SenderRole
    shop_id: str = ""

    @property
    def offender(self) -> Party:
        """The party a violation counts against (strikes, standing, fines), carried as `offender`
        in moderation's events so that no reader derives it again.

        Sellers answer per shop: every seller of a shop shares its strikes and fines, as the
        marketplace fines the shop. Everyone else answers in person, support agents included,
        although in a conversation they act as the one support desk (`Party.of`): a strike is
        about one person's conduct, and pooling the agents' strikes would restrict or suspend the
        whole desk for what a few of them wrote. A seller without a shop (dry runs only; a
        recording check requires the shop) counts as a user."""
        if self.role is SenderRole.SELLER and self.shop_id:
            return Party.shop(self.shop_id)
        return Party.user(self.user_id)


class Standing(str, enum.Enum):
    GOOD = "GOOD"
    WARNING = "WARNING"
    RESTRICTED = "RESTRICTED"
    SUSPENDED = "SUSPENDED"


class ReviewStatus(str, enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"  # a held message, delivered after all
    REJECTED = "REJECTED"  # a held message, blocked
    UPHELD = "UPHELD"  # an appeal: the block, strike and fine stand
    REVERSED = "REVERSED"  # an appeal: the strike and fines are withdrawn


class ReviewDecision(enum.Enum):
    APPROVE = 1
    REJECT = 2
    UPHOLD = 3
    REVERSE = 4

    @property
    def needs_comment(self) -> bool:
        """An appeal's decision is explained to the appellant: it is refused without a comment."""
        return self in (ReviewDecision.UPHOLD, ReviewDecision.REVERSE)


class ReviewKind(str, enum.Enum):
    HELD_MESSAGE = "HELD_MESSAGE"  # a message held before delivery (verdict REVIEW)
    APPEAL = "APPEAL"  # an offender's appeal against a violation


# Which decisions decide which kind of item, and the status each leads to.
DECISIONS: dict[ReviewKind, dict[ReviewDecision, ReviewStatus]] = {
    ReviewKind.HELD_MESSAGE: {ReviewDecision.APPROVE: ReviewStatus.APPROVED, ReviewDecision.REJECT: ReviewStatus.REJECTED},
    ReviewKind.APPEAL: {ReviewDecision.UPHOLD: ReviewStatus.UPHELD, ReviewDecision.REVERSE: ReviewStatus.REVERSED},
}


@dataclass(frozen=True)
class RequestRecord:
    """A request id as it was first used (Stripe semantics): the key it is stored under (the
    caller's role, user id and the request id, as returns keys its requests: one user id acting
    in two roles has two sets of request ids) and the fingerprint of the request first sent with
    it."""

    key: str
    request_id: str
    fingerprint: Fingerprint

    @staticmethod
    def of(caller: Identity, request_id: str, fingerprint: Fingerprint) -> RequestRecord:
        return RequestRecord(SEPARATOR.join((caller.role.value, caller.user_id, request_id)), request_id, fingerprint)


@dataclass(frozen=True)
class Fine:
    amount_minor: int
    currency_code: str


def in_force(withdrawn_at: dt.datetime | None) -> bool:
    """The one definition of which records still count: a strike (`Violation.counts`) or a fine
    (`Penalty.in_force`) is in force until it is withdrawn. The repositories store `withdrawn`
    as `not in_force(...)` and select on it, so their queries and this agree (tested against
    the database)."""
    return withdrawn_at is None


@dataclass(frozen=True)
class Violation:
    """A recorded (non-ALLOW) verdict on a message: one strike against the sender's party,
    until it is withdrawn (a moderator approved the held message: it was no violation after
    all). A withdrawn violation stays on record, so the message is never recorded again, but
    it no longer counts towards the standing."""

    message_id: str
    thread_id: str
    sender: Sender
    verdict: Verdict
    at: dt.datetime
    review_id: str = ""  # set when the message was held for a human
    withdrawn_at: dt.datetime | None = None
    appeal_id: str = ""  # set once its offender appealed it (one appeal per violation)

    @property
    def counts(self) -> bool:
        """Whether this is a strike (counted in the standing)."""
        return in_force(self.withdrawn_at)

    def withdraw(self, at: dt.datetime) -> Violation:
        return replace(self, withdrawn_at=at)

    @property
    def blocked_message(self) -> bool:
        """Whether its message was kept from the other side (never delivered): blocked outright, or
        held and then rejected (a held message still pending or approved cannot be appealed)."""
        return self.verdict.action in (Action.BLOCK, Action.REVIEW)


@dataclass(frozen=True)
class Penalty:
    penalty_id: str
    party: Party
    category: Category
    fine: Fine
    message_id: str
    issued_at: dt.datetime
    reason: str = ""
    withdrawn_at: dt.datetime | None = None  # the fine is not owed: its message was approved on review, or an appeal reversed

    @property
    def in_force(self) -> bool:
        """Whether the fine is owed (shown with the standing)."""
        return in_force(self.withdrawn_at)

    def withdraw(self, at: dt.datetime) -> Penalty:
        return replace(self, withdrawn_at=at)


@dataclass(frozen=True)
class ReviewItem:
    """What waits for a moderator: a held message (`HELD_MESSAGE`, under the message's id) or an
    offender's appeal against a violation (`APPEAL`, under `appeal_id_of` the message). An appeal
    keeps the appellant's reason, who filed it for which party, the fines in force when it was
    filed and the request it was filed with; its `text` is empty (a blocked text stays in chat)."""

    review_id: str
    message_id: str
    thread_id: str
    sender: Sender
    text: str
    verdict: Verdict
    status: ReviewStatus
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None
    resolved_by: str = ""
    comment: str = ""
    kind: ReviewKind = ReviewKind.HELD_MESSAGE
    appeal_reason: str = ""
    appealed_by: str = ""
    appellant: Party | None = None
    penalty_ids: tuple[str, ...] = ()
    request: RequestRecord | None = None
    # True only on AppealDecision's answer to a retry of the request that filed the appeal (the
    # servicer marks that answer as replayed). Never stored, and not compared: a replay is equal
    # to the first answer.
    replayed: bool = field(default=False, compare=False)

    def resolve(self, decision: ReviewDecision, moderator: str, comment: str, at: dt.datetime) -> ReviewItem:
        """An item is decided once: a held message approved (delivered) or rejected (kept
        blocked), an appeal upheld or reversed. The same decision again (a retry after a timeout,
        or a second moderator agreeing) returns the item as decided, unchanged (`self`: nothing to
        save or announce); the other decision is refused; a decision for the other kind of item is
        INVALID_ARGUMENT. Nobody decides their own appeal."""
        status = DECISIONS[self.kind].get(decision)
        if status is None:
            allowed = " or ".join(d.name for d in DECISIONS[self.kind])
            raise InvalidArgument(FieldViolation("decision", f"{self.kind.value} {self.review_id} is decided with {allowed}"))
        if self.kind is ReviewKind.APPEAL and moderator == self.appealed_by:
            raise PermissionDenied("a moderator may not decide their own appeal", reason="OWN_APPEAL")
        if self.status is status:
            return self
        if self.status is not ReviewStatus.PENDING:
            raise FailedPrecondition(
                f"review {self.review_id} is already {self.status.value}", reason="REVIEW_ALREADY_RESOLVED"
            )
        return replace(self, status=status, resolved_at=at, resolved_by=moderator, comment=comment)

    def as_filed(self) -> ReviewItem:
        """The item as it was first stored, before any decision: what AppealDecision first
        answered, so a retry of the request is answered the same (Stripe semantics) however the
        appeal was decided since. Only `resolve` changes an item, and only these fields."""
        return replace(self, status=ReviewStatus.PENDING, resolved_at=None, resolved_by="", comment="")

    @property
    def withdraws_strike(self) -> bool:
        """An approved message was no violation, a reversed appeal found it was none: the strike
        (and any fine) is withdrawn (`recording.withdraw_strike`). Rejected and upheld keep both."""
        return self.status in (ReviewStatus.APPROVED, ReviewStatus.REVERSED)


def appeal_id_of(message_id: str) -> str:
    """One appeal per violation: its id is made of the violation's (the message's) id."""
    return f"{message_id}:appeal"


@dataclass(frozen=True)
class Suspension:
    """A party may not send until `until` (chat enforces it from StandingChanged): started by the
    strike that reached the policy's `suspended` threshold, for the policy's duration, from the
    moment moderation recorded that strike (`since`, its own clock, not the message's time). `party` is
    who may not send: the offender (a whole shop), or only the writer when the policy says so.
    It ends when its time runs out (nothing is recorded then), or early (`lifted_at`): lifted
    by a moderator, or its strikes withdrawn on review or appeal below the threshold."""

    party: Party
    offender: Party
    sender: Sender  # whose strike started it
    since: dt.datetime
    until: dt.datetime
    lifted_at: dt.datetime | None = None
    lifted_by: str = ""  # the moderator's id; "review:<id>" / "appeal:<id>" when strikes were withdrawn
    lift_reason: str = ""

    def in_force(self, now: dt.datetime) -> bool:
        return self.lifted_at is None and now < self.until

    @property
    def ended_at(self) -> dt.datetime:
        """When it ended or will end: lifted, or run out."""
        return self.until if self.lifted_at is None else min(self.lifted_at, self.until)

    def answers_for(self, written_at: dt.datetime) -> bool:
        """Whether a strike written at `written_at` is one this suspension answered for: written
        before it ended (while it was in force - the chat had not heard of it yet - or before it
        started), even when recorded after a moderator lifted it. Such a strike starts no other
        suspension; only one written after it ended does."""
        return written_at < self.ended_at

    def lift(self, at: dt.datetime, by: str, reason: str) -> Suspension:
        return replace(self, lifted_at=at, lifted_by=by, lift_reason=reason)


@dataclass(frozen=True)
class Suspensions:
    """An offender's suspensions on record, one per suspended party (the latest, in force or
    not): the offender itself (the whole shop), or - when the policy suspends only the writer -
    each seller of the shop in person. Kept on the offender's record, so every change is made in
    a transaction that writes the offender's counter."""

    items: tuple[Suspension, ...] = ()

    def of(self, party: Party) -> Suspension | None:
        return next((s for s in self.items if s.party == party), None)

    def replaced(self, *suspensions: Suspension) -> Suspensions:
        """These suspensions on record instead of those of the same parties."""
        parties = {s.party for s in suspensions}
        return Suspensions(tuple(s for s in self.items if s.party not in parties) + suspensions)

    def affecting(self, sender: Sender) -> tuple[Suspension, ...]:
        """Those that stop this writer: the offender's (the whole shop) and the writer's own."""
        parties = {sender.offender} | ({Party.user(sender.user_id)} if sender.user_id else set())
        return tuple(s for s in self.items if s.party in parties)

    def in_force_for(self, sender: Sender, now: dt.datetime) -> Suspension | None:
        """The suspension that stops this writer now (the one lasting longest), if any."""
        return max((s for s in self.affecting(sender) if s.in_force(now)), key=lambda s: s.until, default=None)

    def in_force(self, now: dt.datetime) -> tuple[Suspension, ...]:
        return tuple(s for s in self.items if s.in_force(now))


NO_SUSPENSIONS = Suspensions()


# How many of a party's penalties a standing shows, newest first: enough for a seller to see
# this month's fines without the answer growing with a shop's whole history.
PENALTIES_SHOWN = 50


@dataclass(frozen=True)
class SenderStanding:
    sender: Sender
    standing: Standing
    strikes_in_window: int
    strikes_total: int
    penalties: tuple[Penalty, ...]  # the fines in force (withdrawn ones are not shown), newest first
    updated_at: dt.datetime | None = None  # when the latest strike still counted was recorded; None without one
    suspension: Suspension | None = None  # the suspension in force, if any


@dataclass(frozen=True)
class SuspensionLift:
    """A moderator lifted a suspension (LiftSuspension), remembered under its request: a retry
    gets this result again."""

    request: RequestRecord
    suspension: Suspension  # as lifted
    standing: Standing  # the party's standing right after
    # True only on LiftSuspension's answer to a retry (as ReviewItem.replayed): never stored, not compared.
    replayed: bool = field(default=False, compare=False)
