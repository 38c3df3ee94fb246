"""Wires the moderation service: settings -> infrastructure -> handlers -> gRPC server."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass

from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background
from services.moderation.adapters.policy_file import load_policy, watch_policy
from services.moderation.adapters.repository import INDEXES, MongoModerationRepository
from services.moderation.domain.engine import ModerationEngine
from services.moderation.entrypoints.grpc_servicer import SERVICE_NAME, ModerationServicer
from services.moderation.service_layer.handlers import EngineHolder, ModerationHandlers

log = logging.getLogger("services.moderation")


@dataclass(frozen=True)
class ModerationSettings:
    common: CommonSettings


def load_settings(environ: Mapping[str, str] | None = None) -> ModerationSettings:
    env = Env(environ)
    common = load_common("moderation", env)
    env.raise_if_errors("moderation")
    return ModerationSettings(common)


async def main(stop: asyncio.Event, settings: ModerationSettings | None = None, ready=None) -> None:
    settings = settings or load_settings()
    common = settings.common
    policy = load_policy(common.policy_file or None)
    engines = EngineHolder(ModerationEngine(policy))
    import gc

    gc.collect()
    gc.freeze()  # the lexicons live as long as the process: keep them out of the collector's scans
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        repository = MongoModerationRepository(infra.mongo_client, infra.db, common.subject_prefix, infra.relay.wake)
        handlers = ModerationHandlers(engines, repository)
        await stack.enter_async_context(
            background("policy-watch", watch_policy(common.policy_file or None, engines.replace, stop), stop)
        )

        def register(server):
            moderation_pb2_grpc.add_ModerationServiceServicer_to_server(ModerationServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="moderation", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(policy {policy.version})", reuse_port=common.workers > 1)
        await stop.wait()
        log.info("moderation stopping")
