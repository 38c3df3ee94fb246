"""NATS consumers of the returns service: moderation's penalties, posted to the ledger.

`PenaltyIssued` posts the fine (`fine:<penalty_id>`), `PenaltyWithdrawn` its reversal
(`fine-reversal:<penalty_id>`), each once however often the event comes. Only shops have a
ledger account: penalties of anyone else are acknowledged and skipped (logged).

An event that can never be posted (no penalty id, no positive fine in the policy's currency) is
poison: terminated and logged; the handler remembers such a penalty's id (`refused_fines`). A
withdrawal that arrives before its fine was posted is a transient failure, redelivered until
the fine is there; the withdrawal of a penalty whose fine was refused is acknowledged with a
warning (there is nothing to reverse, and no fine will ever come). Everything else (the database away, a
write conflict) fails the delivery and the platform redelivers it."""
from __future__ import annotations

import logging

from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok_platform.errors import InvalidArgument
from prilavok_platform.nats import EventDispatcher, PoisonMessage, TransientError
from services.returns.adapters import protos
from services.returns.domain.fines import FineNotPosted, FineOutcome
from services.returns.service_layer.handlers import ReturnsHandlers

log = logging.getLogger(__name__)

DURABLE = "returns-moderation-penalties"


def moderation_dispatcher(handlers: ReturnsHandlers) -> EventDispatcher:
    async def on_issued(event: moderation_events.PenaltyIssued) -> None:
        try:
            outcome = await handlers.post_fine(protos.post_fine_command(event))
        except InvalidArgument as exc:  # the penalty stays unpostable however often it comes
            raise PoisonMessage(f"penalty {event.penalty.penalty_id!r} cannot be posted: {exc}") from None
        _log(outcome, "fine", event.penalty.penalty_id, event.offender)

    async def on_withdrawn(event: moderation_events.PenaltyWithdrawn) -> None:
        try:
            outcome = await handlers.reverse_fine(protos.reverse_fine_command(event))
        except InvalidArgument as exc:
            raise PoisonMessage(f"withdrawal of penalty {event.penalty.penalty_id!r} cannot be posted: {exc}") from None
        except FineNotPosted as exc:
            raise TransientError(str(exc)) from None
        _log(outcome, "fine reversal", event.penalty.penalty_id, event.offender)

    return (
        EventDispatcher()
        .on(moderation_events.PenaltyIssued, on_issued)
        .on(moderation_events.PenaltyWithdrawn, on_withdrawn)
    )


def _log(outcome: FineOutcome, what: str, penalty_id: str, offender: object) -> None:
    if outcome is FineOutcome.NOT_A_SHOP:
        log.info("%s of penalty %s skipped: the offender (%s) is not a shop and has no ledger account",
                 what, penalty_id, str(offender).replace("\n", " "))
    elif outcome is FineOutcome.POSTED:
        log.info("%s of penalty %s posted", what, penalty_id)
    elif outcome is FineOutcome.FINE_REFUSED:
        log.warning("%s of penalty %s acknowledged with nothing posted: its fine was refused as one that can never be "
                    "posted (its PenaltyIssued was terminated as poison), so there is nothing to reverse", what, penalty_id)
