"""Opening a thread: who may open what, and the thread's stable id, so that a retry (or the other
side opening the same order chat) lands on the same thread: ORDER and CLAIM threads are keyed by
(kind, order or claim, shop, buyer), whatever the request id; SUPPORT threads by (author's party,
request id). CreateThread first looks for the thread the request names (requested_thread) and
only when there is none starts it (start_thread, where the rules of starting a chat apply); a
thread found is answered by found_thread (a retry of the request that started it is replayed)."""
from __future__ import annotations

import datetime as dt

from prilavok_platform import idempotency
from prilavok_platform.clock import to_millisecond
from prilavok_platform.errors import FailedPrecondition, NotFound, Validator
from prilavok_platform.idempotency import Fingerprint, differing_fields
from prilavok_platform.identity import Identity, Party, Role
from services.chat.domain import access
from services.chat.domain.commands import CreateThread
from services.chat.domain.events import ThreadCreated
from services.chat.domain.model import ChatPolicy, Side, SupportTopic, Thread, ThreadKind, ThreadStatus, stable_id


def requested_thread(cmd: CreateThread, now: dt.datetime, policy: ChatPolicy) -> Thread:
    """The thread the request names (validated, the caller allowed to open it), with its stable id:
    CreateThread returns the stored one if it exists, else starts this one."""
    # At the database's precision (milliseconds), so the first answer and its replays agree.
    now = to_millisecond(now)
    v = Validator()
    if cmd.kind is None:
        v.identifier(cmd.request_id, "request_id", required=False)
        v.add("kind", "must be THREAD_KIND_ORDER, THREAD_KIND_CLAIM or THREAD_KIND_SUPPORT")
        v.raise_if_any()
    assert cmd.kind is not None
    # Only a support request is told apart by its request id; an order or claim chat by what it is about.
    v.identifier(cmd.request_id, "request_id", required=cmd.kind is ThreadKind.SUPPORT)
    access.require_may_open(cmd.caller, cmd.kind)
    _refuse_fields_that_do_not_apply(cmd, v)
    if cmd.kind is ThreadKind.SUPPORT:
        thread = _support_thread(cmd, now, policy, v)
    else:
        access.require_may_open_between(cmd.caller, cmd.buyer_id, cmd.shop_id)
        thread = _order_thread(cmd, now, v)
    thread.request_fingerprint = request_fingerprint(thread)
    thread.opening_request = opening_request_key(cmd.caller, cmd.request_id)
    return thread


def opening_request_key(caller: Identity, request_id: str) -> str:
    """The key of a CreateThread request: the caller's party and user id (two sellers of one
    shop are two callers) and its request_id; empty without a request_id (it names no request)."""
    return stable_id("thread-request", Party.of(caller).key, caller.user_id, request_id) if request_id else ""


def _refuse_fields_that_do_not_apply(cmd: CreateThread, v: Validator) -> None:
    """A field the thread kind (or the caller's role) does not use is refused, not dropped."""
    given = {"order_id": bool(cmd.order_id), "claim_id": bool(cmd.claim_id), "buyer_id": bool(cmd.buyer_id),
             "shop_id": bool(cmd.shop_id), "support": cmd.support is not None,
             "initiation_reason": cmd.initiation_reason is not None, "linked_thread_id": bool(cmd.linked_thread_id)}
    if cmd.kind is ThreadKind.SUPPORT:
        unused = {"order_id", "claim_id", "buyer_id", "shop_id", "initiation_reason"}
    else:
        unused = {"support", "linked_thread_id"}
        if cmd.kind is ThreadKind.ORDER:
            unused.add("claim_id")
        if cmd.caller.role is not Role.SELLER:
            unused.add("initiation_reason")  # only a seller writing first gives a reason
    for name in sorted(unused):
        if given[name]:
            v.add(name, f"does not apply to a {cmd.kind.value if cmd.kind else ''} thread opened by a {cmd.caller.role.value}")


