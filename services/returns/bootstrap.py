"""Wires the returns service: settings -> infrastructure -> unit of work -> handlers -> gRPC,
the consumer of moderation's penalties and the held-refund payer. Nothing connects at import."""
from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from prilavok.returns.v1 import returns_pb2_grpc
from prilavok_platform import nats as platform_nats
from prilavok_platform.clock import SystemClock
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background, every
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.policy_file import PolicyHolder, holder_from_settings
from services.returns.adapters.event_mapper import map_event
from services.returns.adapters.repository import INDEXES, repositories
from services.returns.domain.commands import PayHeldRefunds
from services.returns.domain.model import ReturnsPolicy
from services.returns.entrypoints import consumers
from services.returns.entrypoints.grpc_servicer import SERVICE_NAME, ReturnsServicer
from services.returns.service_layer.handlers import ReturnsHandlers

log = logging.getLogger("services.returns")
# What returns reads: moderation's penalty events, through the durable prilavok_platform.nats.DURABLES
# lists for it (its name and filter taken from there, as moderation creates it; a second durable of
# returns' on moderation's stream would need wiring here, and stops the import until it has it).
(PENALTIES,) = platform_nats.durables_of("returns", "moderation")
DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent / "default_policy.yaml"


@dataclass(frozen=True)
class ReturnsSettings:
    common: CommonSettings
    policy: PolicyHolder[ReturnsPolicy]
    # How often held refunds are looked at (each replica scans; a payment is one transaction
    # on the claim's version, so replicas never pay one twice).
    held_refund_scan_seconds: float = 5.0


def load_settings(environ: Mapping[str, str] | None = None) -> ReturnsSettings:
    env = Env(environ)
    common = load_common("returns", env)
    held_scan = env.float("PRILAVOK_HELD_REFUND_SCAN_SECONDS", 5.0, minimum=0.1)
    policy = holder_from_settings(common.policy_file, DEFAULT_POLICY, ReturnsPolicy.from_dict, env.errors)
    env.raise_if_errors("returns")
    assert policy is not None
    return ReturnsSettings(common, policy, held_scan)


async def main(stop: asyncio.Event, settings: ReturnsSettings | None = None, ready: Any = None) -> None:
    settings = settings or load_settings()
    common = settings.common
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        uow = MongoUnitOfWork(
            infra.mongo_client, infra.db, repositories=repositories, map_event=map_event,
            subject_prefix=common.subject_prefix, producer="returns", on_commit=infra.relay.wake,
        )
        handlers = ReturnsHandlers(uow, settings.policy, SystemClock())
        await stack.enter_async_context(background("returns-policy-watch", settings.policy.watch(stop), stop))
        async def pay_held_refunds() -> None:
            """Held refunds the shops' balances now allow are paid, oldest first."""
            if paid := await handlers.pay_held_refunds(PayHeldRefunds()):
                log.info("paid %d held refund(s)", paid)

        await stack.enter_async_context(background("held-refunds", every(
            "held-refund scan", lambda: settings.held_refund_scan_seconds, pay_held_refunds, stop), stop))
        await stack.enter_async_context(background(
            "returns-consumer-penalties",
            platform_nats.run_durable(infra.js, PENALTIES, common.subject_prefix, consumers.moderation_dispatcher(handlers), stop),
            stop,
        ))

        def register(server: Any) -> list[str]:
            returns_pb2_grpc.add_ReturnsServiceServicer_to_server(ReturnsServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="returns", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(policy {settings.policy.current.version})")
        await stop.wait()
        log.info("returns stopping")
