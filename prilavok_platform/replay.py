"""The mark of a replayed answer (Stripe's `Idempotent-Replayed`), for every mutating RPC that
takes a `request_id` (`idempotency` has the rest of the request-id rules).

A request under a request id already answered, with the same payload, gets the first answer
again, `created` included, and changes nothing. Such an answer carries the response (initial)
metadata `prilavok-idempotent-replayed: true`; the first answer, and any answer that is not a
replay, carries none.

Servicers call `tell_replayed(context, result.replayed)` before returning; clients (the CLI,
tests) read `REPLAYED_HEADER` from the call's initial metadata. No gRPC import: the CLI loads
this module without the server's dependencies."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

REPLAYED_HEADER = "prilavok-idempotent-replayed"


class _Context(Protocol):
    """What `tell_replayed` needs of a `grpc.aio.ServicerContext`."""

    async def send_initial_metadata(self, initial_metadata: Sequence[tuple[str, str]]) -> None: ...


async def tell_replayed(context: _Context, replayed: bool) -> None:
    """Marks the answer as a replay (call it before the response is returned; nothing is sent when
    `replayed` is false)."""
    if replayed:
        await context.send_initial_metadata(((REPLAYED_HEADER, "true"),))
