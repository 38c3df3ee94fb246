"""prilavok — command line for the Prilavok suite.

Acts as a development identity (--as ROLE:USER[@SHOP]) whose token it mints with the
development secret (PRILAVOK_JWT_SECRET), or with --token. Service addresses come from
--addr, PRILAVOK_<SERVICE>_ADDR, the running `make run` (.prilavok/run.json), or defaults.
"""
from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import sys
import uuid
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from prilavok.chat.v1 import chat_pb2, chat_pb2_grpc
from prilavok.common.v1 import common_pb2
from prilavok.notify.v1 import notify_pb2, notify_pb2_grpc
from prilavok.returns.v1 import returns_pb2, returns_pb2_grpc
from prilavok_cli import moderation_check, moderation_commands
from prilavok_cli.client import CliError, describe_error, fail, metadata, mint, parse_as, run_info, service_address
from prilavok_platform.replay import REPLAYED_HEADER


def _ts(value: str) -> Timestamp:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"{value!r} is not an ISO date/time, e.g. 2026-10-01 or 2026-10-01T12:00:00+03:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    out = Timestamp()
    out.FromDatetime(moment)
    return out


def _kopecks(value: str) -> int:
    """'1299.90' -> 129990, exactly (no floats)."""
    try:
        amount = decimal.Decimal(value.replace(",", ".").replace(" ", ""))
    except decimal.InvalidOperation:
        raise CliError(f"{value!r} is not an amount, e.g. 1299.90") from None
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise CliError(f"{value!r} has more than two decimal places")
    return int(minor)


def _enum(enum_pb, prefix: str, value: str) -> int:
    name = prefix + value.upper().replace("-", "_")
    names = enum_pb.DESCRIPTOR.values_by_name
    if name not in names:
        options = ", ".join(k.removeprefix(prefix).lower() for k in names if not k.endswith("UNSPECIFIED"))
        raise CliError(f"{value!r}: choose one of {options}")
    return enum_pb.Value(name)


class Ctx:
    def __init__(self, args):
        self.args = args
        self._channels: list[grpc.Channel] = []

    def token(self) -> str:
        if self.args.token:
            return self.args.token
        if not self.args.as_:
            raise CliError("say who you are: --as buyer:b1 | seller:u1@shop1 | support:a1 | moderator:m1 | service:cli (or --token)")
        return mint(parse_as(self.args.as_))

    def stub(self, service: str, stub_class):
        channel = grpc.insecure_channel(service_address(service, self.args.addr))
        self._channels.append(channel)
        return stub_class(channel)

    def call(self, method, request):
        return method(request, metadata=metadata(self.token()), timeout=self.args.timeout)

    def call_replayable(self, method, request) -> tuple[Any, bool]:
        """A call under a request id, and whether its answer replays the first one under that id
        (the service marks such an answer with the response metadata REPLAYED_HEADER)."""
        reply, call = method.with_call(request, metadata=metadata(self.token()), timeout=self.args.timeout)
        return reply, dict(call.initial_metadata() or ()).get(REPLAYED_HEADER) == "true"

    def emit(self, message, human) -> None:
        if self.args.json:
            print(json.dumps(MessageToDict(message, preserving_proto_field_name=True), ensure_ascii=False, indent=2))
        else:
            human(message)

    def close(self):
        for c in self._channels:
            c.close()


def _thread_line(t: chat_pb2.Thread) -> str:
    kind = chat_pb2.ThreadKind.Name(t.kind).removeprefix("THREAD_KIND_")
    status = chat_pb2.ThreadStatus.Name(t.status).removeprefix("THREAD_STATUS_")
    return f"{t.thread_id}  {kind:<7} {status:<6} order={t.order_id or '-'} buyer={t.buyer_id or '-'} shop={t.shop_id or '-'} unread={t.unread_count}"


def _message_line(m: chat_pb2.Message) -> str:
    status = chat_pb2.MessageStatus.Name(m.status).removeprefix("MESSAGE_STATUS_")
    who = common_pb2.Role.Name(m.sender.role).removeprefix("ROLE_").lower()
    return f"#{m.seq} [{status}] {who}:{m.sender.user_id}: {m.text}"


