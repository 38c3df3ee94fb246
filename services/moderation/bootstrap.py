"""Wires the moderation service: settings -> infrastructure -> handlers -> gRPC server and the
consumer of the chat's message events. Nothing connects at import."""
from __future__ import annotations

import asyncio
import gc
import logging
import pathlib
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass

from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_platform import nats as platform_nats
from prilavok_platform.clock import SystemClock
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.policy_file import PolicyHolder, holder_from_settings, load_policy_file
from services.moderation.adapters.event_mapper import map_event
from services.moderation.adapters.repository import INDEXES, backfill_review_kinds, mongo_repositories
from services.moderation.domain.policy import Policy
from services.moderation.entrypoints.consumers import chat_messages_dispatcher
from services.moderation.entrypoints.grpc_servicer import SERVICE_NAME, ModerationServicer
from services.moderation.service_layer.handlers import ModerationHandlers

log = logging.getLogger("services.moderation")

# What moderation reads: chat's message events, through the durable prilavok_platform.nats.DURABLES
# lists for it (its name and filter taken from there, as chat creates it; a second durable of
# moderation's on chat's stream would need wiring here, and stops the import until it has it).
(CHAT_MESSAGES,) = platform_nats.durables_of("moderation", "chat")
# The policy shipped beside the service, used unless PRILAVOK_POLICY_FILE names another.
DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent / "default_policy.yaml"


def load_policy(path: str | pathlib.Path | None = None) -> Policy:
    """A policy read once (tools, tests, the evaluation); the service keeps a reloading holder."""
    return load_policy_file(path or DEFAULT_POLICY, Policy.from_dict)


@dataclass(frozen=True)
class ModerationSettings:
    common: CommonSettings
    policy: PolicyHolder[Policy]


def load_settings(environ: Mapping[str, str] | None = None) -> ModerationSettings:
    env = Env(environ)
    common = load_common("moderation", env)
    policy = holder_from_settings(common.policy_file, DEFAULT_POLICY, Policy.from_dict, env.errors)
    env.raise_if_errors("moderation")
    assert policy is not None  # a refused file is among the errors raised above
    return ModerationSettings(common, policy)


def freeze_long_lived_objects() -> None:
    """Called after every engine build (at start and after each policy reload). The engine's
    lexicons and automata (some 22 000 objects) live until the next reload: frozen, they are
    out of the collector's generations, so a full collection no longer scans them (measured:
    ~23 ms -> ~0 ms per full collection, a pause on whichever request triggers it). Unfreezing
    first lets the collection free the replaced engine's cycles instead of keeping them frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


async def main(stop: asyncio.Event, settings: ModerationSettings | None = None, ready=None) -> None:
    settings = settings or load_settings()
    common, policies = settings.common, settings.policy
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        # before the queue is read or the consumer records: the queue's queries need every review's kind
        if backfilled := await backfill_review_kinds(infra.db):
            log.info("moderation: %d reviews stored before kinds got kind HELD_MESSAGE", backfilled)
        uow = MongoUnitOfWork(
            infra.mongo_client, infra.db, repositories=mongo_repositories, map_event=map_event,
            subject_prefix=common.subject_prefix, producer="moderation", on_commit=infra.relay.wake,
        )
        handlers = ModerationHandlers(uow, policies, SystemClock(), after_engine_build=freeze_long_lived_objects)
        await stack.enter_async_context(background("policy-watch", policies.watch(stop), stop))
        await stack.enter_async_context(background(
            "moderation-consumer-chat-messages",
            platform_nats.run_durable(infra.js, CHAT_MESSAGES, common.subject_prefix, chat_messages_dispatcher(handlers), stop),
            stop,
        ))

        def register(server):
            moderation_pb2_grpc.add_ModerationServiceServicer_to_server(ModerationServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="moderation", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(policy {policies.current.version})",
                    reuse_port=common.workers > 1)
        await stop.wait()
        log.info("moderation stopping")
