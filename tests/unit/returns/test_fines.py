"""Moderation's penalties on the ledger: the consumer over fakes (PenaltyIssued -> a fine,
PenaltyWithdrawn -> its reversal, each once per penalty; only shops)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok.moderation.v1 import moderation_pb2
from prilavok_platform.nats import EVENT_TYPE_HEADER, PoisonMessage, TransientError
from prilavok_platform.protobuf import timestamp
from services.returns.domain import commands as c
from services.returns.domain import events
from services.returns.domain.fines import REVERSAL_NOTE
from services.returns.domain.ledger import Account, EntryKind, Money
from services.returns.entrypoints.consumers import moderation_dispatcher
from tests.unit.returns.test_handlers import POLICY, SELLER, SHOP, SUPPORT, World

AT = dt.datetime(2026, 11, 22, 11, 0, tzinfo=dt.UTC)
FINE = 2_500_000  # 25,000.00 RUB
REASON = "Обмен контактами с покупателем: штраф 25 000 ₽ по правилам площадки"
SHOP_PARTY = common_pb2.Party(kind=common_pb2.PARTY_KIND_SHOP, id="s1")


def penalty(penalty_id: str = "m1:CONTACT_EXCHANGE", amount: int = FINE, currency: str = "RUB") -> moderation_pb2.Penalty:
    return moderation_pb2.Penalty(penalty_id=penalty_id, category=moderation_pb2.CATEGORY_CONTACT_EXCHANGE, message_id="m1",
                                  fine=common_pb2.Money(currency_code=currency, amount_minor=amount), reason=REASON,
                                  issued_at=timestamp(AT))


def issued(p: moderation_pb2.Penalty | None = None, offender: common_pb2.Party = SHOP_PARTY) -> moderation_events.PenaltyIssued:
    return moderation_events.PenaltyIssued(event_id="e1", occurred_at=timestamp(AT), penalty=p or penalty(), offender=offender,
                                           sender=common_pb2.Actor(role=common_pb2.ROLE_SELLER, user_id="u1", shop_id="s1"))


def withdrawn(p: moderation_pb2.Penalty | None = None, offender: common_pb2.Party = SHOP_PARTY) -> moderation_events.PenaltyWithdrawn:
    return moderation_events.PenaltyWithdrawn(event_id="e2", occurred_at=timestamp(AT), penalty=p or penalty(), offender=offender,
                                              appeal_id="a1")


async def consume(w: World, event) -> None:
    name = "issued" if isinstance(event, moderation_events.PenaltyIssued) else "withdrawn"
    headers = {EVENT_TYPE_HEADER: event.DESCRIPTOR.full_name, "Prilavok-Producer": "moderation"}
    await moderation_dispatcher(w.h)(SimpleNamespace(headers=headers, data=event.SerializeToString(), subject=f"p.moderation.penalty.{name}"))


@pytest.fixture
def w() -> World:
    return World()


async def test_a_penalty_of_a_shop_is_posted_once_as_its_fine_and_shows_as_debt(w: World):
    await consume(w, issued())
    await consume(w, issued())  # redelivered
    fine = [e for e in w.ledger.entries.values() if e.posting_id == "fine:m1:CONTACT_EXCHANGE"]
    assert sorted((e.account.key, e.kind, e.amount.amount_minor, e.penalty_id) for e in fine) == [
        ("marketplace:fines", EntryKind.FINE, FINE, "m1:CONTACT_EXCHANGE"), ("shop:s1", EntryKind.FINE, -FINE, "m1:CONTACT_EXCHANGE")]
    assert {e.note for e in fine} == {REASON}
    assert w.ledger.total(Account.fines_income()) == FINE and Account.fines_income() not in w.balances.amounts
    balance = await w.h.get_balance(c.GetBalance(SELLER))
    assert (balance.current, balance.debt, balance.available_for_withdrawal) == (Money(-FINE, "RUB"), Money(FINE, "RUB"), Money(0, "RUB"))
    [changed] = w.uow.events_of(events.BalanceChanged)
    assert (changed.shop.id, changed.balance.amount_minor, changed.delta.amount_minor) == ("s1", -FINE, -FINE)
    entries, _ = await w.h.list_ledger_entries(c.ListLedgerEntries(SUPPORT, "s1", 10))
    assert [(e.kind, e.amount.amount_minor, e.note) for e in entries] == [(EntryKind.FINE, -FINE, REASON)]


async def test_fines_are_posted_whatever_the_overdraft(w: World):
    for n in range(3):  # 75,000.00 RUB of fines against a 50,000.00 RUB overdraft limit
        await consume(w, issued(penalty(f"m{n}:CONTACT_EXCHANGE")))
    assert w.balances.of(SHOP) == -3 * FINE < -POLICY.max_overdraft_minor


async def test_a_withdrawn_penalty_is_reversed_once_and_only_after_its_fine(w: World):
    with pytest.raises(TransientError):
        await consume(w, withdrawn())  # the withdrawal overtook the fine: redelivered later
    assert not w.ledger.entries
    await consume(w, issued())
    await consume(w, withdrawn())
    await consume(w, withdrawn())
    reversal = [e for e in w.ledger.entries.values() if e.posting_id == "fine-reversal:m1:CONTACT_EXCHANGE"]
    assert sorted((e.account.key, e.kind, e.amount.amount_minor) for e in reversal) == [
        ("marketplace:fines", EntryKind.FINE_REVERSAL, -FINE), ("shop:s1", EntryKind.FINE_REVERSAL, FINE)]
    assert {e.note for e in reversal} == {REVERSAL_NOTE}
    assert w.balances.of(SHOP) == 0 and w.ledger.total(Account.fines_income()) == 0
    assert [e.delta.amount_minor for e in w.uow.events_of(events.BalanceChanged)] == [-FINE, FINE]
    # The reversal is what the fine posted, whatever the withdrawal says.
    await consume(w, issued(penalty("m2:X", 1_000_000)))
    await consume(w, withdrawn(penalty("m2:X", 7)))
    assert w.balances.of(SHOP) == 0


async def test_penalties_of_others_than_shops_are_skipped(w: World):
    for kind in (common_pb2.PARTY_KIND_USER, common_pb2.PARTY_KIND_SUPPORT, 9):  # 9: a kind of a newer moderation
        offender = common_pb2.Party(kind=kind, id="b1")
        await consume(w, issued(offender=offender))
        await consume(w, withdrawn(offender=offender))
    assert not w.ledger.entries and not w.uow.published


@pytest.mark.parametrize("bad", [penalty(penalty_id=""), penalty(amount=0), penalty(amount=-5), penalty(currency="USD"),
                                 penalty(amount=2**63 - 1)])
async def test_a_penalty_that_can_never_be_posted_is_poison(w: World, bad):
    with pytest.raises(PoisonMessage):
        await consume(w, issued(bad))
    assert not w.ledger.entries


@pytest.mark.parametrize("bad", [penalty(amount=0), penalty(currency="USD")])
async def test_the_withdrawal_of_a_penalty_whose_fine_was_poison_is_acknowledged_not_redelivered(w: World, bad, caplog):
    """The review's finding: the PenaltyIssued terminated as poison was forgotten, and its
    PenaltyWithdrawn waited for the fine forever (FineNotPosted, redelivered without end)."""
    with pytest.raises(TransientError):
        await consume(w, withdrawn(bad))  # before the issued event: the fine may still come
    with pytest.raises(PoisonMessage):
        await consume(w, issued(bad))
    with pytest.raises(PoisonMessage):
        await consume(w, issued(bad))  # redelivered: remembered once
    [refused] = w.repos.refused_fines.items.values()  # type: ignore[attr-defined]
    assert refused.penalty_id == bad.penalty_id and "penalty.fine" in refused.why
    with caplog.at_level("WARNING", logger="services.returns.entrypoints.consumers"):
        await consume(w, withdrawn(bad))  # acknowledged: nothing to reverse
    assert any(bad.penalty_id in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    assert not w.ledger.entries and not w.uow.published
    # Another penalty's withdrawal still waits for its fine.
    with pytest.raises(TransientError):
        await consume(w, withdrawn(penalty("m9:CONTACT_EXCHANGE")))


async def test_a_penalty_without_an_id_is_not_remembered(w: World):
    with pytest.raises(PoisonMessage):
        await consume(w, issued(penalty(penalty_id="", amount=0)))
    assert not w.repos.refused_fines.items  # type: ignore[attr-defined]
    with pytest.raises(PoisonMessage):
        await consume(w, withdrawn(penalty(penalty_id="")))