def _money(m: common_pb2.Money) -> str:
    sign = "-" if m.amount_minor < 0 else ""
    units, minor = divmod(abs(m.amount_minor), 100)
    return f"{sign}{units}.{minor:02d} {m.currency_code}"


def _claim_line(c: returns_pb2.Claim) -> str:
    status = returns_pb2.ClaimStatus.Name(c.status).removeprefix("CLAIM_STATUS_")
    refunded = f" refunded={_money(c.refunded)}" if c.HasField("refunded") else ""
    shipping = f" shipping_reimbursed={_money(c.shipping_reimbursed)}" if c.HasField("shipping_reimbursed") else ""
    money = ""
    if c.refund_state == returns_pb2.REFUND_STATE_PENDING_FUNDS:
        money = f" money=held({_money(c.refund_held)}: paid when the shop's balance allows)"
    elif c.refund_state == returns_pb2.REFUND_STATE_PAID:
        money = " money=paid"
    return f"{c.claim_id}  {status}  purchase={c.purchase_id} buyer={c.buyer_id} shop={c.shop_id}{refunded}{shipping}{money}"


# --- commands -------------------------------------------------------------------------------

def cmd_token(ctx: Ctx):
    who = ctx.args.who
    if ctx.args.sub:  # `token mint service --sub orders`: the subject given on its own
        role, _, rest = who.partition(":")
        _, at, shop = rest.partition("@")
        who = f"{role}:{ctx.args.sub}{at}{shop}"
    print(mint(parse_as(who), ttl=ctx.args.ttl))


def cmd_status(ctx: Ctx):
    from devstack.processes import grpc_serving

    info = run_info()
    rows = {name: (service_address(name), grpc_serving(service_address(name))) for name in ("chat", "moderation", "returns", "notify")}
    mongo_uri, nats_url = info.get("mongodb_uri", ""), info.get("nats_url", "")
    mongo_ok = nats_ok = False
    if mongo_uri:
        from devstack.processes import _mongo_ready

        mongo_ok = _mongo_ready(mongo_uri)
    if nats_url:
        from devstack.processes import port_is_open

        host, _, port = nats_url.removeprefix("nats://").rpartition(":")
        nats_ok = port.isdigit() and port_is_open(host or "127.0.0.1", int(port))
    result: dict[str, Any] = {
        "services": {n: {"address": a, "status": "SERVING" if ok else "DOWN"} for n, (a, ok) in rows.items()},
        "mongodb": {"uri": mongo_uri or "unknown (not started by make run)", "status": "UP" if mongo_ok else "DOWN"},
        "nats": {"url": nats_url or "unknown (not started by make run)", "status": "UP" if nats_ok else "DOWN"},
    }
    if ctx.args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, row in result["services"].items():
            print(f"{name:<11} {row['status']:<8} {row['address']}")
        print(f"{'mongodb':<11} {result['mongodb']['status']:<8} {result['mongodb']['uri']}")
        print(f"{'nats':<11} {result['nats']['status']:<8} {result['nats']['url']}")
    healthy = all(ok for _, ok in rows.values()) and mongo_ok and nats_ok
    if not healthy:
        raise SystemExit(1)


def _chat_call(ctx: Ctx, method: str, request):
    """A chat call and whether its answer replays the first one under its request id."""
    return ctx.call_replayable(getattr(ctx.stub("chat", chat_pb2_grpc.ChatServiceStub), method), request)


