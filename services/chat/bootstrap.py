"""Wires the chat service: settings -> infrastructure -> unit of work, moderation client,
attachment store, event hub -> handlers -> gRPC and consumers. Nothing connects at import."""
from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass

import grpc

from prilavok.chat.v1 import chat_pb2_grpc
from prilavok_platform import nats as platform_nats
from prilavok_platform.clock import SystemClock
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background, every
from prilavok_platform.mongo_unit_of_work import MongoUnitOfWork
from prilavok_platform.policy_file import PolicyHolder, holder_from_settings
from services.chat.adapters.attachments import GridFsAttachmentStore
from services.chat.adapters.event_hub import ChatEventHub
from services.chat.adapters.event_mapper import map_event
from services.chat.adapters.moderation_client import GrpcModerationGateway
from services.chat.adapters.repository import INDEXES, repositories
from services.chat.domain.commands import AnnounceDeadlines
from services.chat.domain.model import ChatPolicy
from services.chat.entrypoints.consumers import appeal_dispatcher, moderation_dispatcher, standing_dispatcher
from services.chat.entrypoints.grpc_servicer import SERVICE_NAME, ChatServicer
from services.chat.service_layer.handlers import ChatHandlers

log = logging.getLogger("services.chat")

DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent / "default_policy.yaml"
# What chat reads of moderation's stream: the durables prilavok_platform.nats.DURABLES lists for it
# (name and filter from there, as moderation creates them), one per subject.
MODERATION_DURABLES = platform_nats.durables_of("chat", "moderation")


@dataclass(frozen=True)
class ChatSettings:
    common: CommonSettings
    moderation_address: str
    policy: PolicyHolder[ChatPolicy]
    deadline_scan_seconds: float = 30.0


def load_settings(environ: Mapping[str, str] | None = None) -> ChatSettings:
    env = Env(environ)
    common = load_common("chat", env)
    moderation_address = env.str("PRILAVOK_MODERATION_ADDR", "127.0.0.1:50052")
    deadline_scan = env.float("PRILAVOK_DEADLINE_SCAN_SECONDS", 30.0, minimum=0.1)
    policy = holder_from_settings(common.policy_file, DEFAULT_POLICY, ChatPolicy.from_dict, env.errors)
    env.raise_if_errors("chat")
    assert policy is not None
    return ChatSettings(common, moderation_address, policy, deadline_scan)


async def main(stop: asyncio.Event, settings: ChatSettings | None = None, ready=None) -> None:
    settings = settings or load_settings()
    common, policy = settings.common, settings.policy
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        await stack.enter_async_context(background("chat-policy", policy.watch(stop), stop))
        channel = grpc.aio.insecure_channel(settings.moderation_address)
        stack.push_async_callback(channel.close)
        moderation = GrpcModerationGateway(channel, infra.service_token, lambda: policy.current.moderation_deadline_ms / 1000)
        uow = MongoUnitOfWork(infra.mongo_client, infra.db, repositories=repositories, map_event=map_event,
                              subject_prefix=common.subject_prefix, producer="chat", on_commit=infra.relay.wake)
        hub = ChatEventHub()
        handlers = ChatHandlers(uow, policy, SystemClock(), moderation, GridFsAttachmentStore(infra.db), hub)
        await handlers.refresh_suspensions()  # before the first request is served
        # Every replica re-reads the suspensions in force every `suspensions.refresh_seconds` (1 s): a
        # suspension takes effect everywhere within about that long after chat consumed its event; a
        # failed read keeps the last set (ends still apply by the clock).
        await stack.enter_async_context(background("chat-suspensions", every(
            "suspensions refresh", lambda: policy.current.suspensions_refresh_seconds, handlers.refresh_suspensions, stop,
            wait_first=True), stop))
        await stack.enter_async_context(background("reply-deadlines", every(
            "reply-deadline scan", lambda: settings.deadline_scan_seconds, lambda: handlers.announce_deadlines(AnnounceDeadlines()),
            stop), stop))
        prefix = common.subject_prefix
        dispatchers = {"review.resolved": moderation_dispatcher(handlers), "standing.changed": standing_dispatcher(handlers),
                       "appeal.resolved": appeal_dispatcher(handlers)}
        for durable in MODERATION_DURABLES:
            if durable.tail not in dispatchers:
                raise RuntimeError(f"chat has no handler for its durable {durable.name} ({durable.tail})")
            await stack.enter_async_context(background(
                f"chat-consumer-{durable.name}",
                platform_nats.run_durable(infra.js, durable, prefix, dispatchers[durable.tail], stop), stop))
        hub_subscription = await hub.start(infra.nats, common.subject_prefix)
        stack.push_async_callback(hub_subscription.unsubscribe)

        def register(server):
            chat_pb2_grpc.add_ChatServiceServicer_to_server(ChatServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="chat", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(moderation at {settings.moderation_address})")
        await stop.wait()
        log.info("chat stopping")
