"""Moderation's vocabulary: actions, categories, spans, findings and verdicts. Plain Python."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class MessageToCheck:
    text: str
    role: SenderRole
    first_in_thread: bool = False
    thread_kind: str = ""
    extra: dict[str, str] = field(default_factory=dict)