def cmd_create_thread(ctx: Ctx):
    a = ctx.args
    request = chat_pb2.CreateThreadRequest(
        # Only a support request is told apart by its request id (order and claim chats by what they are about).
        request_id=a.request_id or (uuid.uuid4().hex if a.kind.lower() == "support" else ""),
        kind=_enum(chat_pb2.ThreadKind, "THREAD_KIND_", a.kind),
        order_id=a.order, claim_id=a.claim, buyer_id=a.buyer, shop_id=a.shop, linked_thread_id=a.linked,
    )
    if a.reason:
        request.initiation_reason = _enum(chat_pb2.InitiationReason, "INITIATION_REASON_", a.reason)
    if a.kind.lower() == "support":
        request.support.CopyFrom(chat_pb2.SupportTopic(category=a.category, topic=a.topic))
    reply, replayed = _chat_call(ctx, "CreateThread", request)
    # A retry of the request that started the thread is answered as it was first (created, the
    # thread as it was started); another's request finds it as it is now (existing).
    again = f" (the first answer to request {request.request_id}, replayed: nothing changed)" if replayed else ""
    ctx.emit(reply, lambda r: print(("created " if r.created else "existing ") + _thread_line(r.thread) + again))


def cmd_threads(ctx: Ctx):
    a = ctx.args
    request = chat_pb2.ListThreadsRequest(page_size=a.limit, unread_only=a.unread, page_token=a.page_token)
    if a.kind:
        request.kind = _enum(chat_pb2.ThreadKind, "THREAD_KIND_", a.kind)
    reply = ctx.call(ctx.stub("chat", chat_pb2_grpc.ChatServiceStub).ListThreads, request)

    def show(r) -> None:
        for thread in r.threads:
            print(_thread_line(thread))
        if r.next_page_token:
            print(f"next page: --page-token {r.next_page_token}")

    ctx.emit(reply, show)


def cmd_send(ctx: Ctx):
    a = ctx.args
    request = chat_pb2.SendMessageRequest(request_id=a.request_id or uuid.uuid4().hex, thread_id=a.thread, text=a.text)
    reply, replayed = _chat_call(ctx, "SendMessage", request)

    def human(r):
        # A retry is answered as the first send was (its status then: see `messages` for now).
        again = f" (the first answer to request {request.request_id}, replayed: nothing sent)" if replayed else ""
        print(_message_line(r.message) + again)
        if r.moderation.reason:
            print(f"moderation: {r.moderation.reason}")

    ctx.emit(reply, human)


def cmd_messages(ctx: Ctx):
    a = ctx.args
    request = chat_pb2.ListMessagesRequest(
        thread_id=a.thread, page_size=a.limit, page_token=a.page_token,
        direction=chat_pb2.DIRECTION_NEWER if a.newer else chat_pb2.DIRECTION_OLDER,
    )
    reply = ctx.call(ctx.stub("chat", chat_pb2_grpc.ChatServiceStub).ListMessages, request)
    ctx.emit(reply, lambda r: [print(_message_line(m)) for m in r.messages])


def cmd_read(ctx: Ctx):
    request = chat_pb2.MarkReadRequest(thread_id=ctx.args.thread, up_to_seq=ctx.args.up_to)
    reply = ctx.call(ctx.stub("chat", chat_pb2_grpc.ChatServiceStub).MarkRead, request)
    ctx.emit(reply, lambda r: print(f"unread: {r.unread_count}"))


def cmd_close(ctx: Ctx):
    request = chat_pb2.CloseThreadRequest(thread_id=ctx.args.thread, reason=ctx.args.reason)
    reply = ctx.call(ctx.stub("chat", chat_pb2_grpc.ChatServiceStub).CloseThread, request)
    ctx.emit(reply, lambda r: print(_thread_line(r.thread)))


def cmd_notifications(ctx: Ctx):
    request = notify_pb2.ListNotificationsRequest(page_size=ctx.args.limit, unread_only=ctx.args.unread, inbox=ctx.args.inbox)
    reply = ctx.call(ctx.stub("notify", notify_pb2_grpc.NotifyServiceStub).ListNotifications, request)

    def human(r):
        print(f"unread: {r.unread_count}")
        for n in r.notifications:
            kind = notify_pb2.NotificationKind.Name(n.kind).removeprefix("NOTIFICATION_KIND_")
            print(f"{'*' if not n.read else ' '} {kind:<15} {n.title} — {n.body}")

    ctx.emit(reply, human)


