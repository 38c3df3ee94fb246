"""Wires the chat service: settings -> infrastructure -> unit of work, moderation client,
attachment store, event hub -> handlers -> gRPC and consumers. Nothing connects at import."""
from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import Coroutine, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import grpc

from prilavok.chat.v1 import chat_pb2_grpc
from prilavok_platform import nats as platform_nats
from prilavok_platform.clock import SystemClock
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import Infrastructure, open_infrastructure
from prilavok_platform.lifecycle import background
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


@dataclass(frozen=True)
class ChatSettings:
    common: CommonSettings
    moderation_address: str
    policy: PolicyHolder[ChatPolicy]
    deadline_scan_seconds: float = 30.0


async def watch_deadlines(handlers: ChatHandlers, every: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await handlers.announce_deadlines(AnnounceDeadlines())
        except Exception:  # noqa: BLE001 - MongoDB briefly away: try at the next scan
            log.exception("reply-deadline scan failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            pass


async def watch_suspensions(handlers: ChatHandlers, policy: PolicyHolder[ChatPolicy], stop: asyncio.Event) -> None:
    """Every replica re-reads the suspensions in force every `suspensions.refresh_seconds` (1 s):
    a suspension takes effect everywhere within about that long after chat consumed its event."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=policy.current.suspensions_refresh_seconds)
        except TimeoutError:
            pass
        if stop.is_set():
            return
        try:
            await handlers.refresh_suspensions()
        except Exception:  # noqa: BLE001 - MongoDB briefly away: keep the last set (ends still apply by the clock)
            log.exception("suspensions refresh failed")


def _durable(name: str) -> platform_nats.Durable:
    """One of chat's durables as prilavok_platform.nats.DURABLES lists it (moderation creates it
    with that filter, and chat's NATS account may pull only these)."""
    durable = platform_nats.suite_durable(name)
    if durable is None or durable.consumer != "chat" or durable.producer != "moderation":
        raise RuntimeError(f"{name} is not a chat durable on moderation's stream in prilavok_platform.nats.DURABLES")
    return durable


def _moderation_consumer(infra: Infrastructure, prefix: str, durable: platform_nats.Durable, handler: platform_nats.Handler,
                         stop: asyncio.Event) -> Coroutine[Any, Any, None]:
    """A durable consumer of one subject of moderation's stream."""
    return platform_nats.run_pull_consumer(
        infra.js,
        stream=platform_nats.stream_name(prefix, "moderation"),
        durable=durable.name,
        filter_subject=durable.filter_subject(prefix),
        handler=handler,
        stop=stop,
    )


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
        await stack.enter_async_context(background("chat-suspensions", watch_suspensions(handlers, policy, stop), stop))
        await stack.enter_async_context(background(
            "reply-deadlines", watch_deadlines(handlers, settings.deadline_scan_seconds, stop), stop))
        prefix = common.subject_prefix
        for name, dispatcher in (
            ("chat-review-resolved", moderation_dispatcher(handlers)),
            ("chat-standing-changed", standing_dispatcher(handlers)),
            ("chat-appeal-resolved", appeal_dispatcher(handlers)),
        ):
            await stack.enter_async_context(background(
                f"chat-consumer-{name}", _moderation_consumer(infra, prefix, _durable(name), dispatcher, stop), stop))
        hub_subscription = await hub.start(infra.nats, common.subject_prefix)
        stack.push_async_callback(hub_subscription.unsubscribe)

        def register(server):
            chat_pb2_grpc.add_ChatServiceServicer_to_server(ChatServicer(handlers), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="chat", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(moderation at {settings.moderation_address})")
        await stop.wait()
        log.info("chat stopping")