def request_fingerprint(thread: Thread) -> Fingerprint:
    """The values of the request a thread was opened with that its stable id does not already
    hold, named as CreateThreadRequest names them: a support request's topic and link (its id is
    the author's party and the request id), a claim chat's order (its id is the claim's). An order
    chat is wholly named by its id (the other values, such as a seller's initiation_reason, only
    apply to the one who starts it)."""
    if thread.kind is ThreadKind.SUPPORT:
        topic = thread.support or SupportTopic("", "")
        return idempotency.fingerprint({"support.category": topic.category, "support.topic": topic.topic,
                                        "support.references": topic.references, "linked_thread_id": thread.linked_thread_id})
    if thread.kind is ThreadKind.CLAIM:
        return idempotency.fingerprint({"order_id": thread.order_id})
    return ()


def require_same_request(existing: Thread, requested: Thread, request_id: str) -> None:
    """The stored thread answers a request only if the request asks for that thread:
    - a support request under a request id already used with another topic or link is
      INVALID_ARGUMENT IDEMPOTENCY_KEY_REUSED naming the fields that differ (Stripe's rule);
    - a claim chat is about one order: asking for it with another order is FAILED_PRECONDITION
      CLAIM_OF_ANOTHER_ORDER (either side opens it, under any request id), not that thread.
    A thread stored before fingerprints existed is compared on the values it holds."""
    stored = existing.request_fingerprint or request_fingerprint(existing)
    if existing.kind is ThreadKind.SUPPORT:
        idempotency.require_same_request(stored, requested.request_fingerprint, request_id=request_id)
    elif existing.kind is ThreadKind.CLAIM and (differ := differing_fields(stored, requested.request_fingerprint)):
        raise FailedPrecondition(
            f"claim {existing.claim_id} is about order {existing.order_id}, not {requested.order_id}",
            reason="CLAIM_OF_ANOTHER_ORDER",
            metadata={"fields": ",".join(differ), "order_id": existing.order_id},
        )


def found_thread(existing: Thread, requested: Thread, request_id: str) -> tuple[Thread, bool]:
    """What CreateThread answers when the thread it names is stored: (the thread, replayed).
    - A replay is a retry of the very request that started the thread: the same caller (party and
      user id) under the same non-empty request_id (and, for a support request, the same topic
      and link). It is answered as that request was (Stripe's semantics): the thread as it was
      started (as_first_answered), `created` true, and the answer is marked replayed.
    - Any other request that finds the thread (the other side of an order or claim chat, the
      opener under another request_id or none, a colleague of the shop under its support
      request_id, or any request for a thread stored before its opening request was kept) gets
      the thread as it is now, with `created` false, not marked: it did not start the thread.
    The request is checked against the stored thread first (require_same_request)."""
    require_same_request(existing, requested, request_id)
    if requested.opening_request and existing.opening_request == requested.opening_request:
        return as_first_answered(existing), True
    return existing, False


def as_first_answered(thread: Thread) -> Thread:
    """The thread as CreateThread answered when it started it: open, with no message, nothing
    read, no reply deadline, no rating (what came after is read with GetThread, ListThreads and
    the live stream). The thread's own values (its parties, order, topic, link...) never change."""
    first = thread.snapshot()
    first.status, first.updated_at, first.last_activity_at = ThreadStatus.OPEN, thread.created_at, thread.created_at
    first.last_message_at, first.last_seq, first.answered_at = None, 0, None
    first.unread, first.read_seq = dict.fromkeys(thread.participants, 0), dict.fromkeys(thread.participants, 0)
    first.reply_due_at, first.deadline_state = None, None
    first.closed_at, first.closed_by, first.close_reason = None, None, ""
    first.rating, first.rating_comment, first.rated_at = 0, "", None
    return first


def start_thread(thread: Thread, opener: Identity) -> ThreadCreated:
    """Starting a new thread (not finding an existing one): a seller writes first in an order chat
    only for a reason the marketplace allows. Tells the party the thread was opened with."""
    if thread.initiated_by is Role.SELLER and thread.kind is ThreadKind.ORDER and thread.initiation_reason is None:
        raise FailedPrecondition(
            "a seller may write first only to clarify order details, about a delivery problem, "
            "to confirm stock, or at the buyer's request: set initiation_reason",
            reason="SELLER_INITIATION_REASON_REQUIRED",
        )
    return ThreadCreated(thread.snapshot(), thread.parties_except(Party.of(opener)), thread.created_at)