def cmd_record_purchase(ctx: Ctx):
    a = ctx.args
    purchase = returns_pb2.Purchase(
        order_id=a.order, item_id=a.item, item_name=a.name, buyer_id=a.buyer, shop_id=a.shop, quantity=a.quantity,
        price=common_pb2.Money(currency_code=a.currency, amount_minor=_kopecks(a.price)),
        paid_at=_ts(a.paid_at) if a.paid_at else _ts(dt.datetime.now(dt.UTC).isoformat()),
    )
    request = returns_pb2.RecordPurchaseRequest(request_id=a.request_id or uuid.uuid4().hex, purchase=purchase)
    # A retry under a used request id is answered as the first request was (`created` included).
    reply, replayed = ctx.call_replayable(ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub).RecordPurchase, request)

    def show(r) -> None:
        state = "recorded" if r.created else "existing"
        again = f" (the first answer to request {request.request_id}, replayed: nothing changed)" if replayed else ""
        print(f"{state} purchase {r.purchase.purchase_id} ({_money(r.purchase.price)} x {r.purchase.quantity}){again}")

    ctx.emit(reply, show)


def cmd_open_claim(ctx: Ctx):
    a = ctx.args
    request = returns_pb2.OpenClaimRequest(
        request_id=a.request_id or uuid.uuid4().hex, purchase_id=a.purchase, description=a.description,
        requested_form=_enum(returns_pb2.CompensationForm, "COMPENSATION_FORM_", a.form), quantity=a.quantity,
        photo_ids=a.photo or [], thread_id=a.thread,
    )
    reply = ctx.call(ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub).OpenClaim, request)
    ctx.emit(reply, lambda r: print(_claim_line(r.claim)))


def cmd_decide(ctx: Ctx):
    a = ctx.args
    request = returns_pb2.DecideClaimRequest(request_id=a.request_id or uuid.uuid4().hex, claim_id=a.claim)
    if a.reject:
        request.reject.CopyFrom(returns_pb2.Rejection(reason=_enum(returns_pb2.RejectionReason, "REJECTION_REASON_", a.reject), comment=a.comment))
    else:
        offer = returns_pb2.CompensationOffer(form=_enum(returns_pb2.CompensationForm, "COMPENSATION_FORM_", a.form))
        if a.refund:
            offer.refund_amount.CopyFrom(common_pb2.Money(currency_code=a.currency, amount_minor=_kopecks(a.refund)))
        if a.shipping:
            offer.shipping_reimbursement.CopyFrom(common_pb2.Money(currency_code=a.currency, amount_minor=_kopecks(a.shipping)))
        if a.handover:
            offer.handover_method = _enum(returns_pb2.HandoverMethod, "HANDOVER_METHOD_", a.handover)
        request.approve.CopyFrom(returns_pb2.Approval(mode=_enum(returns_pb2.ApprovalMode, "APPROVAL_MODE_", a.mode), offer=offer))
    reply = ctx.call(ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub).DecideClaim, request)
    ctx.emit(reply, lambda r: print(_claim_line(r.claim)))


def _claim_action(ctx: Ctx, method_name: str, request) -> None:
    stub = ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub)
    reply = ctx.call(getattr(stub, method_name), request)
    ctx.emit(reply, lambda r: print(_claim_line(r.claim)))


def cmd_respond(ctx: Ctx):
    a = ctx.args
    _claim_action(ctx, "RespondToOffer", returns_pb2.RespondToOfferRequest(
        request_id=a.request_id or uuid.uuid4().hex, claim_id=a.claim, accept=not a.decline, comment=a.comment))


def cmd_hand_over(ctx: Ctx):
    a = ctx.args
    _claim_action(ctx, "HandOverItem", returns_pb2.HandOverItemRequest(
        request_id=a.request_id or uuid.uuid4().hex, claim_id=a.claim,
        method=_enum(returns_pb2.HandoverMethod, "HANDOVER_METHOD_", a.method), pickup_point_id=a.pickup_point))


def cmd_receive(ctx: Ctx):
    a = ctx.args
    _claim_action(ctx, "ConfirmReceipt", returns_pb2.ConfirmReceiptRequest(
        request_id=a.request_id or uuid.uuid4().hex, claim_id=a.claim, defect_confirmed=not a.defect_not_found, comment=a.comment))


