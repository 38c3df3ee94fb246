"""The flows driven under crashes, and what each caller was told (`Outcomes`): the checks hold the
ledger to exactly these acknowledged outcomes.

- full_refund: purchase -> claim -> the seller approves FULL_REFUND with NO_RETURN (settles at once).
- partial_refund: purchase -> claim -> PARTIAL_REFUND + return shipping, TAKE_BACK -> the buyer
  accepts, hands the item over at a pickup point -> the seller confirms receipt (settles).
- second_claim: a refunded line is claimed again: after a full refund the second refund must be
  refused; after a partial one a refund above what remains must be refused and the rest allowed.
- fine: in an ORDER thread the buyer started, the seller sends a phone number -> BLOCKED ->
  moderation fines the shop -> returns posts the fine.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from prilavok.chat.v1 import chat_pb2
from prilavok.common.v1 import common_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from tests.chaos.calls import Caller, GaveUp, Late, Refused

ORDERS = As(Role.SERVICE, "orders")
CURRENCY = "RUB"
KINDS = {"full_refund": 0.35, "partial_refund": 0.25, "second_claim": 0.15, "fine": 0.25}
CONTACT_TEXTS = (
    "Мой номер +7 912 {a}-{b}-{c}, позвоните, решим быстрее",
    "Напишите мне в WhatsApp: +7 (916) {a}-{b}-{c}",
    "Звоните 8 903 {a} {b} {c}, всё объясню",
)
SETTLED = returns_pb2.CLAIM_STATUS_SETTLED
AWAITING_SELLER = returns_pb2.CLAIM_STATUS_AWAITING_SELLER


def rub(minor: int) -> common_pb2.Money:
    return common_pb2.Money(currency_code=CURRENCY, amount_minor=minor)


def refund_state(claim: returns_pb2.Claim) -> str:
    """The claim's refund_state name (PAID, PENDING_FUNDS), '' before the overdraft rule or when it pays nothing."""
    if "refund_state" not in claim.DESCRIPTOR.fields_by_name or not claim.refund_state:
        return ""
    return str(claim.DESCRIPTOR.fields_by_name["refund_state"].enum_type.values_by_number[claim.refund_state].name)


def status_name(status: int) -> str:
    try:
        return returns_pb2.ClaimStatus.Name(status)
    except ValueError:
        return str(status)


@dataclass
class Sale:
    purchase_id: str
    shop_id: str
    amount: int  # price x quantity
    flow: int


@dataclass
class Refund:
    """A claim move the caller was told settled the claim, with these amounts."""

    claim_id: str
    purchase_id: str
    shop_id: str
    refund: int
    shipping: int
    flow: int


@dataclass
class SecondClaimRefused:
    purchase_id: str
    shop_id: str
    claim_id: str  # empty when OpenClaim itself was refused
    stage: str
    reason: str
    flow: int


@dataclass
class ExpectedFine:
    """A seller's message the caller was told was BLOCKED for contact exchange: a fine is owed."""

    shop_id: str
    message_id: str
    thread_id: str
    flow: int


@dataclass
class Outcomes:
    sales: list[Sale] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # claims answered SETTLED with the money held (PENDING_FUNDS)
    refused: list[SecondClaimRefused] = field(default_factory=list)
    fines: list[ExpectedFine] = field(default_factory=list)
    shops: set[str] = field(default_factory=set)
    uncertain_shops: set[str] = field(default_factory=set)  # a flow gave up: its effects are unknown
    flows: Counter = field(default_factory=Counter)
    failed_flows: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    done: int = 0


@dataclass
class Flow:
    index: int
    kind: str
    rng: random.Random
    buyer: As
    seller: As
    late: list[Late] = field(default_factory=list)

    @property
    def shop(self) -> str:
        return self.seller.shop_id

    def rid(self, what: str) -> str:
        return f"{what}-{self.index}"


def plan(count: int, seed: int, fines_first: bool = False) -> list[str]:
    """The kinds of `count` flows, in the proportions of KINDS, shuffled by the seed (with
    `fines_first`, the fine flows before all the others)."""
    kinds = [kind for kind, share in KINDS.items() for _ in range(round(count * share))]
    kinds = (kinds + ["full_refund"] * count)[:count]
    random.Random(seed).shuffle(kinds)
    if fines_first:
        kinds.sort(key=lambda kind: kind != "fine")
    return kinds


