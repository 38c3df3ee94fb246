"""Conversions between moderation's domain objects and its protobuf contracts."""
from __future__ import annotations

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2 as pb
from prilavok_platform.protobuf import timestamp
from services.moderation.domain.model import Action, Category, Finding, SenderRole, Span, Verdict
from services.moderation.service_layer.ports import ReviewRecord, Sender

ROLE_FROM_PB = {
    common_pb2.ROLE_BUYER: SenderRole.BUYER,
    common_pb2.ROLE_SELLER: SenderRole.SELLER,
    common_pb2.ROLE_SUPPORT: SenderRole.SUPPORT,
    common_pb2.ROLE_MODERATOR: SenderRole.MODERATOR,
}
ROLE_TO_PB = {v: k for k, v in ROLE_FROM_PB.items()}




def action_to_pb(action: Action) -> int:
    return pb.Action.Value(f"ACTION_{action.name}")


def category_to_pb(category: Category) -> int:
    return pb.Category.Value(f"CATEGORY_{category.value}")


def verdict_to_pb(verdict: Verdict) -> pb.Verdict:
    return pb.Verdict(
        action=action_to_pb(verdict.action),
        violations=[
            pb.Violation(
                category=category_to_pb(f.category),
                rule=f.rule,
                spans=[common_pb2.TextSpan(start=s.start, end=s.end) for s in f.spans],
            )
            for f in verdict.findings
        ],
        reason=verdict.reason,
        masked_text=verdict.masked_text,
        policy_version=verdict.policy_version,
    )


def verdict_from_doc(doc: dict) -> Verdict:
    return Verdict(
        action=Action[doc["action"]],
        findings=tuple(
            Finding(Category(f["category"]), f["rule"], tuple(Span(s[0], s[1]) for s in f["spans"]))
            for f in doc["findings"]
        ),
        reason=doc["reason"],
        masked_text=doc.get("masked_text", ""),
        policy_version=doc["policy_version"],
    )


def verdict_to_doc(verdict: Verdict) -> dict:
    return {
        "action": verdict.action.name,
        "findings": [
            {"category": f.category.value, "rule": f.rule, "spans": [[s.start, s.end] for s in f.spans]}
            for f in verdict.findings
        ],
        "reason": verdict.reason,
        "masked_text": verdict.masked_text,
        "policy_version": verdict.policy_version,
    }


def actor_to_pb(sender: Sender) -> common_pb2.Actor:
    return common_pb2.Actor(role=ROLE_TO_PB[sender.role], user_id=sender.user_id, shop_id=sender.shop_id)


def review_to_pb(review: ReviewRecord) -> pb.ReviewItem:
    item = pb.ReviewItem(
        review_id=review.review_id,
        message_id=review.message_id,
        thread_id=review.thread_id,
        sender=actor_to_pb(review.sender),
        text=review.text,
        verdict=verdict_to_pb(review.verdict),
        status=pb.ReviewStatus.Value(f"REVIEW_STATUS_{review.status}"),
        created_at=timestamp(review.created_at),
        resolved_by=review.resolved_by,
        resolution_comment=review.comment,
    )
    if review.resolved_at:
        item.resolved_at.CopyFrom(timestamp(review.resolved_at))
    return item
