"""Wires the returns service: settings -> infrastructure -> unit of work -> handlers -> gRPC.
Nothing connects at import time."""
from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from prilavok.returns.v1 import returns_pb2_grpc
from prilavok_platform.clock import SystemClock
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.policy_file import PolicyHolder, holder_from_settings
from services.returns.adapters.event_mapper import map_event
from services.returns.adapters.repository import INDEXES, repositories
from services.returns.domain.model import ReturnsPolicy
from services.returns.entrypoints.grpc_servicer import SERVICE_NAME, ReturnsServicer
from services.returns.service_layer.handlers import ReturnsHandlers

log = logging.getLogger("services.returns")
DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent / "default_policy.yaml"


@dataclass(frozen=True)
class ReturnsSettings:
    common: CommonSettings
    policy: PolicyHolder[ReturnsPolicy]


def load_settings(environ: Mapping[str, str] | None = None) -> ReturnsSettings:
    env = Env(environ)
    common = load_common("returns", env)
    policy = holder_from_settings(common.policy_file, DEFAULT_POLICY, ReturnsPolicy.from_dict, env.errors)
    env.raise_if_errors("returns")
    assert policy is not None
    return ReturnsSettings(common, policy)


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

        def register(server: Any) -> list[str]:
            returns_pb2_grpc.add_ReturnsServiceServicer_to_server(ReturnsServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="returns", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(policy {settings.policy.current.version})")
        await stop.wait()
        log.info("returns stopping")
