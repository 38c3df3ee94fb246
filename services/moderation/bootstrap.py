"""Wires the moderation service: settings -> infrastructure -> handlers -> gRPC server."""
from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass

from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_platform.clock import SystemClock
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from services.moderation.adapters.event_mapper import map_event
from services.moderation.adapters.policy_file import policy_holder
from services.moderation.adapters.repository import INDEXES, mongo_repositories
from services.moderation.entrypoints.grpc_servicer import SERVICE_NAME, ModerationServicer
from services.moderation.service_layer.handlers import ModerationHandlers

log = logging.getLogger("services.moderation")


@dataclass(frozen=True)
class ModerationSettings:
    common: CommonSettings


def load_settings(environ: Mapping[str, str] | None = None) -> ModerationSettings:
    env = Env(environ)
    common = load_common("moderation", env)
    env.raise_if_errors("moderation")
    return ModerationSettings(common)


def _freeze_long_lived_objects() -> None:
    """The lexicons and automata live as long as the process: moving them out of the
    collector's generations spares every later collection from scanning them."""
    gc.collect()
    gc.freeze()


async def main(stop: asyncio.Event, settings: ModerationSettings | None = None, ready=None) -> None:
    settings = settings or load_settings()
    common = settings.common
    policies = policy_holder(common.policy_file or None)
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        uow = MongoUnitOfWork(
            infra.mongo_client, infra.db, repositories=mongo_repositories, map_event=map_event,
            subject_prefix=common.subject_prefix, producer="moderation", on_commit=infra.relay.wake,
        )
        handlers = ModerationHandlers(uow, policies, SystemClock())
        _freeze_long_lived_objects()
        await stack.enter_async_context(background("policy-watch", policies.watch(stop), stop))

        def register(server):
            moderation_pb2_grpc.add_ModerationServiceServicer_to_server(ModerationServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="moderation", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(policy {policies.current.version})",
                    reuse_port=common.workers > 1)
        await stop.wait()
        log.info("moderation stopping")
