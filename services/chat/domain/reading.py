"""What a reader gets from a thread: which messages a viewer sees, what counts as unread, and the
limits of a message listing. Each rule is one value with a predicate; repositories turn the
same value into their query (and an integration test checks that both agree on the same data)."""
from __future__ import annotations

from dataclasses import dataclass

from prilavok_platform.errors import Validator
from prilavok_platform.identity import Party
from prilavok_platform.pagination import page_size
from services.chat.domain.model import Direction, Message, MessageStatus, Side, Thread

MAX_MESSAGES_PAGE = 200
# A conversation is read from its latest message back unless the reader asks otherwise.
DEFAULT_DIRECTION = Direction.OLDER


@dataclass(frozen=True)
class MessageAudience:
    """The messages of a thread one viewer sees: every `shared_status` message (delivered ones),
    plus whatever its own party sent (held and blocked included). `own_party` None: everything
    (staff)."""

    own_party: Party | None
    shared_status: MessageStatus = MessageStatus.DELIVERED

    def admits(self, message: Message) -> bool:
        return self.own_party is None or message.status is self.shared_status or message.sender_party == self.own_party


@dataclass(frozen=True)
class UnreadMessages:
    """What counts as unread for one side of a thread: `counted_status` (delivered) messages sent
    from another side after that side's read marker."""

    thread_id: str
    reader_side: Side
    after_seq: int
    counted_status: MessageStatus = MessageStatus.DELIVERED

    def matches(self, message: Message) -> bool:
        return (message.thread_id == self.thread_id and message.seq > self.after_seq
                and message.status is self.counted_status and message.sender_side is not self.reader_side)


def unread_for(thread: Thread, side: Side, read_up_to: int | None = None) -> UnreadMessages:
    """The unread messages of `side`: after its read marker, or after `read_up_to` once it moves there."""
    after = thread.read_seq.get(side, 0) if read_up_to is None else read_up_to
    return UnreadMessages(thread.thread_id, side, after)


def listing_direction(requested: Direction | None) -> Direction:
    """The order of a message listing: the requested one, else newest first (DEFAULT_DIRECTION)."""
    return requested or DEFAULT_DIRECTION


def message_page_size(requested: int, start_seq: int) -> int:
    """A message page holds up to MAX_MESSAGES_PAGE messages; a listing starts at seq 0 or later."""
    if start_seq < 0:
        v = Validator()
        v.add("start_seq", "must not be negative")
        v.raise_if_any()
    return page_size(requested, maximum=MAX_MESSAGES_PAGE)
