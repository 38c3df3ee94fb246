"""Reply deadlines: an asking side's delivered message starts the clock (if it is not running),
the answering side's delivered message stops it; a running deadline is announced once when it
approaches (PENDING -> REMINDED) and once when it passes (-> BREACHED)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prilavok_platform.identity import Party
from services.chat.domain.events import ReplyDeadline
from services.chat.domain.model import ChatPolicy, DeadlineState, Side, Thread, ThreadKind, ThreadStatus

_RANK = {DeadlineState.PENDING: 0, DeadlineState.REMINDED: 1, DeadlineState.BREACHED: 2}


@dataclass(frozen=True)
class DeadlinesDue:
    """The threads with an announcement to make now (exactly those next_deadline_state moves):
    a PENDING deadline due by `remind_by` (now + remind_before), a REMINDED one due by `breach_by`
    (now). A REMINDED deadline not yet due is not among them, so a scan never comes back to it."""

    remind_by: dt.datetime
    breach_by: dt.datetime

    def matches(self, thread: Thread) -> bool:
        due = thread.reply_due_at
        if due is None:
            return False
        if thread.deadline_state is DeadlineState.PENDING:
            return due <= self.remind_by
        return thread.deadline_state is DeadlineState.REMINDED and due <= self.breach_by


def deadlines_due(now: dt.datetime, policy: ChatPolicy) -> DeadlinesDue:
    return DeadlinesDue(remind_by=now + policy.remind_before, breach_by=now)


def answering_side(kind: ThreadKind) -> Side:
    return Side.SUPPORT if kind is ThreadKind.SUPPORT else Side.SELLER


def owes_reply(thread: Thread) -> Party:
    """The party that owes the reply: the shop, or the support desk."""
    return thread.participants[answering_side(thread.kind)]


def apply_reply_deadline(thread: Thread, sender_side: Side, at: dt.datetime, policy: ChatPolicy) -> None:
    """A message was delivered from `sender_side` at `at`: start or stop the reply deadline."""
    if sender_side.asks:
        if thread.reply_due_at is None and thread.status is ThreadStatus.OPEN:
            thread.reply_due_at = at + policy.reply_window(thread.kind)
            thread.deadline_state = DeadlineState.PENDING
        return  # a second question does not restart the clock
    stop_reply_deadline(thread)


def stop_reply_deadline(thread: Thread) -> None:
    thread.reply_due_at = None
    thread.deadline_state = None


def next_deadline_state(
    state: DeadlineState | None, due_at: dt.datetime | None, now: dt.datetime, remind_before: dt.timedelta
) -> DeadlineState | None:
    """The state to move to now, or None when there is nothing to announce. States only move
    forward, so each announcement happens once; a deadline found already past skips the reminder."""
    if state is None or due_at is None:
        return None
    if due_at <= now:
        target = DeadlineState.BREACHED
    elif due_at - remind_before <= now:
        target = DeadlineState.REMINDED
    else:
        return None
    return target if _RANK[target] > _RANK[state] else None


def announce_deadline(thread: Thread, now: dt.datetime, policy: ChatPolicy) -> ReplyDeadline | None:
    """Moves the thread's deadline state and returns the event to emit, or None."""
    target = next_deadline_state(thread.deadline_state, thread.reply_due_at, now, policy.remind_before)
    if target is None or thread.reply_due_at is None:
        return None
    thread.deadline_state = target
    return ReplyDeadline(
        thread=thread.snapshot(), due_at=thread.reply_due_at, breached=target is DeadlineState.BREACHED,
        recipients=(owes_reply(thread),), occurred_at=now,
    )
