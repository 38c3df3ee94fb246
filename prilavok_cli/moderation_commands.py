"""`prilavok moderation standing | queue | resolve | appeal | lift-suspension`: the moderation
service's sanctions and review queue from the command line. `register` adds the subcommands to
the `moderation` group of prilavok_cli/main.py's parser (main.py owns the parser)."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from google.protobuf.timestamp_pb2 import Timestamp

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_cli.client import CliError

if TYPE_CHECKING:
    from prilavok_cli.main import Ctx

KINDS = {"held": mpb.REVIEW_KIND_HELD_MESSAGE, "appeal": mpb.REVIEW_KIND_APPEAL}
STATUSES = {name.removeprefix("REVIEW_STATUS_").lower(): number for name, number in mpb.ReviewStatus.items() if number}
DECISIONS = {name.removeprefix("REVIEW_DECISION_").lower(): number for name, number in mpb.ReviewDecision.items() if number}


def _stub(ctx: Ctx) -> moderation_pb2_grpc.ModerationServiceStub:
    return ctx.stub("moderation", moderation_pb2_grpc.ModerationServiceStub)


def _name(enum_pb: Any, number: int, prefix: str) -> str:
    return str(enum_pb.Name(number)).removeprefix(prefix) if number in enum_pb.values() else str(number)


def _party(party: common_pb2.Party) -> str:
    kind = _name(common_pb2.PartyKind, party.kind, "PARTY_KIND_").lower()
    return f"{kind}:{party.id}" if party.id else kind


def _when(ts: Timestamp) -> str:
    return ts.ToDatetime().strftime("%Y-%m-%d %H:%M UTC")


def _money(m: common_pb2.Money) -> str:
    units, minor = divmod(m.amount_minor, 100)
    return f"{units}.{minor:02d} {m.currency_code}"


def _review_line(item: mpb.ReviewItem) -> str:
    kind = _name(mpb.ReviewKind, item.kind, "REVIEW_KIND_")
    status = _name(mpb.ReviewStatus, item.status, "REVIEW_STATUS_")
    categories = ",".join(_name(mpb.Category, v.category, "CATEGORY_") for v in item.verdict.violations) or "-"
    line = f"{item.review_id}  {kind:<12} {status:<8} message={item.message_id} thread={item.thread_id} [{categories}]"
    if item.kind == mpb.REVIEW_KIND_APPEAL:
        line += f"\n    appeal by {item.appealed_by} for {_party(item.appellant)}: {item.appeal_reason}"
    elif item.text:
        line += f"\n    {item.text}"
    if item.resolution_comment:
        line += f"\n    decided by {item.resolved_by}: {item.resolution_comment}"
    return line


def cmd_standing(ctx: Ctx) -> None:
    request = mpb.GetSenderStandingRequest(sender_id=ctx.args.user, shop_id=ctx.args.shop)
    reply = ctx.call(_stub(ctx).GetSenderStanding, request)

    def human(r: mpb.GetSenderStandingResponse) -> None:
        who = f"shop {r.shop_id}" if r.shop_id else f"user {r.sender_id}"
        print(f"{who}: {_name(mpb.Standing, r.standing, 'STANDING_')}  strikes in window {r.strikes_in_window}, "
              f"total {r.strikes_total}")
        if r.HasField("suspended_until"):
            print(f"suspended until {_when(r.suspended_until)} ({_party(r.suspended_party)} may not send)")
        for p in r.penalties:
            print(f"  fine {p.penalty_id}: {_money(p.fine)} — {p.reason}")

    ctx.emit(reply, human)


def cmd_queue(ctx: Ctx) -> None:
    request = mpb.ListReviewQueueRequest(status=STATUSES[ctx.args.status], kind=KINDS.get(ctx.args.kind, 0),
                                         page_size=ctx.args.limit)
    reply = ctx.call(_stub(ctx).ListReviewQueue, request)

    def human(r: mpb.ListReviewQueueResponse) -> None:
        for item in r.items:
            print(_review_line(item))
        if not r.items:
            print("nothing waits")

    ctx.emit(reply, human)


def cmd_resolve(ctx: Ctx) -> None:
    request = mpb.ResolveReviewRequest(review_id=ctx.args.review, decision=DECISIONS[ctx.args.decision], comment=ctx.args.comment)
    reply = ctx.call(_stub(ctx).ResolveReview, request)
    ctx.emit(reply, lambda r: print(_review_line(r.item)))


def cmd_appeal(ctx: Ctx) -> None:
    a = ctx.args
    if not a.message and not a.penalty:
        raise CliError("name the violation: --message MESSAGE_ID or --penalty PENALTY_ID")
    request = mpb.AppealDecisionRequest(request_id=a.request_id or uuid.uuid4().hex, message_id=a.message, penalty_id=a.penalty,
                                        reason=a.reason)
    reply, replayed = ctx.call_replayable(_stub(ctx).AppealDecision, request)
    # A retry is answered with the appeal as filed, whatever was decided since (see `queue`).
    again = f"\n(the first answer to request {request.request_id}, replayed: nothing changed)" if replayed else ""
    ctx.emit(reply, lambda r: print(_review_line(r.appeal) + again))


def cmd_lift_suspension(ctx: Ctx) -> None:
    a = ctx.args
    request = mpb.LiftSuspensionRequest(request_id=a.request_id or uuid.uuid4().hex, sender_id=a.user, shop_id=a.shop,
                                        reason=a.reason)
    reply, replayed = ctx.call_replayable(_stub(ctx).LiftSuspension, request)
    again = f" (the first answer to request {request.request_id}, replayed: nothing changed)" if replayed else ""

    def human(r: mpb.LiftSuspensionResponse) -> None:
        s = r.suspension
        # A replay answers the first lift: the standing right after it, not the standing now.
        print(f"lifted: {_party(s.suspended_party)} (suspended until {_when(s.until)}) by {s.lifted_by}; "
              f"standing {'right after it' if replayed else 'now'} {_name(mpb.Standing, r.standing, 'STANDING_')}{again}")

    ctx.emit(reply, human)


Command = Callable[[Any, str, Callable[[Any], None], str], Any]


def register(moderation: Any, command: Command) -> None:
    """Adds the subcommands to the `moderation` subparsers; `command(sub, name, func, help)` is
    main.py's helper (it adds the common options: --as, --json, --addr...)."""
    p = command(moderation, "standing", cmd_standing, "a sender's standing, strikes, fines and suspension")
    p.add_argument("--shop", default="", help="a shop's (staff); a seller sees their own shop's without it")
    p.add_argument("--user", default="", help="a user's (staff); a buyer sees their own without it")
    p = command(moderation, "queue", cmd_queue, "the review queue: held messages and appeals (moderators)")
    p.add_argument("--kind", default="", choices=["", *KINDS], help="only held messages or only appeals")
    p.add_argument("--status", default="pending", choices=list(STATUSES))
    p.add_argument("--limit", type=int, default=20)
    p = command(moderation, "resolve", cmd_resolve, "decide a held message (approve/reject) or an appeal (uphold/reverse)")
    p.add_argument("--review", required=True)
    p.add_argument("--decision", required=True, choices=list(DECISIONS))
    p.add_argument("--comment", default="", help="required for appeals; shown to the sender or appellant (Russian)")
    p = command(moderation, "appeal", cmd_appeal, "appeal a block, strike or fine (as its offender)")
    p.add_argument("--message", default="", help="the message whose violation is appealed")
    p.add_argument("--penalty", default="", help="or one of its penalties")
    p.add_argument("--reason", required=True, help="why the decision was wrong (Russian)")
    p.add_argument("--request-id", default="", help="give the same one to retry; a new one is generated if not given")
    p = command(moderation, "lift-suspension", cmd_lift_suspension, "end a suspension early (moderators)")
    p.add_argument("--shop", default="")
    p.add_argument("--user", default="")
    p.add_argument("--reason", required=True)
    p.add_argument("--request-id", default="", help="give the same one to retry; a new one is generated if not given")