def _sides(cmd: CreateThread, v: Validator) -> tuple[str, str]:
    """(buyer id, shop id): the caller's own for a buyer or a seller (access.require_may_open_between
    refused any other), both given for a service."""
    caller = cmd.caller
    if caller.role is Role.BUYER:
        v.identifier(cmd.shop_id, "shop_id")
        return caller.user_id, cmd.shop_id
    if caller.role is Role.SELLER:
        v.identifier(cmd.buyer_id, "buyer_id")
        return cmd.buyer_id, caller.shop_id
    v.identifier(cmd.buyer_id, "buyer_id")
    v.identifier(cmd.shop_id, "shop_id")
    return cmd.buyer_id, cmd.shop_id


def _order_thread(cmd: CreateThread, now: dt.datetime, v: Validator) -> Thread:
    assert cmd.kind is not None
    v.identifier(cmd.order_id, "order_id")
    if cmd.kind is ThreadKind.CLAIM:
        v.identifier(cmd.claim_id, "claim_id")
    buyer_id, shop_id = _sides(cmd, v)
    v.raise_if_any()
    seller_first = cmd.caller.role is Role.SELLER
    key = cmd.claim_id if cmd.kind is ThreadKind.CLAIM else cmd.order_id
    return Thread(
        thread_id=stable_id(cmd.kind.value, key, shop_id, buyer_id),
        kind=cmd.kind,
        status=ThreadStatus.OPEN,
        participants={Side.BUYER: Party.user(buyer_id), Side.SELLER: Party.shop(shop_id)},
        created_at=now,
        updated_at=now,
        initiated_by=cmd.caller.role,
        order_id=cmd.order_id,
        claim_id=cmd.claim_id,
        buyer_id=buyer_id,
        shop_id=shop_id,
        initiation_reason=cmd.initiation_reason if seller_first else None,
        unread={Side.BUYER: 0, Side.SELLER: 0},
        read_seq={Side.BUYER: 0, Side.SELLER: 0},
    )


def _validate_topic(topic: SupportTopic | None, policy: ChatPolicy, v: Validator) -> None:
    if topic is None:
        v.add("support", "category and topic are required for a support thread")
        return
    v.text(topic.category, "support.category", max_len=200)
    v.text(topic.topic, "support.topic", max_len=200)
    if len(topic.references) > policy.max_support_reference_fields:
        v.add("support.references", f"at most {policy.max_support_reference_fields} fields")
    for name, value in topic.references.items():
        v.text(name, "support.references", max_len=64)
        v.text(value, f"support.references[{name[:64]}]", max_len=500)


def _support_thread(cmd: CreateThread, now: dt.datetime, policy: ChatPolicy, v: Validator) -> Thread:
    """A buyer or a seller asks the marketplace; all support agents answer as one desk."""
    caller: Identity = cmd.caller
    _validate_topic(cmd.support, policy, v)
    v.identifier(cmd.linked_thread_id, "linked_thread_id", required=False)
    v.raise_if_any()
    author = Party.of(caller)
    return Thread(
        thread_id=stable_id(ThreadKind.SUPPORT.value, author.key, cmd.request_id),
        kind=ThreadKind.SUPPORT,
        status=ThreadStatus.OPEN,
        participants={Side.AUTHOR: author, Side.SUPPORT: Party.support()},
        created_at=now,
        updated_at=now,
        initiated_by=caller.role,
        shop_id=caller.shop_id,
        buyer_id=caller.user_id if caller.role is Role.BUYER else "",
        author=caller,
        support=cmd.support,
        linked_thread_id=cmd.linked_thread_id,
        unread={Side.AUTHOR: 0, Side.SUPPORT: 0},
        read_seq={Side.AUTHOR: 0, Side.SUPPORT: 0},
    )


def require_linkable(linked: Thread | None, linked_thread_id: str, caller: Identity) -> None:
    """A support request may be linked to an earlier support request of the caller's own party
    (it carries that history); not to an order or claim chat."""
    if linked is None:
        raise NotFound(f"linked thread {linked_thread_id} not found", reason="THREAD_NOT_FOUND")
    access.require_may_link(linked, caller)
    if linked.kind is not ThreadKind.SUPPORT:
        raise FailedPrecondition("only an earlier support request can be linked", reason="LINKED_THREAD_NOT_SUPPORT")
