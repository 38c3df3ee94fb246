"""Notify use cases, one handler per command: ask the domain who is told what, store it once
(honouring mutes) and announce it; serve each inbox. Orchestration only."""
from __future__ import annotations

from dataclasses import dataclass

from prilavok_platform.errors import Aborted
from prilavok_platform.identity import Party
from prilavok_platform.pagination import page_size
from prilavok_platform.unit_of_work import Transaction, UnitOfWork
from services.notify.domain import access, commands
from services.notify.domain import notifications as tell
from services.notify.domain.model import Notification, Preferences, check_mark_read, wanted
from services.notify.service_layer.ports import Fanout, Feed, NotifyRepositories, PreferencesCache

Tx = Transaction[NotifyRepositories]

# A preferences update that keeps meeting newer versions gives up with ABORTED (the client retries).
MAX_STALE_SAVES = 5


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[Notification]
    next_page_token: str
    unread_count: int


class NotifyHandlers:
    def __init__(self, uow: UnitOfWork[NotifyRepositories], fanout: Fanout, preferences_cache: PreferencesCache):
        self._uow = uow
        self._fanout = fanout
        self._preferences_cache = preferences_cache

    # --- consumed events: the domain decides who is told what -------------------------------------

    async def message_delivered(self, command: commands.TellMessageDelivered) -> list[Notification]:
        return await self._store(tell.message_delivered(command))

    async def message_held(self, command: commands.TellMessageHeld) -> list[Notification]:
        return await self._store(tell.message_held(command))

    async def message_blocked(self, command: commands.TellMessageBlocked) -> list[Notification]:
        return await self._store(tell.message_blocked(command))

    async def message_undelivered(self, command: commands.TellMessageUndelivered) -> list[Notification]:
        return await self._store(tell.message_undelivered(command))

    async def reply_deadline(self, command: commands.TellReplyDeadline) -> list[Notification]:
        return await self._store(tell.reply_deadline(command))

    async def claim_opened(self, command: commands.TellClaimOpened) -> list[Notification]:
        return await self._store(tell.claim_opened(command))

    async def claim_status_changed(self, command: commands.TellClaimStatusChanged) -> list[Notification]:
        return await self._store(tell.claim_status_changed(command))

    async def refund_issued(self, command: commands.TellRefundIssued) -> list[Notification]:
        return await self._store(tell.refund_issued(command))

    async def penalty_issued(self, command: commands.TellPenaltyIssued) -> list[Notification]:
        return await self._store(tell.penalty_issued(command))

    async def penalty_withdrawn(self, command: commands.TellPenaltyWithdrawn) -> list[Notification]:
        return await self._store(tell.penalty_withdrawn(command))

    async def standing_changed(self, command: commands.TellStandingChanged) -> list[Notification]:
        return await self._store(tell.standing_changed(command))

    async def appeal_resolved(self, command: commands.TellAppealResolved) -> list[Notification]:
        return await self._store(tell.appeal_resolved(command))

    async def _preferences(self, party: Party) -> Preferences:
        cached = self._preferences_cache.get(party)
        if cached is None:
            stored = await self._uow.reader().preferences.get(party)
            cached = stored.preferences if stored else Preferences()
            self._preferences_cache.put(party, cached)
        return cached

    async def _store(self, told: list[Notification]) -> list[Notification]:
        """Returns the notifications stored now (none when the event was handled before)."""
        kept = wanted(told, {r: await self._preferences(r) for r in {n.recipient for n in told}})
        if not kept:
            return []
        # One insert that skips the ids stored before: atomic per notification and idempotent, so
        # it needs no transaction (inside one, the duplicate of a redelivered event would abort it).
        fresh = await self._uow.reader().notifications.add_new(kept)
        if fresh:
            await self._fanout.announce(fresh)
        return fresh

    # --- the caller's inbox -------------------------------------------------------------------------

    async def list_notifications(self, command: commands.ListNotifications) -> NotificationPage:
        inbox = access.inbox_of(command.caller, command.inbox)
        repos = self._uow.reader()
        items, token = await repos.notifications.page(inbox, command.unread_only, page_size(command.page_size), command.page_token)
        return NotificationPage(items, token, await repos.notifications.unread_count(inbox))

    async def mark_read(self, command: commands.MarkNotificationsRead) -> int:
        """Returns how many stay unread."""
        inbox = access.inbox_of(command.caller, command.inbox)
        check_mark_read(command.notification_ids, command.all)
        repos = self._uow.reader()  # one update_many of the inbox's own: nothing to hold together
        await repos.notifications.mark_read(inbox, None if command.all else command.notification_ids)
        return await repos.notifications.unread_count(inbox)

    def subscribe(self, command: commands.Subscribe) -> Feed:
        """The caller's new notifications as they are stored, until the caller closes the feed.
        Its reads fail with RESOURCE_EXHAUSTED once the caller reads too slowly to keep up (what
        it missed stays listable)."""
        return self._fanout.open(access.inbox_of(command.caller, command.inbox))

    async def get_preferences(self, command: commands.GetPreferences) -> Preferences:
        stored = await self._uow.reader().preferences.get(access.inbox_of(command.caller, command.inbox))
        return stored.preferences if stored else Preferences()

    async def update_preferences(self, command: commands.UpdatePreferences) -> Preferences:
        inbox = access.inbox_of(command.caller, command.inbox)

        async def work(tx: Tx) -> Preferences:
            # Read, change what the mask names, save only if nobody saved in between, otherwise read
            # again: no update is lost under another. (On MongoDB the snapshot transaction meets a
            # write conflict first and the unit of work re-runs all of this; the version check holds
            # wherever the read could be stale.)
            for _ in range(MAX_STALE_SAVES):
                stored = await tx.repos.preferences.get(inbox)
                current, version = (stored.preferences, stored.version) if stored else (Preferences(), 0)
                updated = command.change.applied_to(current)
                if await tx.repos.preferences.save(inbox, updated, version):
                    return updated
            raise Aborted("the preferences change too often right now; retry", reason="PREFERENCES_CONCURRENT_UPDATE")

        updated = await self._uow.transaction(work)
        self._preferences_cache.forget(inbox)  # this replica sees its own change at once
        return updated
