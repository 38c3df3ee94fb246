"""The returns edges without a server: settings and policy loading, the protobuf translation, the event mapper."""
from __future__ import annotations

import datetime as dt

import pytest

from prilavok.common.v1 import common_pb2
from prilavok.returns.v1 import events_pb2
from prilavok.returns.v1 import returns_pb2 as pb
from prilavok_platform.config import ConfigError
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.identity import Identity, Party, Role
from services.returns.adapters import protos
from services.returns.adapters.event_mapper import map_event
from services.returns.bootstrap import load_settings
from services.returns.domain import events
from services.returns.domain.ledger import Money
from services.returns.domain.model import ApprovalMode, Approve, CompensationForm, Reject, RejectionReason
from tests.unit.returns.test_domain import BUYER, NOW, claim

ENV = {"MONGODB_URI": "mongodb://x", "NATS_URL": "nats://x"}
SERVICE = Identity("orders", Role.SERVICE)


def test_settings_load_the_shipped_policy_and_a_broken_one_is_a_config_error_naming_the_variable(tmp_path):
    assert load_settings(ENV).policy.current.claim_min_days_after_payment == 14
    broken = tmp_path / "returns.yaml"
    broken.write_text("version: 1\ncurrency_code: RUB\n")
    with pytest.raises(ConfigError) as err:
        load_settings({**ENV, "PRILAVOK_POLICY_FILE": str(broken)})
    assert "PRILAVOK_POLICY_FILE" in str(err.value) and "returns.yaml" in str(err.value)


def test_quantity_left_out_reaches_the_domain_as_given():
    request = pb.RecordPurchaseRequest(request_id="r", purchase=pb.Purchase(
        order_id="o", item_id="i", buyer_id="b", shop_id="s", price=common_pb2.Money(currency_code=" rub", amount_minor=5)))
    cmd = protos.record_purchase_command(SERVICE, request)
    assert cmd.quantity == 0 and cmd.price is not None and cmd.price.currency_code == "RUB" and cmd.paid_at is None
    assert protos.open_claim_command(Identity("b", Role.BUYER), pb.OpenClaimRequest(purchase_id="p")).quantity == 0


def test_decisions_from_the_oneof():
    approve = pb.DecideClaimRequest(approve=pb.Approval(mode=pb.APPROVAL_MODE_TAKE_BACK, offer=pb.CompensationOffer(
        form=pb.COMPENSATION_FORM_REPLACEMENT)))
    decision = protos.decision_from_pb(approve)
    assert isinstance(decision, Approve) and decision.mode is ApprovalMode.TAKE_BACK
    assert decision.offer is not None and decision.offer.form is CompensationForm.REPLACEMENT
    reject = protos.decision_from_pb(pb.DecideClaimRequest(reject=pb.Rejection(reason=pb.REJECTION_REASON_OTHER, comment="x")))
    assert reject == Reject(RejectionReason.OTHER, "x")
    assert protos.decision_from_pb(pb.DecideClaimRequest()) is None  # the domain says what is missing
    with pytest.raises(InvalidArgument) as err:
        protos.decision_from_pb(pb.DecideClaimRequest(reject=pb.Rejection(reason=99)))
    assert err.value.violations[0].field == "reject.reason"


def test_every_event_is_mapped_to_its_subject_with_its_id():
    c = claim()
    rub = Money(100, "RUB")
    cases = [
        (events.ClaimOpened(c, NOW), "claim.opened", events_pb2.ClaimOpened),
        (events.ClaimStatusChanged(c, c.status, BUYER, "Передумал", NOW), "claim.status_changed", events_pb2.ClaimStatusChanged),
        (events.RefundIssued("c1", "b1", "s1", rub, Money(30, "RUB"), "refund:c1", NOW), "refund.issued", events_pb2.RefundIssued),
        (events.BalanceChanged(Party.shop("s1"), rub, rub, "sale:p1", NOW), "balance.changed", events_pb2.BalanceChanged),
    ]
    for event, name, proto in cases:
        mapped = map_event(event, "ev-1")
        assert mapped.name == name and isinstance(mapped.message, proto)
        assert mapped.message.event_id == "ev-1" and mapped.message.occurred_at.ToDatetime(tzinfo=dt.UTC) == NOW
    changed = map_event(cases[1][0], "e").message
    assert changed.comment == "Передумал" and changed.changed_by.user_id == "b1"
    assert map_event(cases[3][0], "e").message.balance.shop_id == "s1"
    issued = map_event(cases[2][0], "e").message
    assert (issued.amount.amount_minor, issued.refund.amount_minor, issued.shipping_reimbursement.amount_minor) == (130, 100, 30)
    with pytest.raises(TypeError):
        map_event(object(), "e")
