"""Opens what every service stands on — MongoDB, NATS/JetStream (as the service's own NATS
user, creating the service's own stream), the outbox relay — on an AsyncExitStack, so shutdown
closes them in reverse: relay, NATS drain, MongoDB."""
from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from prilavok_platform import mongo, telemetry
from prilavok_platform import nats as platform_nats
from prilavok_platform.auth import CachedServiceToken, TokenIssuer, TokenVerifier
from prilavok_platform.config import CommonSettings
from prilavok_platform.lifecycle import background
from prilavok_platform.outbox import OUTBOX_COLLECTION, OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class Infrastructure:
    settings: CommonSettings
    mongo_client: AsyncMongoClient
    db: AsyncDatabase
    nats: NatsClient
    js: JetStreamContext
    relay: OutboxRelay
    verifier: TokenVerifier
    service_token: CachedServiceToken


async def open_infrastructure(
    settings: CommonSettings, stack: AsyncExitStack, stop: asyncio.Event, indexes: list[mongo.IndexSpec]
) -> Infrastructure:
    tel = telemetry.setup(settings.service_name, settings.otel_exporter, settings.otel_endpoint)
    stack.callback(tel.shutdown)

    client = mongo.create_client(settings.mongodb_uri, f"prilavok-{settings.service_name}")
    stack.push_async_callback(client.close)
    db = client[settings.mongodb_database]
    await mongo.ping(client)
    await mongo.ensure_indexes(db, indexes)

    nc = await platform_nats.connect(
        settings.nats_url, f"prilavok-{settings.service_name}", user=settings.nats_user, password=settings.nats_password,
        inbox=platform_nats.inbox_prefix(settings.service_name),
    )
    stack.push_async_callback(_drain, nc)
    js = nc.jetstream()
    # Each producer creates only its own stream (with its readers' durables); its consumers wait
    # for the others'. The relay creates it again if it is deleted while the service runs.
    streams = platform_nats.own_streams(settings.subject_prefix, settings.service_name)
    await platform_nats.ensure_streams(js, streams)

    relay = OutboxRelay(db[OUTBOX_COLLECTION], platform_nats.EventPublisher(js, streams), producer=settings.service_name)
    await stack.enter_async_context(background(f"{settings.service_name}-outbox-relay", relay.run(stop), stop))

    issuer = None
    if settings.auth.algorithm == "HS256" or settings.auth.private_key_pem:
        issuer = TokenIssuer(settings.auth)
    token = CachedServiceToken(issuer, settings.service_name, settings.service_token)
    return Infrastructure(settings, client, db, nc, js, relay, TokenVerifier(settings.auth), token)


async def _drain(nc: NatsClient) -> None:
    try:
        await asyncio.wait_for(nc.drain(), timeout=10)
    except Exception as exc:  # noqa: BLE001 - already closed or the server is gone
        log.info("nats drain: %s", exc)
