"""Chat use cases."""
from __future__ import annotations

import datetime as dt

from prilavok_platform.auth import Identity, Role
from prilavok_platform.errors import FailedPrecondition, NotFound, PermissionDenied, Validator
from services.chat.domain.model import (
    ChatPolicy, Message, MessageStatus, NewThread, Thread, ThreadStatus, open_thread, party_key, stable_id,
    validate_message,
)
from services.chat.service_layer.ports import ChatRepository, ModerationGateway, ThreadFilter

DELIVERING_ACTIONS = {"ALLOW": MessageStatus.DELIVERED, "WARN": MessageStatus.DELIVERED, "MASK": MessageStatus.DELIVERED,
                      "REVIEW": MessageStatus.HELD, "BLOCK": MessageStatus.BLOCKED}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ChatHandlers:
    def __init__(self, repository: ChatRepository, moderation: ModerationGateway, policy: ChatPolicy, clock=utcnow):
        self._repo = repository
        self._moderation = moderation
        self.policy = policy
        self._clock = clock

    async def create_thread(self, caller: Identity, cmd: NewThread) -> tuple[Thread, bool]:
        thread = open_thread(cmd, caller, self._clock(), self.policy)
        if thread.linked_thread_id:
            linked = await self._repo.get_thread(thread.linked_thread_id)
            if linked is None:
                raise NotFound(f"linked thread {thread.linked_thread_id} not found", reason="THREAD_NOT_FOUND")
            linked.require_visible(caller)
        return await self._repo.create_thread(thread)

    async def get_thread(self, caller: Identity, thread_id: str) -> tuple[Thread, str | None]:
        v = Validator()
        v.identifier(thread_id, "thread_id")
        v.raise_if_any()
        thread = await self._repo.get_thread(thread_id)
        if thread is None:
            raise NotFound(f"thread {thread_id} not found", reason="THREAD_NOT_FOUND")
        return thread, thread.require_visible(caller)

    async def list_threads(self, caller: Identity, flt: ThreadFilter, limit: int, cursor: dict | None) -> list[Thread]:
        if caller.role in (Role.MODERATOR, Role.SERVICE):
            raise PermissionDenied("list threads as a participant; staff open threads by id", reason="ROLE_NOT_ALLOWED")
        return await self._repo.list_threads(flt, limit, cursor)

    async def send_message(
        self, caller: Identity, *, thread_id: str, request_id: str, text: str, attachment_ids: list[str]
    ) -> tuple[Message, bool]:
        validate_message(text, attachment_ids, request_id, thread_id, self.policy)
        thread, _ = await self.get_thread(caller, thread_id)
        side = thread.require_writable_by(caller)
        # Derived from the request, so a retry is recognised even after a crash.
        message_id = stable_id("message", thread_id, party_key(caller), caller.user_id, request_id)
        decision = await self._moderation.check(message_id=message_id, thread=thread, sender=caller, text=text)
        status = DELIVERING_ACTIONS.get(decision.action, MessageStatus.BLOCKED)
        delivered_text = decision.masked_text if decision.action == "MASK" and decision.masked_text else text
        now = self._clock()
        message = Message(
            message_id=message_id,
            thread_id=thread_id,
            seq=0,
            sender=caller,
            text=delivered_text,
            status=status,
            created_at=now,
            original_text=text if delivered_text != text or status is not MessageStatus.DELIVERED else "",
            attachment_ids=tuple(attachment_ids),
            moderation_action=decision.action,
            moderation_categories=decision.categories,
            moderation_reason=decision.reason,
            policy_version=decision.policy_version,
        )
        reply_due = thread.reply_due_after(side, now, self.policy) if status is MessageStatus.DELIVERED else (False, None)
        return await self._repo.append_message(thread, side, message, reply_due)

    async def list_messages(
        self, caller: Identity, thread_id: str, *, newer: bool, after_seq: int | None, limit: int
    ) -> list[Message]:
        thread, side = await self.get_thread(caller, thread_id)
        viewer = None if side is None else party_key(caller)  # staff see held/blocked too
        return await self._repo.list_messages(thread_id, viewer, newer, after_seq, limit)

    async def mark_read(self, caller: Identity, thread_id: str, up_to_seq: int) -> int:
        thread, side = await self.get_thread(caller, thread_id)
        if side is None:
            raise PermissionDenied("only participants mark a thread read", reason="NOT_A_PARTICIPANT")
        if up_to_seq < 0:
            v = Validator()
            v.add("up_to_seq", "must not be negative")
            v.raise_if_any()
        return await self._repo.mark_read(thread, side, caller, up_to_seq, self._clock())

    async def close_thread(self, caller: Identity, thread_id: str, reason: str) -> Thread:
        v = Validator()
        v.text(reason, "reason", max_len=500, required=False)
        v.raise_if_any()
        thread, side = await self.get_thread(caller, thread_id)
        if side is None and caller.role is not Role.SUPPORT:
            raise PermissionDenied("only participants or support close a thread", reason="NOT_A_PARTICIPANT")
        if thread.status is ThreadStatus.CLOSED:
            raise FailedPrecondition(f"thread {thread_id} is already closed", reason="THREAD_CLOSED")
        return await self._repo.close_thread(thread, caller, reason, self._clock())