def cmd_reconsider(ctx: Ctx):
    a = ctx.args
    _claim_action(ctx, "RequestReconsideration", returns_pb2.RequestReconsiderationRequest(
        request_id=a.request_id or uuid.uuid4().hex, claim_id=a.claim, comment=a.comment, photo_ids=a.photo or []))


def cmd_cancel(ctx: Ctx):
    a = ctx.args
    _claim_action(ctx, "CancelClaim", returns_pb2.CancelClaimRequest(
        request_id=a.request_id or uuid.uuid4().hex, claim_id=a.claim, reason=a.reason or a.comment))


def cmd_claim(ctx: Ctx):
    reply = ctx.call(ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub).GetClaim, returns_pb2.GetClaimRequest(claim_id=ctx.args.claim))
    ctx.emit(reply, lambda r: print(_claim_line(r.claim)))


def cmd_claims(ctx: Ctx):
    reply = ctx.call(ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub).ListClaims, returns_pb2.ListClaimsRequest(page_size=ctx.args.limit))
    ctx.emit(reply, lambda r: [print(_claim_line(c)) for c in r.claims])


def cmd_balance(ctx: Ctx):
    reply = ctx.call(ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub).GetBalance, returns_pb2.GetBalanceRequest(shop_id=ctx.args.shop))
    def show(r) -> None:
        b = r.balance
        held = f", held refunds {_money(b.held_refunds)}" if b.held_refunds.amount_minor else ""
        print(f"shop {b.shop_id}: {_money(b.current)} (available for withdrawal {_money(b.available_for_withdrawal)}, "
              f"debt {_money(b.debt)}{held}; overdraft limit {_money(b.overdraft_limit)})")

    ctx.emit(reply, show)


def cmd_ledger(ctx: Ctx):
    reply = ctx.call(ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub).ListLedgerEntries,
                     returns_pb2.ListLedgerEntriesRequest(shop_id=ctx.args.shop, page_size=ctx.args.limit))
    def show(r) -> None:
        for e in r.entries:
            kind = returns_pb2.EntryKind.Name(e.kind).removeprefix("ENTRY_KIND_")
            print(f"{e.posting_id:<40} {kind:<8} {_money(e.amount):>16} -> {_money(e.balance_after)}")

    ctx.emit(reply, show)


def _counts(r: returns_pb2.VerifyLedgerResponse) -> str:
    return (f"{r.entries_checked} entries, {r.postings_checked} postings, {r.accounts_checked} accounts, "
            f"{r.purchases_checked} purchases, {r.claims_checked} claims, {r.penalties_checked} penalties")


def cmd_verify_ledger(ctx: Ctx):
    """Progress lines on stderr, the report on stdout; exit code 1 when problems were found."""
    stub = ctx.stub("returns", returns_pb2_grpc.ReturnsServiceStub)
    stream = stub.VerifyLedger(returns_pb2.VerifyLedgerRequest(max_problems=ctx.args.max_problems),
                               metadata=metadata(ctx.token()), timeout=ctx.args.timeout)
    last = None
    for response in stream:
        if response.done:
            last = response
            break
        print(f"checked {_counts(response)}", file=sys.stderr, flush=True)
    if last is None:
        raise CliError("the returns service ended the check without a report")

    def show(r) -> None:
        print(f"ledger {'OK' if r.ok else 'NOT OK'}: {_counts(r)}")
        for problem in r.problems:
            print(f"  {problem.kind:<26} {problem.subject}: {problem.detail}")

    ctx.emit(last, show)
    if not last.ok:
        raise SystemExit(1)


def cmd_moderation_check(ctx: Ctx):
    ctx.args.address = service_address("moderation", ctx.args.addr)
    moderation_check.check(ctx.args)


# --- parser ---------------------------------------------------------------------------------

