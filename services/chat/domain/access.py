"""Who may do and see what in chat: the one place of authorization. Plain functions that
return the caller's side where it matters and raise PermissionDenied otherwise."""
from __future__ import annotations

from prilavok_platform.errors import PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.chat.domain.model import Message, MessageStatus, Side, Thread, ThreadKind


def _not_a_participant(thread: Thread, what: str) -> PermissionDenied:
    return PermissionDenied(f"{what} in thread {thread.thread_id}: you are not its participant", reason="NOT_A_PARTICIPANT")


def require_may_open(caller: Identity, kind: ThreadKind) -> None:
    """Order and claim chats: the buyer, the seller, or a service on their behalf. Support
    threads: a buyer or a seller asks the marketplace (staff do not open them)."""
    if kind is ThreadKind.SUPPORT:
        caller.require_role(Role.BUYER, Role.SELLER)
    else:
        caller.require_role(Role.BUYER, Role.SELLER, Role.SERVICE)


def require_may_read(thread: Thread, caller: Identity) -> Side | None:
    """Participants and staff (and services) read a thread; returns the caller's side, None for staff."""
    side = thread.side_of(caller)
    if side is None and not caller.is_staff and caller.role is not Role.SERVICE:
        raise PermissionDenied(f"thread {thread.thread_id} is not yours", reason="NOT_A_PARTICIPANT")
    return side


def require_may_list_threads(caller: Identity) -> Party:
    """Lists are per party (a buyer, a shop, the support desk); moderators and services open threads by id."""
    if caller.role in (Role.MODERATOR, Role.SERVICE):
        raise PermissionDenied("list threads as a participant; staff open threads by id", reason="ROLE_NOT_ALLOWED")
    return Party.of(caller)


def require_may_write(thread: Thread, caller: Identity) -> Side:
    """Only the thread's participants write in it (and upload attachments to it)."""
    side = thread.side_of(caller)
    if side is None:
        raise _not_a_participant(thread, "writing")
    return side


def require_may_mark_read(thread: Thread, caller: Identity) -> Side:
    side = thread.side_of(caller)
    if side is None:
        raise _not_a_participant(thread, "marking read")
    return side


def require_may_close(thread: Thread, caller: Identity) -> None:
    """A participant closes a thread; so does support, in any thread."""
    if thread.side_of(caller) is None and caller.role is not Role.SUPPORT:
        raise PermissionDenied("only participants or support close a thread", reason="NOT_A_PARTICIPANT")


def require_may_rate(thread: Thread, caller: Identity) -> None:
    """Only the author of a support request rates its answer."""
    if thread.side_of(caller) is not Side.AUTHOR:
        raise PermissionDenied("only the author of a support request rates its answer", reason="NOT_THE_AUTHOR")


def message_audience(thread: Thread, caller: Identity) -> Party | None:
    """Whose undelivered (held, blocked) messages the caller sees besides delivered ones: a
    participant sees its own party's; staff see every message (None)."""
    side = require_may_read(thread, caller)
    return None if side is None else thread.participants[side]


def may_see(message: Message, viewer_party: Party | None) -> bool:
    return viewer_party is None or message.status is MessageStatus.DELIVERED or message.sender_party == viewer_party


def sees_original(message: Message, viewer: Identity) -> bool:
    """The original of a masked or undelivered message is shown only to the person who wrote it."""
    return viewer.user_id == message.sender.user_id and viewer.role is message.sender.role


def may_send_attachment(uploader: Party, caller: Identity) -> bool:
    """Only the uploader's party sends an attachment it uploaded."""
    return uploader == Party.of(caller)


def sees_all_thread_events(caller: Identity) -> bool:
    """Staff following one thread by id see its events although they are not its party."""
    return caller.is_staff
