"""Suspensions, as chat applies them: moderation decides them and announces each change
(StandingChanged); chat keeps what it last heard per party (its own read model) and refuses to
let a suspended party write.

- A party is suspended until `suspended_until`; when that time passes it may write again, with
  no event (the clock decides). An early end (a moderator lifts it, an appeal reverses a strike)
  is an event that records no end date.
- Events may arrive twice or out of order: per party, the one with the higher
  `standing_version` (moderation's per-party counter of standing changes, one more with each)
  wins, so a late older event never undoes a newer one. Not `occurred_at` first: a strike is
  dated when its message was written, which may be before a lift recorded earlier than the
  strike. Only when the versions tie or one of them is 0 (an event of a moderation that did not
  count yet) does the event that happened last (occurred_at, then the event id) win.
- A writer is suspended when any party it writes as is: a seller's shop or the seller in
  person, a buyer in person, a support agent in person."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from prilavok_platform.clock import to_millisecond
from prilavok_platform.errors import FailedPrecondition
from prilavok_platform.identity import Identity, Party
from services.chat.domain.commands import NoteStanding
from services.chat.domain.model import ChatPolicy, Standing, Thread, ThreadKind

REASON = "SENDER_SUSPENDED"


@dataclass(frozen=True)
class Suspension:
    """What chat last heard about one party's suspension: in force until `suspended_until`, or
    lifted (None), as of the event `event_id` that happened at `occurred_at`, the party's
    `standing_version`-th standing change in moderation (0: not counted)."""

    party: Party
    suspended_until: dt.datetime | None
    occurred_at: dt.datetime
    event_id: str
    standing_version: int = 0

    def supersedes(self, stored: Suspension | None) -> bool:
        """Whether this news replaces what is stored: it is a later change of the party's standing
        (a redelivery or an older event arriving late is not). Moderation's counter decides; when
        it cannot (a tie, or either event without it), the event that happened last wins."""
        if stored is None:
            return True
        if self.standing_version and stored.standing_version and self.standing_version != stored.standing_version:
            return self.standing_version > stored.standing_version
        return (self.occurred_at, self.event_id) > (stored.occurred_at, stored.event_id)

    def in_force(self, now: dt.datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now


def suspension_noted(cmd: NoteStanding) -> Suspension | None:
    """The news a standing change carries about a suspension: the party suspended until a time
    (current SUSPENDED), or released early (previous SUSPENDED, current another standing). None
    when the change is not about a suspension (e.g. GOOD -> WARNING)."""
    if cmd.current is Standing.SUSPENDED:
        if cmd.suspended_until is None:
            raise ValueError("a suspension without suspended_until")
        until: dt.datetime | None = to_millisecond(cmd.suspended_until)
    elif cmd.previous is Standing.SUSPENDED:
        until = None
    else:
        return None
    return Suspension(cmd.party, until, to_millisecond(cmd.occurred_at), cmd.event_id, cmd.standing_version)


def writer_parties(writer: Identity) -> tuple[Party, ...]:
    """Every party a writer writes as: its own (a seller's shop, the support desk, a buyer) and
    the person (a suspension may be limited to the one who wrote)."""
    return tuple(dict.fromkeys((Party.of(writer), Party.user(writer.user_id))))


@dataclass(frozen=True)
class ActiveSuspensions:
    """The suspensions in force when last read, by party: a small set, held in memory by every
    replica and looked up on each send without a database round trip."""

    until: dict[Party, dt.datetime]

    @staticmethod
    def of(suspensions: Iterable[Suspension]) -> ActiveSuspensions:
        return ActiveSuspensions({s.party: s.suspended_until for s in suspensions if s.suspended_until is not None})

    def binding(self, writer: Identity, now: dt.datetime) -> tuple[Party, dt.datetime] | None:
        """The suspension that stops `writer` now (the one that ends last), or None."""
        found = [(until, party) for party in writer_parties(writer) if (until := self.until.get(party)) and until > now]
        if not found:
            return None
        until, party = max(found, key=lambda f: f[0])
        return party, until


NO_SUSPENSIONS = ActiveSuspensions({})


def rfc3339(at: dt.datetime) -> str:
    at = at.astimezone(dt.UTC)
    return at.isoformat(timespec="milliseconds" if at.microsecond else "seconds").replace("+00:00", "Z")


def require_not_suspended(writer: Identity, thread: Thread, active: ActiveSuspensions, now: dt.datetime, policy: ChatPolicy) -> None:
    """A suspended writer may not write (send, attach, open a thread), except to the marketplace's
    support when the policy allows it. FAILED_PRECONDITION SENDER_SUSPENDED names the end date."""
    if thread.kind is ThreadKind.SUPPORT and policy.suspended_may_write_to_support:
        return
    found = active.binding(writer, now)
    if found is None:
        return
    party, until = found
    raise FailedPrecondition(
        f"{party} may not send messages until {rfc3339(until)} (suspended by moderation)",
        reason=REASON,
        metadata={"suspended_until": rfc3339(until), "suspended_party": party.key},
    )
