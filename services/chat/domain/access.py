"""Who may do and see what in chat: the one place of authorization. Plain functions that
return the caller's side where it matters and raise PermissionDenied otherwise."""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from prilavok_platform.errors import PermissionDenied
from prilavok_platform.identity import Identity, Party, Role
from services.chat.domain.live import LiveItem
from services.chat.domain.model import Message, Side, Thread, ThreadKind
from services.chat.domain.reading import MessageAudience


def _not_a_participant(thread: Thread, what: str) -> PermissionDenied:
    return PermissionDenied(f"{what} in thread {thread.thread_id}: you are not its participant", reason="NOT_A_PARTICIPANT")


def require_may_open(caller: Identity, kind: ThreadKind) -> None:
    """Order and claim chats: the buyer, the seller, or a service on their behalf. Support
    threads: a buyer or a seller asks the marketplace (staff do not open them)."""
    if kind is ThreadKind.SUPPORT:
        caller.require_role(Role.BUYER, Role.SELLER)
    else:
        caller.require_role(Role.BUYER, Role.SELLER, Role.SERVICE)


def require_may_open_between(caller: Identity, buyer_id: str, shop_id: str) -> None:
    """An order or claim chat is opened by one of its sides: a buyer only as themselves, a seller
    only for their own shop (an id left empty means the caller's own); a service for any pair."""
    if caller.role is Role.BUYER and buyer_id and buyer_id != caller.user_id:
        raise PermissionDenied("a buyer opens chats only as themselves (buyer_id)", reason="NOT_A_PARTICIPANT")
    if caller.role is Role.SELLER and shop_id and shop_id != caller.shop_id:
        raise PermissionDenied("a seller opens chats only for their own shop (shop_id)", reason="NOT_A_PARTICIPANT")


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


def message_audience(thread: Thread, caller: Identity) -> MessageAudience:
    """Which messages the caller sees: a participant, the delivered ones and its own party's
    (held, blocked); staff (and services) every message."""
    side = require_may_read(thread, caller)
    return MessageAudience(None if side is None else thread.participants[side])


def require_may_link(linked: Thread, caller: Identity) -> None:
    """A new support request may carry the history of an earlier thread of the caller's own party."""
    if linked.side_of(caller) is None:
        raise _not_a_participant(linked, "linking")


def sees_original(message: Message, viewer: Identity) -> bool:
    """The original of a masked or undelivered message is shown only to the person who wrote it."""
    return viewer.user_id == message.sender.user_id and viewer.role is message.sender.role


def may_send_attachment(uploader: Party, caller: Identity) -> bool:
    """Only the uploader's party sends an attachment it uploaded."""
    return uploader == Party.of(caller)


def thread_followers(thread_id: str) -> Hashable:
    """The live audience of staff following one thread by id."""
    return ("thread", thread_id)


@dataclass(frozen=True)
class Following:
    """What one live stream follows: the events told to `party` (only those of `thread_id` when
    set), or, for staff following one thread (`party` None), every event of that thread."""

    party: Party | None
    thread_id: str = ""

    @property
    def audience(self) -> Hashable:
        return self.party if self.party is not None else thread_followers(self.thread_id)

    def accepts(self, item: LiveItem) -> bool:
        """Of the items reaching the audience, the ones this stream shows: all, or one thread's."""
        return not self.thread_id or item.thread_id == self.thread_id


def may_follow(caller: Identity, thread: Thread | None) -> Following:
    """StreamEvents: all of one's own threads (None) like a thread list, per party; or one thread
    one may read. A participant follows it as its party; staff (and services) see all its events."""
    if thread is None:
        return Following(require_may_list_threads(caller))
    side = require_may_read(thread, caller)
    return Following(None if side is None else thread.participants[side], thread.thread_id)


def live_audience(thread_id: str, recipients: Iterable[Party], actor: Party | None) -> set[Hashable]:
    """Who a live event reaches: the parties it tells, the party that caused it (its other sessions
    and colleagues see it too), and staff following the thread."""
    audience: set[Hashable] = {*recipients, thread_followers(thread_id)}
    if actor is not None:
        audience.add(actor)
    return audience