class Flows:
    def __init__(self, caller: Caller, outcomes: Outcomes, tag: str, seed: int):
        self.caller = caller
        self.outcomes = outcomes
        self.tag = tag
        self.seed = seed
        # One payment time for the run: a retried RecordPurchase carries exactly the same payload.
        self.paid_at = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).replace(microsecond=0)

    def new_flow(self, index: int, kind: str) -> Flow:
        rng = random.Random(f"{self.seed}:{index}")
        return Flow(index, kind, rng, As(Role.BUYER, f"{self.tag}-b{index}"),
                    As(Role.SELLER, f"{self.tag}-u{index}", f"{self.tag}-s{index}"))

    async def run(self, index: int, kind: str) -> None:
        flow = self.new_flow(index, kind)
        self.outcomes.flows[kind] += 1
        self.outcomes.shops.add(flow.shop)
        try:
            await getattr(self, kind)(flow)
            for item in flow.late:
                await self.caller.send_late(item)
        except (Refused, GaveUp) as error:
            self.outcomes.failed_flows[kind] += 1
            self.outcomes.problems.append(f"flow {index} ({kind}, shop {flow.shop}) failed: {error}")
            if isinstance(error, GaveUp):
                self.outcomes.uncertain_shops.add(flow.shop)
        finally:
            self.outcomes.done += 1

    # --- steps ---------------------------------------------------------------------------------

    async def mutate(self, flow: Flow, service: str, method: str, request: Any, who: As, same=None, late_same=None) -> Any:
        return await self.caller.mutate(flow.rng, flow.late, service, method, request, who, same, late_same)

    async def purchase(self, flow: Flow, price: int, line: str = "1") -> Sale:
        purchase = returns_pb2.Purchase(order_id=f"{self.tag}-o{flow.index}-{line}", item_id=f"sku-{line}", item_name="Электрочайник",
                                        buyer_id=flow.buyer.user_id, shop_id=flow.shop, price=rub(price), quantity=1)
        purchase.paid_at.FromDatetime(self.paid_at)
        request = returns_pb2.RecordPurchaseRequest(request_id=flow.rid(f"rp{line}"), purchase=purchase)
        reply = await self.mutate(flow, "returns", "RecordPurchase", request, ORDERS, same=lambda r: r.purchase.purchase_id)
        sale = Sale(reply.purchase.purchase_id, flow.shop, price, flow.index)
        self.outcomes.sales.append(sale)
        return sale

    async def open_claim(self, flow: Flow, purchase_id: str, form: int, n: int = 1) -> returns_pb2.Claim:
        request = returns_pb2.OpenClaimRequest(request_id=flow.rid(f"oc{n}"), purchase_id=purchase_id, requested_form=form, quantity=1,
                                               description="Перестал включаться через неделю, индикатор не горит")
        reply = await self.mutate(flow, "returns", "OpenClaim", request, flow.buyer, same=lambda r: r.claim.claim_id)
        return reply.claim

    async def decide(self, flow: Flow, claim_id: str, mode: int, offer: returns_pb2.CompensationOffer, n: str) -> returns_pb2.Claim:
        request = returns_pb2.DecideClaimRequest(request_id=flow.rid(f"dc{n}"), claim_id=claim_id,
                                                 approve=returns_pb2.Approval(mode=mode, offer=offer))
        reply = await self.mutate(flow, "returns", "DecideClaim", request, flow.seller, same=_claim_state, late_same=_claim_id)
        return reply.claim

    async def accept_offer(self, flow: Flow, claim_id: str, n: str) -> returns_pb2.Claim:
        request = returns_pb2.RespondToOfferRequest(request_id=flow.rid(f"ro{n}"), claim_id=claim_id, accept=True,
                                                    comment="Согласна")
        reply = await self.mutate(flow, "returns", "RespondToOffer", request, flow.buyer, same=_claim_state, late_same=_claim_id)
        return reply.claim

    def settled(self, flow: Flow, claim: returns_pb2.Claim, refund: int, shipping: int) -> None:
        """The caller was told this claim's move settled it: the ledger must show exactly this."""
        if refund_state(claim) == "REFUND_STATE_PENDING_FUNDS":
            self.outcomes.held.append(claim.claim_id)  # settled, the money held until the shop's balance allows
        if claim.status != SETTLED:
            self.outcomes.problems.append(f"flow {flow.index}: claim {claim.claim_id} is {status_name(claim.status)}, expected SETTLED")
            return
        told = (claim.refunded.amount_minor, claim.shipping_reimbursed.amount_minor)
        if told != (refund, shipping):
            self.outcomes.problems.append(f"flow {flow.index}: claim {claim.claim_id} settled with refund/shipping {told}, "
                                          f"asked {(refund, shipping)}")
        self.outcomes.refunds.append(Refund(claim.claim_id, claim.purchase_id, flow.shop, told[0], told[1], flow.index))

    # --- the flows -----------------------------------------------------------------------------

    async def full_refund(self, flow: Flow) -> Sale:
        sale = await self.purchase(flow, flow.rng.randrange(500_00, 10_000_00, 10))
        claim = await self.open_claim(flow, sale.purchase_id, returns_pb2.COMPENSATION_FORM_FULL_REFUND)
        offer = returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_FULL_REFUND, refund_amount=rub(sale.amount))
        claim = await self.decide(flow, claim.claim_id, returns_pb2.APPROVAL_MODE_NO_RETURN, offer, "1")
        self.settled(flow, claim, sale.amount, 0)
        return sale

    async def partial_refund(self, flow: Flow) -> None:
        sale = await self.purchase(flow, flow.rng.randrange(1_000_00, 10_000_00, 10))
        claim = await self.open_claim(flow, sale.purchase_id, returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND)
        refund, shipping = sale.amount * flow.rng.randrange(10, 60) // 100, flow.rng.randrange(100_00, 400_00, 10)
        offer = returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND, refund_amount=rub(refund),
                                              shipping_reimbursement=rub(shipping), handover_method=returns_pb2.HANDOVER_METHOD_PICKUP_POINT)
        claim = await self.decide(flow, claim.claim_id, returns_pb2.APPROVAL_MODE_TAKE_BACK, offer, "1")
        claim = await self.accept_offer(flow, claim.claim_id, "1")
        hand_over = returns_pb2.HandOverItemRequest(request_id=flow.rid("ho"), claim_id=claim.claim_id,
                                                    method=returns_pb2.HANDOVER_METHOD_PICKUP_POINT, pickup_point_id=f"pvz-{flow.index % 7}")
        await self.mutate(flow, "returns", "HandOverItem", hand_over, flow.buyer, same=_claim_state, late_same=_claim_id)
        confirm = returns_pb2.ConfirmReceiptRequest(request_id=flow.rid("cr"), claim_id=claim.claim_id, defect_confirmed=True,
                                                    comment="Дефект подтверждён")
        reply = await self.mutate(flow, "returns", "ConfirmReceipt", confirm, flow.seller, same=_claim_state, late_same=_claim_id)
        self.settled(flow, reply.claim, refund, shipping)

    async def second_claim(self, flow: Flow) -> None:
        if flow.rng.random() < 0.5:
            sale = await self.full_refund(flow)
            await self.claim_again(flow, sale, sale.amount, already=sale.amount)
            return
        # A partial refund first (NO_RETURN, the buyer accepts), then a second claim asking more than remains.
        sale = await self.purchase(flow, flow.rng.randrange(1_000_00, 10_000_00, 10))
        claim = await self.open_claim(flow, sale.purchase_id, returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND)
        first = sale.amount * flow.rng.randrange(40, 70) // 100
        offer = returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND, refund_amount=rub(first))
        claim = await self.decide(flow, claim.claim_id, returns_pb2.APPROVAL_MODE_NO_RETURN, offer, "1")
        claim = await self.accept_offer(flow, claim.claim_id, "1")
        self.settled(flow, claim, first, 0)
        await self.claim_again(flow, sale, sale.amount - first + flow.rng.randrange(1, 100_00), already=first)

    async def claim_again(self, flow: Flow, sale: Sale, asked: int, already: int) -> None:
        """A second claim on the line asking `asked` when `already` was refunded: above the price it
        must be refused (at OpenClaim or at the decision); then what remains is allowed."""
        form, remaining = returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND, sale.amount - already
        try:
            claim = await self.open_claim(flow, sale.purchase_id, form, n=2)
        except Refused as refused:
            self.refused(flow, sale, "", "OpenClaim", refused, remaining)
            return
        offer = returns_pb2.CompensationOffer(form=form, refund_amount=rub(asked))
        try:
            decided = await self.decide(flow, claim.claim_id, returns_pb2.APPROVAL_MODE_NO_RETURN, offer, "2")
        except Refused as refused:
            self.refused(flow, sale, claim.claim_id, "DecideClaim", refused, remaining)
            if remaining > 0:
                await self.refund_rest(flow, claim.claim_id, remaining)
            return
        if decided.status == returns_pb2.CLAIM_STATUS_AWAITING_BUYER:
            decided = await self.accept_offer(flow, claim.claim_id, "2")
        self.outcomes.problems.append(f"flow {flow.index}: a second claim {claim.claim_id} asking {asked} on line {sale.purchase_id} "
                                      f"(price {sale.amount}, {already} refunded) was accepted: {status_name(decided.status)}")
        self.settled(flow, decided, asked, 0)

    def refused(self, flow: Flow, sale: Sale, claim_id: str, stage: str, refused: Refused, remaining: int) -> None:
        """A refund above the line's price refused: FAILED_PRECONDITION with `remaining_minor`, or
        INVALID_ARGUMENT on the offer's amount naming what is left. Anything else fails the flow."""
        if refused.code.name not in ("FAILED_PRECONDITION", "INVALID_ARGUMENT"):
            raise refused
        self.outcomes.refused.append(SecondClaimRefused(sale.purchase_id, flow.shop, claim_id, stage, refused.reason or refused.code.name,
                                                        flow.index))
        told = refused.metadata.get("remaining_minor", "")
        said = " ".join(refused.fields.values())
        if told != str(remaining) and f"{remaining} minor units" not in said:
            self.outcomes.problems.append(f"flow {flow.index}: {stage} refused without the amount left to refund ({remaining}): "
                                          f"{refused} {refused.metadata} {refused.fields}")

    async def refund_rest(self, flow: Flow, claim_id: str, remaining: int) -> None:
        offer = returns_pb2.CompensationOffer(form=returns_pb2.COMPENSATION_FORM_PARTIAL_REFUND, refund_amount=rub(remaining))
        claim = await self.decide(flow, claim_id, returns_pb2.APPROVAL_MODE_NO_RETURN, offer, "3")
        if claim.status == returns_pb2.CLAIM_STATUS_AWAITING_BUYER:
            claim = await self.accept_offer(flow, claim_id, "3")
        self.settled(flow, claim, remaining, 0)

    async def fine(self, flow: Flow) -> None:
        if flow.rng.random() < 0.5:  # some fined shops have sold something, some owe from zero
            await self.purchase(flow, flow.rng.randrange(500_00, 50_000_00, 10))
        create = chat_pb2.CreateThreadRequest(request_id=flow.rid("ct"), kind=chat_pb2.THREAD_KIND_ORDER,
                                              order_id=f"{self.tag}-o{flow.index}-1", shop_id=flow.shop)
        thread = (await self.mutate(flow, "chat", "CreateThread", create, flow.buyer, same=lambda r: r.thread.thread_id)).thread
        hello = chat_pb2.SendMessageRequest(request_id=flow.rid("m1"), thread_id=thread.thread_id,
                                            text="Здравствуйте! Подскажите, когда отправите заказ?")
        await self.mutate(flow, "chat", "SendMessage", hello, flow.buyer, same=_message_state)
        digits = {"a": f"{flow.rng.randrange(1000):03d}", "b": f"{flow.rng.randrange(100):02d}", "c": f"{flow.rng.randrange(100):02d}"}
        text = flow.rng.choice(CONTACT_TEXTS).format(**digits)
        contact = chat_pb2.SendMessageRequest(request_id=flow.rid("m2"), thread_id=thread.thread_id, text=text)
        message = (await self.mutate(flow, "chat", "SendMessage", contact, flow.seller, same=_message_state)).message
        if message.status != chat_pb2.MESSAGE_STATUS_BLOCKED:
            self.outcomes.problems.append(f"flow {flow.index}: the seller's contact message {message.message_id} was "
                                          f"{chat_pb2.MessageStatus.Name(message.status)}, not BLOCKED ({text!r})")
            return
        self.outcomes.fines.append(ExpectedFine(flow.shop, message.message_id, thread.thread_id, flow.index))


def _claim_id(reply: Any) -> str:
    return reply.claim.claim_id


def _claim_state(reply: Any) -> tuple:
    claim = reply.claim
    return claim.claim_id, status_name(claim.status), claim.refunded.amount_minor, claim.shipping_reimbursed.amount_minor


def _message_state(reply: Any) -> tuple:
    return reply.message.message_id, chat_pb2.MessageStatus.Name(reply.message.status)