# long-function: one flat table of every subcommand and its options reads better than pieces.
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    common.add_argument("--as", dest="as_", metavar="ROLE:USER[@SHOP]", default="", help="act as this development identity")
    common.add_argument("--token", default="", help="use this bearer token instead of minting one")
    common.add_argument("--addr", default="", help="service address host:port (overrides run.json and defaults)")
    common.add_argument("--timeout", type=float, default=10.0, help="seconds per call")

    parser = argparse.ArgumentParser(prog="prilavok", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    groups = parser.add_subparsers(dest="group", required=True)

    def command(sub, name, func, help_):
        p = sub.add_parser(name, parents=[common], help=help_)
        p.set_defaults(func=func)
        return p

    p = command(groups, "status", cmd_status, "health of every service, NATS and MongoDB")
    token = groups.add_parser("token", help="development tokens").add_subparsers(dest="cmd", required=True)
    p = command(token, "mint", cmd_token, "mint a development token")
    p.add_argument("who", metavar="ROLE[:USER][@SHOP]", help="e.g. buyer:b1, seller:u1@s1, service:orders (or `service --sub orders`)")
    p.add_argument("--sub", default="", help="the token's subject: a user id, or a service's name (e.g. orders, the order system)")
    p.add_argument("--ttl", type=int, default=3600)

    chat = groups.add_parser("chat", help="threads and messages").add_subparsers(dest="cmd", required=True)
    p = command(chat, "create-thread", cmd_create_thread, "open a thread")
    p.add_argument("--kind", default="order", help="order | claim | support")
    p.add_argument("--order", default="")
    p.add_argument("--claim", default="")
    p.add_argument("--buyer", default="", help="(seller opening a thread) the buyer")
    p.add_argument("--shop", default="", help="(buyer opening a thread) the shop")
    p.add_argument("--reason", default="", help="seller writing first: order_details | delivery_problem | stock_confirmation | buyer_request")
    p.add_argument("--category", default="")
    p.add_argument("--topic", default="")
    p.add_argument("--linked", default="")
    p.add_argument("--request-id", default="", help="give the same one to retry (the first answer is replayed); optional for order and claim chats")
    p = command(chat, "threads", cmd_threads, "list your threads")
    p.add_argument("--kind", default="")
    p.add_argument("--unread", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--page-token", default="")
    p = command(chat, "send", cmd_send, "send a message")
    p.add_argument("--thread", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--request-id", default="", help="give the same one, with the same text, to retry (the first answer is replayed)")
    p = command(chat, "messages", cmd_messages, "list messages (newest first)")
    p.add_argument("--thread", required=True)
    p.add_argument("--newer", action="store_true", help="oldest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--page-token", default="")
    p = command(chat, "read", cmd_read, "mark a thread read")
    p.add_argument("--thread", required=True)
    p.add_argument("--up-to", type=int, default=0)
    p = command(chat, "close", cmd_close, "close a thread")
    p.add_argument("--thread", required=True)
    p.add_argument("--reason", default="")

    notify = groups.add_parser("notify", help="notifications").add_subparsers(dest="cmd", required=True)
    p = command(notify, "list", cmd_notifications, "list your notifications")
    p.add_argument("--unread", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--inbox", default="", help="which of your inboxes: empty for the main one; a support agent's own is user:<id>")

    moderation = groups.add_parser("moderation", help="moderation").add_subparsers(dest="cmd", required=True)
    p = command(moderation, "check", cmd_moderation_check, "check a text (dry run: nothing is recorded)")
    p.add_argument("--role", default="", choices=["", *moderation_check.ROLES])
    p.add_argument("--text")
    p.add_argument("--jsonl", action="store_true", help='read {"role","text"} lines on stdin, write one verdict per line')
    p.add_argument("--engine", choices=["auto", "remote", "local"], default="auto",
                   help="remote: the moderation service; local: the engine in-process; auto: remote if it answers")
    moderation_commands.register(moderation, command)

    returns = groups.add_parser("returns", help="purchases, claims, balances").add_subparsers(dest="cmd", required=True)
    p = command(returns, "record-purchase", cmd_record_purchase, "record a paid purchase (as the order system: --as service:orders)")
    for flag in ("--order", "--item", "--buyer", "--shop", "--price"):
        p.add_argument(flag, required=True)
    p.add_argument("--name", default="")
    p.add_argument("--quantity", type=int, default=1)
    p.add_argument("--currency", default="RUB")
    p.add_argument("--paid-at", default="", help="ISO date; defaults to now")
    p.add_argument("--request-id", default="",
                   help="give the same one, with the same --paid-at (it defaults to now), to retry; a new one is generated if not given")
    p = command(returns, "open-claim", cmd_open_claim, "open a defect claim (as the buyer)")
    p.add_argument("--purchase", required=True)
    p.add_argument("--description", required=True)
    p.add_argument("--form", default="full_refund", help="full_refund | replacement | missing_part | partial_refund")
    p.add_argument("--quantity", type=int, default=1)
    p.add_argument("--photo", action="append")
    p.add_argument("--thread", default="")
    p.add_argument("--request-id", default="")
    p = command(returns, "decide", cmd_decide, "the seller approves or rejects a claim")
    p.add_argument("--claim", required=True)
    p.add_argument("--mode", default="no_return", help="defect_check | take_back | no_return | return_to_shop")
    p.add_argument("--form", default="full_refund")
    p.add_argument("--refund", default="", help="amount, e.g. 1299.90")
    p.add_argument("--shipping", default="")
    p.add_argument("--handover", default="", help="pickup_point | direct_to_seller")
    p.add_argument("--currency", default="RUB")
    p.add_argument("--reject", default="", help="defect_not_found | need_photo_or_video | go_to_service_centre | other")
    p.add_argument("--comment", default="")
    p.add_argument("--request-id", default="")
    p = command(returns, "respond", cmd_respond, "the buyer accepts (or --decline) the seller's offer")
    p.add_argument("--claim", required=True)
    p.add_argument("--decline", action="store_true")
    p.add_argument("--comment", default="")
    p.add_argument("--request-id", default="")
    p = command(returns, "hand-over", cmd_hand_over, "the buyer hands the item over")
    p.add_argument("--claim", required=True)
    p.add_argument("--method", default="pickup_point", help="pickup_point | direct_to_seller: as agreed in the offer")
    p.add_argument("--pickup-point", default="")
    p.add_argument("--request-id", default="")
    p = command(returns, "receive", cmd_receive, "the seller confirms receipt (and the defect)")
    p.add_argument("--claim", required=True)
    p.add_argument("--defect-not-found", action="store_true")
    p.add_argument("--comment", default="")
    p.add_argument("--request-id", default="")
    p = command(returns, "reconsider", cmd_reconsider, "the buyer asks to reconsider a rejected claim")
    p.add_argument("--claim", required=True)
    p.add_argument("--comment", default="")
    p.add_argument("--photo", action="append")
    p.add_argument("--request-id", default="")
    p = command(returns, "cancel", cmd_cancel, "the buyer withdraws a claim")
    p.add_argument("--claim", required=True)
    p.add_argument("--reason", default="", help="why (kept in the claim's notes)")
    p.add_argument("--comment", default="", help="same as --reason")
    p.add_argument("--request-id", default="")
    p = command(returns, "claim", cmd_claim, "show a claim")
    p.add_argument("--claim", required=True)
    p = command(returns, "claims", cmd_claims, "list claims you may see")
    p.add_argument("--limit", type=int, default=20)
    p = command(returns, "balance", cmd_balance, "a shop's balance")
    p.add_argument("--shop", default="")
    p = command(returns, "ledger", cmd_ledger, "a shop's ledger entries")
    p.add_argument("--shop", default="")
    p.add_argument("--limit", type=int, default=20)
    p = command(returns, "verify-ledger", cmd_verify_ledger,
                "check the whole ledger (as support:… or service:…); exit 1 when problems are found")
    p.add_argument("--max-problems", type=int, default=0, help="how many problems to list (0: the service's default, 100)")
    p.set_defaults(timeout=3600.0)  # the check reads everything: the whole stream's deadline
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    ctx = Ctx(args)
    try:
        args.func(ctx)
    except CliError as exc:
        fail(f"error: {exc}")
    except grpc.RpcError as error:
        fail(describe_error(error))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        ctx.close()


if __name__ == "__main__":
    main(sys.argv[1:])
