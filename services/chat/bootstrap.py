"""Wires the chat service: settings -> infrastructure -> moderation client -> handlers -> gRPC."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import pathlib
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass

import grpc
import yaml

from prilavok.chat.v1 import chat_pb2_grpc
from prilavok_platform import nats as platform_nats
from prilavok_platform.config import CommonSettings, Env, load_common
from prilavok_platform.grpc_server import serve
from prilavok_platform.infrastructure import open_infrastructure
from prilavok_platform.lifecycle import background
from services.chat.adapters.attachments import GridFsAttachmentStore
from services.chat.adapters.event_hub import ChatEventHub
from services.chat.adapters.moderation_client import GrpcModerationGateway
from services.chat.adapters.repository import INDEXES, MongoChatRepository
from services.chat.domain.model import ChatPolicy
from services.chat.entrypoints.consumers import review_resolved_handler
from services.chat.entrypoints.grpc_servicer import SERVICE_NAME, ChatServicer
from services.chat.service_layer.handlers import ChatHandlers

log = logging.getLogger("services.chat")

DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent / "default_policy.yaml"


@dataclass(frozen=True)
class ChatSettings:
    common: CommonSettings
    moderation_address: str
    policy: ChatPolicy
    deadline_scan_seconds: float = 30.0


async def watch_deadlines(repository: MongoChatRepository, policy: ChatPolicy, every: float, stop: asyncio.Event) -> None:
    remind = dt.timedelta(hours=policy.remind_before_hours)
    while not stop.is_set():
        try:
            await repository.announce_deadlines(dt.datetime.now(dt.UTC), remind)
        except Exception:  # noqa: BLE001 - MongoDB briefly away: try at the next scan
            log.exception("reply-deadline scan failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            pass


def load_settings(environ: Mapping[str, str] | None = None) -> ChatSettings:
    env = Env(environ)
    common = load_common("chat", env)
    moderation_address = env.str("PRILAVOK_MODERATION_ADDR", "127.0.0.1:50052")
    deadline_scan = env.float("PRILAVOK_DEADLINE_SCAN_SECONDS", 30.0, minimum=0.1)
    policy_path = pathlib.Path(common.policy_file) if common.policy_file else DEFAULT_POLICY
    policy = None
    try:
        policy = ChatPolicy.from_dict(yaml.safe_load(policy_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, yaml.YAMLError, AttributeError) as exc:
        env.errors.append(f"PRILAVOK_POLICY_FILE={str(policy_path)!r}: {exc}")
    env.raise_if_errors("chat")
    assert policy is not None
    return ChatSettings(common, moderation_address, policy, deadline_scan)


async def main(stop: asyncio.Event, settings: ChatSettings | None = None, ready=None) -> None:
    settings = settings or load_settings()
    common = settings.common
    async with AsyncExitStack() as stack:
        infra = await open_infrastructure(common, stack, stop, INDEXES)
        channel = grpc.aio.insecure_channel(settings.moderation_address)
        stack.push_async_callback(channel.close)
        moderation = GrpcModerationGateway(channel, infra.service_token, settings.policy.moderation_deadline_ms / 1000)
        repository = MongoChatRepository(infra.mongo_client, infra.db, common.subject_prefix, infra.relay.wake)
        handlers = ChatHandlers(repository, moderation, settings.policy, GridFsAttachmentStore(infra.db))
        await stack.enter_async_context(background(
            "reply-deadlines", watch_deadlines(repository, settings.policy, settings.deadline_scan_seconds, stop), stop))
        await stack.enter_async_context(background(
            "chat-consumer-reviews",
            platform_nats.run_pull_consumer(
                infra.js,
                stream=platform_nats.stream_name(common.subject_prefix, "moderation"),
                durable="chat-review-resolved",
                filter_subject=platform_nats.subject(common.subject_prefix, "moderation", "review", "resolved"),
                handler=review_resolved_handler(handlers),
                stop=stop,
            ),
            stop,
        ))
        hub = ChatEventHub()
        hub_subscription = await hub.start(infra.nats, common.subject_prefix)
        stack.push_async_callback(hub_subscription.unsubscribe)

        def register(server):
            chat_pb2_grpc.add_ChatServiceServicer_to_server(ChatServicer(handlers, hub), server)
            return [SERVICE_NAME]

        await serve(stack, address=common.grpc_address, verifier=infra.verifier, service_name="chat", register=register,
                    grace_seconds=common.shutdown_grace_seconds, ready=ready, detail=f"(moderation at {settings.moderation_address})")
        await stop.wait()
        log.info("chat stopping")
