"""MongoDB persistence for purchases, claims, the ledger and balances. Load and save only: the
handlers decide, and the MongoUnitOfWork gives every repository its transaction's session.

A posting is stored as one ledger entry per account and kind (ids `<posting_id>:<account>:<kind>`,
unique, so a posting can never be stored twice) plus an $inc on each account's balance."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from prilavok_platform import mongo
from prilavok_platform.errors import Aborted
from prilavok_platform.identity import Party
from prilavok_platform.outbox import OUTBOX_INDEXES
from prilavok_platform.pagination import KeysetOrder
from services.returns.domain.access import ClaimScope
from services.returns.domain.audit import StoredBalance
from services.returns.domain.fines import RefusedFine
from services.returns.domain.ledger import Account, BalanceAfter, BalanceMove, EntryKind, LedgerEntry, Money
from services.returns.domain.model import (
    AppliedRequest,
    ApprovalMode,
    Claim,
    ClaimNote,
    ClaimStatus,
    CompensationForm,
    HandoverMethod,
    Offer,
    Purchase,
    RefundState,
    RejectionReason,
)
from services.returns.service_layer.ports import CLAIM_ORDER, ID_ORDER, LEDGER_ORDER, PENDING_ORDER, POSTING_ORDER, ReturnsRepositories

Doc = dict[str, Any]
Session = AsyncClientSession | None


def _claim_list_indexes() -> list[mongo.IndexSpec]:
    """One index per ListClaims query shape: (scope[, status], created_at, _id)."""
    specs = []
    for scope in ("buyer_id", "shop_id", None):
        for status in (False, True):
            keys = [(scope, 1)] if scope else []
            keys += [("status", 1)] if status else []
            keys += [("created_at", -1), ("_id", -1)]
            name = "claims_" + "_".join(filter(None, [scope and scope.removesuffix("_id"), "status" if status else "", "created"]))
            specs.append(mongo.IndexSpec("claims", keys, name=name))
    return specs


INDEXES = [
    # Purchases stored before request keys existed have none: sparse.
    mongo.IndexSpec("purchases", [("request_key", 1)], name="purchases_request", unique=True, extra={"sparse": True}),
    mongo.IndexSpec("claims", [("active_purchase_id", 1)], name="claims_one_active_per_purchase", unique=True, extra={"sparse": True}),
    *_claim_list_indexes(),
    # The background payer's scan: held refunds, oldest first.
    mongo.IndexSpec("claims", [("refund_state", 1), ("held_at", 1), ("_id", 1)], name="claims_refund_state_held"),
    mongo.IndexSpec("ledger", [("account", 1), ("seq", -1)], name="ledger_account_seq"),
    # A posting's entries (and VerifyLedger's scan, posting by posting).
    mongo.IndexSpec("ledger", [("posting_id", 1), ("_id", 1)], name="ledger_posting_entries"),
    *OUTBOX_INDEXES,
]


def _concurrent(what: str, reason: str) -> Aborted:
    return Aborted(f"{what} changed concurrently; retry", reason=reason)


DUPLICATE_KEY = 11000


def _is_duplicate_key(exc: BulkWriteError) -> bool:
    """insert_many reports a duplicate key as a BulkWriteError (code 65) whose writeErrors hold 11000."""
    return any(e.get("code") == DUPLICATE_KEY for e in exc.details.get("writeErrors", []))


async def _batches(collection: AsyncCollection, order: KeysetOrder, size: int, session: Session) -> AsyncGenerator[list[Doc], None]:
    """The whole collection in `order`, `size` documents at a time, from one cursor (getMore after
    getMore). A keyset page per batch (a range on the first sort field) is planned as a
    collection scan by SecantusDB: quadratic over a whole collection."""
    cursor = collection.find({}, session=session).sort(order.sort).batch_size(size)
    try:
        batch: list[Doc] = []
        async for doc in cursor:
            batch.append(doc)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        await cursor.close()


# --- documents ------------------------------------------------------------------------------


def money_doc(m: Money | None) -> Doc | None:
    return None if m is None else {"amount_minor": m.amount_minor, "currency_code": m.currency_code}


def money_from(d: Doc | None) -> Money | None:
    return None if not d else Money(int(d["amount_minor"]), d["currency_code"])


def _money(d: Doc) -> Money:
    return Money(int(d["amount_minor"]), d["currency_code"])


def purchase_to_doc(p: Purchase) -> Doc:
    doc = {"_id": p.purchase_id, "order_id": p.order_id, "item_id": p.item_id, "item_name": p.item_name,
           "buyer_id": p.buyer_id, "shop_id": p.shop_id, "price": money_doc(p.price), "quantity": p.quantity,
           "paid_at": p.paid_at, "delivered_at": p.delivered_at, "fingerprint": dict(p.fingerprint),
           "refunded_minor": p.refunded_minor, "shipping_reimbursed_minor": p.shipping_reimbursed_minor}
    if p.request_key:
        doc["request_key"] = p.request_key  # absent rather than "": the unique index is sparse
    return doc


def purchase_from(d: Doc) -> Purchase:
    return Purchase(d["_id"], d["order_id"], d["item_id"], d.get("item_name", ""), d["buyer_id"], d["shop_id"],
                    _money(d["price"]), d["quantity"], d["paid_at"], d.get("delivered_at"), d.get("request_key", ""),
                    tuple(d.get("fingerprint", {}).items()), int(d.get("refunded_minor", 0)), int(d.get("shipping_reimbursed_minor", 0)))


def _offer_doc(offer: Offer | None) -> Doc | None:
    if offer is None:
        return None
    return {"form": offer.form.value, "refund": money_doc(offer.refund), "shipping": money_doc(offer.shipping),
            "handover": offer.handover.value if offer.handover else None}


def _offer_from(d: Doc | None) -> Offer | None:
    if not d:
        return None
    return Offer(CompensationForm(d["form"]), money_from(d.get("refund")), money_from(d.get("shipping")),
                 HandoverMethod(d["handover"]) if d.get("handover") else None)


def claim_to_doc(c: Claim) -> Doc:
    doc = {
        "_id": c.claim_id, "purchase_id": c.purchase_id, "order_id": c.order_id, "item_id": c.item_id,
        "buyer_id": c.buyer_id, "shop_id": c.shop_id, "status": c.status.value, "description": c.description,
        "requested_form": c.requested_form.value, "quantity": c.quantity, "unit_price": money_doc(c.unit_price),
        "created_at": c.created_at, "updated_at": c.updated_at, "photo_ids": list(c.photo_ids), "video_id": c.video_id,
        "thread_id": c.thread_id, "defect_found_at": c.defect_found_at,
        "approval_mode": c.approval_mode.value if c.approval_mode else None, "offer": _offer_doc(c.offer),
        "rejection_reason": c.rejection_reason.value if c.rejection_reason else None,
        "rejection_comment": c.rejection_comment, "reconsideration_count": c.reconsideration_count,
        "pickup_point_id": c.pickup_point_id, "refunded": money_doc(c.refunded),
        "shipping_reimbursed": money_doc(c.shipping_reimbursed), "version": c.version,
        "notes": [{"author": n.author.key, "text": n.text, "status": n.status.value, "at": n.at} for n in c.notes],
        "applied_requests": list(c.applied_requests),
        "refund_state": c.refund_state.value if c.refund_state else None, "refund_held": money_doc(c.refund_held),
        "held_at": c.held_at, "refund_paid_at": c.refund_paid_at, "request_fingerprint": dict(c.request_fingerprint),
    }
    if c.is_open:
        doc["active_purchase_id"] = c.purchase_id  # the unique sparse index backs the one-open-claim rule
    return doc


def claim_from(d: Doc) -> Claim:
    return Claim(
        claim_id=d["_id"], purchase_id=d["purchase_id"], order_id=d["order_id"], item_id=d["item_id"],
        buyer_id=d["buyer_id"], shop_id=d["shop_id"], status=ClaimStatus(d["status"]), description=d["description"],
        requested_form=CompensationForm(d["requested_form"]), quantity=d["quantity"], unit_price=_money(d["unit_price"]),
        created_at=d["created_at"], updated_at=d["updated_at"], photo_ids=tuple(d.get("photo_ids", ())),
        video_id=d.get("video_id", ""), thread_id=d.get("thread_id", ""), defect_found_at=d.get("defect_found_at"),
        approval_mode=ApprovalMode(d["approval_mode"]) if d.get("approval_mode") else None, offer=_offer_from(d.get("offer")),
        rejection_reason=RejectionReason(d["rejection_reason"]) if d.get("rejection_reason") else None,
        rejection_comment=d.get("rejection_comment", ""), reconsideration_count=d.get("reconsideration_count", 0),
        pickup_point_id=d.get("pickup_point_id", ""), refunded=money_from(d.get("refunded")),
        shipping_reimbursed=money_from(d.get("shipping_reimbursed")),
        notes=tuple(ClaimNote(Party.parse(n["author"]), n["text"], ClaimStatus(n["status"]), n["at"]) for n in d.get("notes", ())),
        version=d.get("version", 0), applied_requests=tuple(d.get("applied_requests", ())),
        refund_state=RefundState(d["refund_state"]) if d.get("refund_state") else None, refund_held=money_from(d.get("refund_held")),
        held_at=d.get("held_at"), refund_paid_at=d.get("refund_paid_at"),
        request_fingerprint=tuple(d.get("request_fingerprint", {}).items()),
    )


def ledger_doc(e: LedgerEntry) -> Doc:
    doc: Doc = {"_id": e.entry_id, "posting_id": e.posting_id, "account": e.account.key, "kind": e.kind.value,
           "amount": money_doc(e.amount), "claim_id": e.claim_id, "purchase_id": e.purchase_id, "posted_at": e.posted_at}
    if e.balance_after is not None:  # the marketplace's entries have neither
        doc.update(seq=e.seq, balance_after=money_doc(e.balance_after))
    if e.penalty_id:
        doc.update(penalty_id=e.penalty_id, note=e.note)
    return doc


def ledger_from(account: Account, d: Doc) -> LedgerEntry:
    return LedgerEntry(d["_id"], d["posting_id"], account, d.get("seq", 0), EntryKind(d["kind"]), _money(d["amount"]),
                       money_from(d.get("balance_after")), d.get("claim_id", ""), d.get("purchase_id", ""), d["posted_at"],
                       d.get("penalty_id", ""), d.get("note", ""))


# --- repositories ---------------------------------------------------------------------------


class MongoPurchases:
    def __init__(self, db: AsyncDatabase, session: Session):
        self._c = db.purchases
        self._s = session

    async def get(self, purchase_id: str) -> Purchase | None:
        doc = await self._c.find_one({"_id": purchase_id}, session=self._s)
        return purchase_from(doc) if doc else None

    async def find_by_request(self, request_key: str) -> Purchase | None:
        doc = await self._c.find_one({"request_key": request_key}, session=self._s)
        return purchase_from(doc) if doc else None

    async def add(self, purchase: Purchase) -> None:
        try:
            await self._c.insert_one(purchase_to_doc(purchase), session=self._s)
        except DuplicateKeyError:
            raise _concurrent(f"purchase {purchase.purchase_id}", "PURCHASE_CONCURRENT_UPDATE") from None

    async def scan(self, batch_size: int) -> AsyncGenerator[list[Purchase], None]:
        async for docs in _batches(self._c, ID_ORDER, batch_size, self._s):
            yield [purchase_from(d) for d in docs]

    async def add_settled(self, purchase_id: str, refund: Money | None, shipping: Money | None, refund_limit: Money,
                          shipping_limit: Money) -> bool:
        # `$not $gt` also matches purchases stored before the fields existed (nothing counted yet).
        query: Doc = {"_id": purchase_id}
        inc: Doc = {}
        for name, amount, limit in (("refunded_minor", refund, refund_limit), ("shipping_reimbursed_minor", shipping, shipping_limit)):
            if amount is not None and amount.amount_minor:
                query[name] = {"$not": {"$gt": limit.amount_minor - amount.amount_minor}}
                inc[name] = amount.amount_minor
        if not inc:
            return True
        result = await self._c.update_one(query, {"$inc": inc}, session=self._s)
        return result.matched_count == 1


class MongoClaims:
    def __init__(self, db: AsyncDatabase, session: Session):
        self._c = db.claims
        self._s = session

    async def get(self, claim_id: str) -> Claim | None:
        doc = await self._c.find_one({"_id": claim_id}, session=self._s)
        return claim_from(doc) if doc else None

    async def has_open_claim(self, purchase_id: str) -> bool:
        return await self._c.find_one({"active_purchase_id": purchase_id}, {"_id": 1}, session=self._s) is not None

    async def add(self, claim: Claim) -> None:
        try:
            await self._c.insert_one(claim_to_doc(claim), session=self._s)
        except DuplicateKeyError:
            raise _concurrent(f"claims of purchase {claim.purchase_id}", "CLAIM_CONCURRENT_UPDATE") from None

    async def save(self, claim: Claim, expected_version: int) -> None:
        doc = claim_to_doc(claim)
        update: Doc = {"$set": {k: v for k, v in doc.items() if k != "_id"}}
        if "active_purchase_id" not in doc:
            update["$unset"] = {"active_purchase_id": ""}
        result = await self._c.update_one({"_id": claim.claim_id, "version": expected_version}, update, session=self._s)
        if result.matched_count != 1:
            raise _concurrent(f"claim {claim.claim_id}", "CLAIM_CONCURRENT_UPDATE")

    async def page(self, scope: ClaimScope, status: ClaimStatus | None, size: int, token: str) -> tuple[list[Claim], str]:
        query: Doc = {}
        if scope.buyer_id:
            query["buyer_id"] = scope.buyer_id
        if scope.shop_id:
            query["shop_id"] = scope.shop_id
        if status is not None:
            query["status"] = status.value
        docs, next_token = await mongo.fetch_page(self._c, query, CLAIM_ORDER, size, token, session=self._s)
        return [claim_from(d) for d in docs], next_token

    async def scan(self, batch_size: int) -> AsyncGenerator[list[Claim], None]:
        async for docs in _batches(self._c, ID_ORDER, batch_size, self._s):
            yield [claim_from(d) for d in docs]

    async def pending_refunds(self, size: int, token: str) -> tuple[list[Claim], str]:
        query = {"refund_state": RefundState.PENDING_FUNDS.value}
        docs, next_token = await mongo.fetch_page(self._c, query, PENDING_ORDER, size, token, session=self._s)
        return [claim_from(d) for d in docs], next_token

    async def held_of_shop(self, shop_id: str) -> list[Claim]:
        # claims_refund_state_held answers the state; a shop's held claims are few among them.
        query = {"refund_state": RefundState.PENDING_FUNDS.value, "shop_id": shop_id}
        return [claim_from(d) async for d in self._c.find(query, session=self._s)]


class MongoLedger:
    def __init__(self, db: AsyncDatabase, session: Session):
        self._c = db.ledger
        self._s = session

    async def has_posting(self, posting_id: str) -> bool:
        return await self._c.find_one({"posting_id": posting_id}, {"_id": 1}, session=self._s) is not None

    async def posting_entries(self, posting_id: str) -> list[LedgerEntry]:
        return [ledger_from(Account.parse(d["account"]), d) async for d in self._c.find({"posting_id": posting_id}, session=self._s)]

    async def scan(self, batch_size: int) -> AsyncGenerator[list[LedgerEntry], None]:
        async for docs in _batches(self._c, POSTING_ORDER, batch_size, self._s):
            yield [ledger_from(Account.parse(d["account"]), d) for d in docs]

    async def add(self, entries: Sequence[LedgerEntry]) -> None:
        try:
            await self._c.insert_many([ledger_doc(e) for e in entries], session=self._s)
        except BulkWriteError as exc:  # insert_many's form of a duplicate key (never DuplicateKeyError)
            if not _is_duplicate_key(exc):
                raise
            raise _concurrent("the ledger", "LEDGER_CONCURRENT_UPDATE") from None

    async def account_amounts(self, account: Account) -> list[Money]:
        # ledger_account_seq answers the account; only the amounts are read.
        return [_money(d["amount"]) async for d in self._c.find({"account": account.key}, {"amount": 1}, session=self._s)]

    async def page(self, account: Account, size: int, token: str) -> tuple[list[LedgerEntry], str]:
        docs, next_token = await mongo.fetch_page(self._c, {"account": account.key}, LEDGER_ORDER, size, token, session=self._s)
        return [ledger_from(account, d) for d in docs], next_token


class MongoBalances:
    def __init__(self, db: AsyncDatabase, session: Session):
        self._c = db.balances
        self._s = session

    async def apply(self, move: BalanceMove, at: dt.datetime) -> BalanceAfter | None:
        assert move.account.has_balance, f"{move.account} keeps no balance document"
        currency = move.delta.currency_code
        query: Doc = {"_id": move.account.key}
        inc: Doc = {f"amounts.{currency}": move.delta.amount_minor, "seq": move.entries}
        if move.floor is not None:
            # The domain's overdraft rule as the update's condition: the balance after it stays
            # at or above the floor (and no older refund of the shop waits, unless this pays one).
            query[f"amounts.{currency}"] = {"$gte": move.floor.amount_minor - move.delta.amount_minor}
            if move.release is None:
                query["held_count"] = {"$not": {"$gt": 0}}
            else:
                inc.update({"held_count": -1, f"held.{currency}": -move.release.amount_minor})
        # update_one, then find_one by _id: SecantusDB plans every find_one_and_update (even by
        # _id alone) as a collection scan; these two are answered by the _id index. The update's
        # condition decides; the read, in the same transaction, only reports what it left.
        result = await self._c.update_one(query, {"$inc": inc, "$set": {"updated_at": at}}, upsert=move.floor is None,
                                          session=self._s)
        if result.matched_count == 0 and result.upserted_id is None:
            assert move.floor is not None  # an unconditional move is upserted
            return None
        balance = await self._c.find_one({"_id": move.account.key}, {"amounts": 1, "seq": 1, "held": 1}, session=self._s)
        assert balance is not None, f"balance {move.account.key} just updated"
        return BalanceAfter(Money(int(balance["amounts"][currency]), currency), int(balance["seq"]),
                            Money(int(balance.get("held", {}).get(currency, 0)), currency))

    async def hold(self, account: Account, amount: Money, at: dt.datetime) -> None:
        currency = amount.currency_code
        await self._c.update_one(
            {"_id": account.key},  # `amounts` +0: a document made here has a balance for the floor's condition
            {"$inc": {"held_count": 1, f"held.{currency}": amount.amount_minor, f"amounts.{currency}": 0}, "$set": {"updated_at": at}},
            upsert=True, session=self._s,
        )

    async def scan(self, batch_size: int) -> AsyncGenerator[list[StoredBalance], None]:
        async for docs in _batches(self._c, ID_ORDER, batch_size, self._s):
            out = []
            for d in docs:
                try:
                    account = Account.parse(d["_id"])
                except ValueError:
                    continue  # not a ledger account's document
                out.append(_stored_balance(account, d))
            yield out

    async def stored(self, account: Account) -> StoredBalance | None:
        doc = await self._c.find_one({"_id": account.key}, session=self._s)
        return _stored_balance(account, doc) if doc else None

    async def get(self, account: Account, currency: str) -> tuple[Money, Money, dt.datetime | None]:
        doc = await self._c.find_one({"_id": account.key}, session=self._s)
        if not doc:
            return Money(0, currency), Money(0, currency), None
        return (Money(int(doc.get("amounts", {}).get(currency, 0)), currency),
                Money(int(doc.get("held", {}).get(currency, 0)), currency), doc.get("updated_at"))


def _stored_balance(account: Account, d: Doc) -> StoredBalance:
    return StoredBalance(account, {c: int(v) for c, v in d.get("amounts", {}).items()}, int(d.get("seq", 0)),
                         {c: int(v) for c, v in d.get("held", {}).items()}, int(d.get("held_count", 0)))


class MongoRequests:
    """`claim_requests`: one document per claim opened or moved, by request key, with the claim
    as the request left it (its answer)."""

    def __init__(self, db: AsyncDatabase, session: Session):
        self._c = db.claim_requests
        self._s = session

    async def get(self, key: str) -> AppliedRequest | None:
        d = await self._c.find_one({"_id": key}, session=self._s)
        if not d:
            return None
        return AppliedRequest(d["_id"], d["method"], d["claim_id"], tuple(d.get("fingerprint", {}).items()), d["at"],
                              claim_from(d["claim"]) if d.get("claim") else None)

    async def add(self, request: AppliedRequest) -> None:
        doc = {"_id": request.key, "method": request.method, "claim_id": request.claim_id,
               "fingerprint": dict(request.fingerprint), "at": request.at}
        if request.claim is not None:  # the answer, replayed to a retry
            doc["claim"] = claim_to_doc(request.claim)
        try:
            await self._c.insert_one(doc, session=self._s)
        except DuplicateKeyError:
            raise _concurrent(f"request {request.key}", "REQUEST_CONCURRENT_UPDATE") from None


class MongoRefusedFines:
    """`refused_fines`: one small document per penalty whose fine was refused, by penalty id."""

    def __init__(self, db: AsyncDatabase, session: Session):
        self._c = db.refused_fines
        self._s = session

    async def get(self, penalty_id: str) -> RefusedFine | None:
        d = await self._c.find_one({"_id": penalty_id}, session=self._s)
        return RefusedFine(d["_id"], d.get("why", ""), d["at"]) if d else None

    async def add(self, refused: RefusedFine) -> None:
        # An upsert that sets nothing on an existing document: a redelivered refusal is no error
        # (a duplicate key would abort the transaction).
        await self._c.update_one({"_id": refused.penalty_id}, {"$setOnInsert": {"why": refused.why, "at": refused.at}},
                                 upsert=True, session=self._s)


def repositories(db: AsyncDatabase, session: Session) -> ReturnsRepositories:
    return ReturnsRepositories(MongoPurchases(db, session), MongoClaims(db, session), MongoLedger(db, session),
                               MongoBalances(db, session), MongoRequests(db, session), MongoRefusedFines(db, session))


__all__ = ["INDEXES", "repositories"]
