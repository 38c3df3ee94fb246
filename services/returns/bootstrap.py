"""Wires the returns service: settings -> infrastructure -> handlers -> gRPC."""
from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass

import yaml

from prilavok.returns.v1 import returns_pb2_grpc
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from services.returns.adapters.repository import INDEXES, MongoReturnsRepository
from services.returns.domain.model import ReturnsPolicy
from services.returns.entrypoints.grpc_servicer import SERVICE_NAME, ReturnsServicer
from services.returns.service_layer.handlers import ReturnsHandlers

log = logging.getLogger("services.returns")
DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent / "default_policy.yaml"


@dataclass(frozen=True)
class ReturnsSettings:
    common: CommonSettings
    policy: ReturnsPolicy


def load_settings(environ: Mapping[str, str] | None = None) -> ReturnsSettings:
    env = Env(environ)
    common = load_common("returns", env)
    path = pathlib.Path(common.policy_file) if common.policy_file else DEFAULT_POLICY
    policy = None
    try:
        policy = ReturnsPolicy.from_dict(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, yaml.YAMLError, AttributeError) as exc:
        env.errors.append(f"PRILAVOK_POLICY_FILE={str(path)!r}: {exc}")
    env.raise_if_errors("returns")
    assert policy is not None
    return ReturnsSettings(common, policy)


async def main(stop: asyncio.Event, settings: ReturnsSettings | None = None, ready=None) -> None:
    settings = settings or load_settings()
    common = settings.common
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        repository = MongoReturnsRepository(infra.mongo_client, infra.db, common.subject_prefix, infra.relay.wake)
        handlers = ReturnsHandlers(repository, settings.policy)

        def register(server):
            returns_pb2_grpc.add_ReturnsServiceServicer_to_server(ReturnsServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="returns", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail="")
        await stop.wait()
        log.info("returns stopping")
