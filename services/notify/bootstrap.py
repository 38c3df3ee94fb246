"""Wires the notify service: settings -> infrastructure -> unit of work -> handlers -> consumers and gRPC.
Nothing connects at import time."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass

from prilavok.notify.v1 import notify_pb2_grpc
from prilavok_platform import nats as platform_nats
from prilavok_platform.clock import SystemClock
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork, OutboxEvent
from services.notify.adapters.fanout import NatsFanout
from services.notify.adapters.preferences_cache import TtlPreferencesCache
from services.notify.adapters.repository import INDEXES, repositories
from services.notify.entrypoints import consumers
from services.notify.entrypoints.grpc_servicer import SERVICE_NAME, NotifyServicer
from services.notify.service_layer.handlers import NotifyHandlers

log = logging.getLogger("services.notify")


@dataclass(frozen=True)
class NotifySettings:
    common: CommonSettings


def load_settings(environ: Mapping[str, str] | None = None) -> NotifySettings:
    env = Env(environ)
    common = load_common("notify", env)
    env.raise_if_errors("notify")
    return NotifySettings(common)


# Notify's durables, as prilavok_platform.nats.DURABLES lists them (name and filter taken from
# there, as their producers create them): one consumer each, all with the one dispatcher, which
# routes every message by its event type (and acknowledges the types it does not tell). A
# durable's filter never changes (a consumer already running with the old one would be refused):
# new subjects get new durables in DURABLES, which notify then runs. notify-chat and
# notify-returns read everything their producer publishes, so a new event of theirs needs only
# its route in the dispatcher (chat's message.undelivered, returns' claim.status_changed with a
# held refund).
DURABLES = platform_nats.durables_of("notify")


def no_events(event: object, event_id: str) -> OutboxEvent:
    """Notify emits no events: a transaction of its never carries one."""
    raise AssertionError(f"notify emits no events, got {type(event).__name__}")


async def main(stop: asyncio.Event, settings: NotifySettings | None = None, ready=None) -> None:
    settings = settings or load_settings()
    common = settings.common
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        fanout = NatsFanout(infra.nats, common.subject_prefix)
        subscription = await fanout.start()
        stack.push_async_callback(subscription.unsubscribe)
        uow = MongoUnitOfWork(infra.mongo_client, infra.db, repositories=repositories, map_event=no_events,
                              subject_prefix=common.subject_prefix, producer="notify")
        handlers = NotifyHandlers(uow, fanout, TtlPreferencesCache(SystemClock()))
        dispatcher = consumers.dispatcher(handlers)
        for durable in DURABLES:
            await stack.enter_async_context(background(
                f"notify-consumer-{durable.name}",
                platform_nats.run_durable(infra.js, durable, common.subject_prefix, dispatcher, stop),
                stop,
            ))

        def register(server):
            notify_pb2_grpc.add_NotifyServiceServicer_to_server(NotifyServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="notify", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail="")
        await stop.wait()
        log.info("notify stopping")
