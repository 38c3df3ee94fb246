"""MongoDB persistence for purchases, claims and the ledger.

A posting is stored as one ledger entry per account (`<posting_id>:<account>` ids, so a
posting can never be applied twice) plus an $inc on each account's balance, in the same
transaction as the claim change and its outbox events."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from prilavok.returns.v1 import events_pb2
from prilavok_platform import mongo
from prilavok_platform.errors import Aborted, FailedPrecondition, NotFound
from prilavok_platform.nats import subject
from prilavok_platform.outbox import OUTBOX_COLLECTION, OUTBOX_INDEXES, new_event_id, outbox_document
from services.returns.adapters import protos
from services.returns.domain.ledger import Money, Posting, shop_account
from services.returns.domain.model import (
    TERMINAL,
    ApprovalMode,
    Claim,
    ClaimStatus,
    CompensationForm,
    HandoverMethod,
    Offer,
    Purchase,
    RejectionReason,
    Transition,
)
from services.returns.service_layer.ports import ClaimFilter, LedgerRow

INDEXES = [
    mongo.IndexSpec("claims", [("active_purchase_id", 1)], name="claims_one_active_per_purchase", unique=True, extra={"sparse": True}),
    mongo.IndexSpec("claims", [("buyer_id", 1), ("created_at", -1), ("_id", -1)], name="claims_buyer_created"),
    mongo.IndexSpec("claims", [("shop_id", 1), ("created_at", -1), ("_id", -1)], name="claims_shop_created"),
    mongo.IndexSpec("ledger", [("account", 1), ("seq", -1)], name="ledger_account_seq"),
    *OUTBOX_INDEXES,
]
APPLIED_REQUESTS_KEPT = 50


def money_doc(m: Money | None) -> dict | None:
    return None if m is None else {"amount_minor": m.amount_minor, "currency_code": m.currency_code}


def money_from(d: dict | None) -> Money | None:
    return None if not d else Money(int(d["amount_minor"]), d["currency_code"])


def purchase_to_doc(p: Purchase) -> dict:
    return {"_id": p.purchase_id, "order_id": p.order_id, "item_id": p.item_id, "item_name": p.item_name,
            "buyer_id": p.buyer_id, "shop_id": p.shop_id, "price": money_doc(p.price), "quantity": p.quantity,
            "paid_at": p.paid_at, "delivered_at": p.delivered_at}


def purchase_from(d: dict) -> Purchase:
    return Purchase(d["_id"], d["order_id"], d["item_id"], d.get("item_name", ""), d["buyer_id"], d["shop_id"],
                    money_from(d["price"]), d["quantity"], d["paid_at"], d.get("delivered_at"))


def claim_to_doc(c: Claim) -> dict:
    offer = c.offer
    doc = {
        "_id": c.claim_id, "purchase_id": c.purchase_id, "order_id": c.order_id, "item_id": c.item_id,
        "buyer_id": c.buyer_id, "shop_id": c.shop_id, "status": c.status.value, "description": c.description,
        "requested_form": c.requested_form.value, "quantity": c.quantity, "unit_price": money_doc(c.unit_price),
        "created_at": c.created_at, "updated_at": c.updated_at, "photo_ids": list(c.photo_ids), "video_id": c.video_id,
        "thread_id": c.thread_id, "defect_found_at": c.defect_found_at,
        "approval_mode": c.approval_mode.value if c.approval_mode else None,
        "offer": None if offer is None else {
            "form": offer.form.value, "refund": money_doc(offer.refund), "shipping": money_doc(offer.shipping),
            "handover": offer.handover.value if offer.handover else None,
        },
        "rejection_reason": c.rejection_reason.value if c.rejection_reason else None,
        "rejection_comment": c.rejection_comment, "reconsideration_count": c.reconsideration_count,
        "pickup_point_id": c.pickup_point_id, "refunded": money_doc(c.refunded), "version": c.version,
        "applied_requests": c.applied_requests,
    }
    if c.status not in TERMINAL:
        doc["active_purchase_id"] = c.purchase_id  # one open claim per purchase (unique sparse index)
    return doc


def claim_from(d: dict) -> Claim:
    offer = d.get("offer")
    return Claim(
        claim_id=d["_id"], purchase_id=d["purchase_id"], order_id=d["order_id"], item_id=d["item_id"],
        buyer_id=d["buyer_id"], shop_id=d["shop_id"], status=ClaimStatus(d["status"]), description=d["description"],
        requested_form=CompensationForm(d["requested_form"]), quantity=d["quantity"], unit_price=money_from(d["unit_price"]),
        created_at=d["created_at"], updated_at=d["updated_at"], photo_ids=tuple(d.get("photo_ids", ())),
        video_id=d.get("video_id", ""), thread_id=d.get("thread_id", ""), defect_found_at=d.get("defect_found_at"),
        approval_mode=ApprovalMode(d["approval_mode"]) if d.get("approval_mode") else None,
        offer=None if not offer else Offer(
            CompensationForm(offer["form"]), money_from(offer.get("refund")), money_from(offer.get("shipping")),
            HandoverMethod(offer["handover"]) if offer.get("handover") else None,
        ),
        rejection_reason=RejectionReason(d["rejection_reason"]) if d.get("rejection_reason") else None,
        rejection_comment=d.get("rejection_comment", ""), reconsideration_count=d.get("reconsideration_count", 0),
        pickup_point_id=d.get("pickup_point_id", ""), refunded=money_from(d.get("refunded")),
        version=d.get("version", 0), applied_requests=list(d.get("applied_requests", [])),
    )


class MongoReturnsRepository:
    def __init__(self, client: AsyncMongoClient, db: AsyncDatabase, subject_prefix: str, on_commit=lambda: None):
        self._client = client
        self._db = db
        self._prefix = subject_prefix
        self._on_commit = on_commit

    def _event(self, name: str, event, at: dt.datetime) -> dict:
        return outbox_document(subject(self._prefix, "returns", *name.split(".")), event, event.event_id, at)

    async def _post(self, posting: Posting, at: dt.datetime, session) -> list[dict]:
        """Applies a posting inside the caller's transaction; returns BalanceChanged events."""
        entries, events = [], []
        for entry in posting.entries:
            balance = await self._db.balances.find_one_and_update(
                {"_id": entry.account},
                {"$inc": {f"amounts.{entry.amount.currency_code}": entry.amount.amount_minor, "seq": 1}, "$set": {"updated_at": at}},
                upsert=True, return_document=ReturnDocument.AFTER, session=session,
            )
            after = Money(int(balance["amounts"][entry.amount.currency_code]), entry.amount.currency_code)
            entries.append({
                "_id": f"{posting.posting_id}:{entry.account}:{entry.kind.value}", "posting_id": posting.posting_id,
                "account": entry.account, "seq": balance["seq"], "kind": entry.kind.value, "amount": money_doc(entry.amount),
                "balance_after": money_doc(after), "claim_id": posting.claim_id, "purchase_id": posting.purchase_id, "posted_at": at,
            })
            if entry.account.startswith("shop:"):
                shop_id = entry.account.removeprefix("shop:")
                events.append(self._event("balance.changed", events_pb2.BalanceChanged(
                    event_id=new_event_id(), occurred_at=protos.ts(at),
                    balance=protos.balance_pb(shop_id, after, at), delta=protos.money_pb(entry.amount), posting_id=posting.posting_id,
                ), at))
        # Entry ids repeat if the posting was applied before: DuplicateKeyError aborts everything.
        await self._db.ledger.insert_many(entries, session=session)
        return events

    async def record_purchase(self, purchase: Purchase, posting: Posting) -> tuple[Purchase, bool]:
        at = dt.datetime.now(dt.UTC)

        async def work(session):
            await self._db.purchases.insert_one(purchase_to_doc(purchase), session=session)
            events = await self._post(posting, at, session)
            await self._db[OUTBOX_COLLECTION].insert_many(events, session=session)

        try:
            await mongo.in_transaction(self._client, work)
        except DuplicateKeyError:
            existing = await self.get_purchase(purchase.purchase_id)
            if existing is None:
                raise
            return existing, False
        self._on_commit()
        return purchase, True

    async def get_purchase(self, purchase_id: str) -> Purchase | None:
        doc = await self._db.purchases.find_one({"_id": purchase_id})
        return purchase_from(doc) if doc else None

    async def open_claim(self, claim: Claim) -> tuple[Claim, bool]:
        event = events_pb2.ClaimOpened(event_id=new_event_id(), occurred_at=protos.ts(claim.created_at), claim=protos.claim_pb(claim))

        async def work(session):
            await self._db.claims.insert_one(claim_to_doc(claim), session=session)
            await self._db[OUTBOX_COLLECTION].insert_one(self._event("claim.opened", event, claim.created_at), session=session)

        try:
            await mongo.in_transaction(self._client, work)
        except DuplicateKeyError:
            existing = await self.get_claim(claim.claim_id)
            if existing is not None:
                return existing, False
            raise FailedPrecondition(
                f"purchase {claim.purchase_id} already has an open claim", reason="CLAIM_ALREADY_OPEN",
                metadata={"purchase_id": claim.purchase_id},
            ) from None
        self._on_commit()
        return claim, True

    async def get_claim(self, claim_id: str) -> Claim | None:
        doc = await self._db.claims.find_one({"_id": claim_id})
        return claim_from(doc) if doc else None

    async def list_claims(self, flt: ClaimFilter, limit: int, cursor: dict | None) -> list[Claim]:
        clauses: list[dict] = []
        if flt.buyer_id:
            clauses.append({"buyer_id": flt.buyer_id})
        if flt.shop_id:
            clauses.append({"shop_id": flt.shop_id})
        if flt.status:
            clauses.append({"status": flt.status.value})
        if cursor:
            at = dt.datetime.fromisoformat(cursor["at"])
            clauses.append({"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": cursor["id"]}}]})
        query = {"$and": clauses} if clauses else {}
        docs = self._db.claims.find(query).sort([("created_at", -1), ("_id", -1)]).limit(limit)
        return [claim_from(d) async for d in docs]

    async def apply(self, claim_id: str, request_key: str, decide: Callable[[Claim], Transition]) -> Claim:
        async def work(session) -> tuple[Claim, bool]:
            doc = await self._db.claims.find_one({"_id": claim_id}, session=session)
            if doc is None:
                raise NotFound(f"claim {claim_id} not found", reason="CLAIM_NOT_FOUND")
            claim = claim_from(doc)
            if request_key in claim.applied_requests:
                return claim, False
            transition = decide(claim)
            after = transition.claim
            after.version = claim.version + 1
            after.applied_requests = [*claim.applied_requests, request_key][-APPLIED_REQUESTS_KEPT:]
            new_doc = claim_to_doc(after)
            unset = {} if "active_purchase_id" in new_doc else {"active_purchase_id": ""}
            fields = {k: v for k, v in new_doc.items() if k != "_id"}
            update: dict = {"$set": fields}
            if unset:
                update["$unset"] = unset
            result = await self._db.claims.update_one(
                {"_id": claim_id, "version": claim.version, "applied_requests": {"$ne": request_key}}, update, session=session
            )
            if result.matched_count != 1:
                raise Aborted(f"claim {claim_id} changed concurrently; retry", reason="CLAIM_CONCURRENT_UPDATE")
            at = after.updated_at
            claim_pb = protos.claim_pb(after)
            events = [self._event("claim.status_changed", events_pb2.ClaimStatusChanged(
                event_id=new_event_id(), occurred_at=protos.ts(at), claim=claim_pb,
                previous=protos.claim_status_pb(transition.previous), changed_by=protos.actor_pb(transition.actor),
            ), at)]
            if transition.posting is not None:
                events += await self._post(transition.posting, at, session)
                refund = sum(e.amount.amount_minor for e in transition.posting.entries if e.account.startswith("buyer_refunds:"))
                events.append(self._event("refund.issued", events_pb2.RefundIssued(
                    event_id=new_event_id(), occurred_at=protos.ts(at), claim_id=after.claim_id, buyer_id=after.buyer_id,
                    shop_id=after.shop_id, amount=protos.money_pb(Money(refund, after.unit_price.currency_code)),
                    posting_id=transition.posting.posting_id,
                ), at))
            await self._db[OUTBOX_COLLECTION].insert_many(events, session=session)
            return after, True

        try:
            claim, changed = await mongo.in_transaction(self._client, work)
        except DuplicateKeyError as exc:
            raise FailedPrecondition(f"claim {claim_id}: its refund was already posted ({exc.details and exc.details.get('keyValue')})",
                                     reason="REFUND_ALREADY_POSTED") from None
        if changed:
            self._on_commit()
        return claim

    async def balance(self, account: str, currency: str) -> tuple[Money, object]:
        doc = await self._db.balances.find_one({"_id": account})
        if not doc:
            return Money(0, currency), None
        return Money(int(doc.get("amounts", {}).get(currency, 0)), currency), doc.get("updated_at")

    async def ledger(self, account: str, limit: int, cursor: dict | None) -> list[LedgerRow]:
        query: dict = {"account": account}
        if cursor:
            query["seq"] = {"$lt": int(cursor["seq"])}
        docs = self._db.ledger.find(query).sort("seq", -1).limit(limit)
        return [
            LedgerRow(d["_id"], d["posting_id"], d["kind"], money_from(d["amount"]), d.get("claim_id", ""),
                      d.get("purchase_id", ""), d["posted_at"], money_from(d["balance_after"]), d["seq"])
            async for d in docs
        ]


__all__ = ["MongoReturnsRepository", "INDEXES", "shop_account"]
