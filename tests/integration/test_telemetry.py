"""W3C trace context crosses gRPC (metadata) and NATS (headers via the outbox)."""
from __future__ import annotations

import asyncio
import datetime as dt

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2, moderation_pb2_grpc
from prilavok_platform import nats as platform_nats
from prilavok_platform.auth import AuthSettings, Role, TokenIssuer, TokenVerifier
from prilavok_platform.clock import SystemClock
from prilavok_platform.grpc_server import call_metadata, start_server
from prilavok_platform.outbox import outbox_document
from prilavok_platform.policy_file import PolicyHolder
from services.moderation.bootstrap import load_policy
from services.moderation.entrypoints.grpc_servicer import SERVICE_NAME, ModerationServicer
from services.moderation.service_layer.handlers import ModerationHandlers

pytestmark = pytest.mark.integration
AUTH = AuthSettings(secret="telemetry-test-secret-telemetry-test-secret")


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    if trace.get_tracer_provider() is not provider:
        pytest.fail("another tracer provider was installed first in this process")
    return exporter


async def test_server_span_continues_the_callers_trace(spans):
    handlers = ModerationHandlers(None, PolicyHolder.fixed(load_policy()), SystemClock())  # type: ignore[arg-type]  # dry runs only: no storage

    def register(server):
        moderation_pb2_grpc.add_ModerationServiceServicer_to_server(ModerationServicer(handlers), server)
        return [SERVICE_NAME]

    server = await start_server(address="127.0.0.1:0", verifier=TokenVerifier(AUTH), service_name="moderation", register=register)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = moderation_pb2_grpc.ModerationServiceStub(channel)
            request = moderation_pb2.CheckMessageRequest(sender_role=common_pb2.ROLE_BUYER, sender_id="b", text="Здравствуйте")
            with trace.get_tracer("test").start_as_current_span("client-call") as client_span:
                token = TokenIssuer(AUTH).mint("m", Role.MODERATOR)
                reply = await stub.CheckMessage(request, metadata=call_metadata(token))
            assert reply.verdict.action == moderation_pb2.ACTION_ALLOW
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.CheckMessage(request)
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await server.stop(0)
    server_spans = [s for s in spans.get_finished_spans() if s.name.endswith("/CheckMessage")]
    continued = [s for s in server_spans if s.parent is not None and s.parent.span_id == client_span.get_span_context().span_id]
    assert continued and continued[0].context.trace_id == client_span.get_span_context().trace_id


async def test_consumer_span_continues_the_producers_trace(spans, infra, unique):
    nc = await platform_nats.connect(infra["nats_url"], "telemetry")
    js = nc.jetstream()
    await platform_nats.ensure_streams(js, platform_nats.suite_streams(unique))
    try:
        subject = platform_nats.subject(unique, "chat", "message", "delivered")
        with trace.get_tracer("test").start_as_current_span("produce") as producer:
            doc = outbox_document(subject, common_pb2.Money(currency_code="RUB", amount_minor=1), "ev-1", dt.datetime.now(dt.UTC))
        assert "traceparent" in doc["headers"]
        await platform_nats.EventPublisher(js).publish(subject, bytes(doc["payload"]), doc["_id"], doc["headers"])
        stop, seen = asyncio.Event(), []

        async def handler(msg):
            seen.append(trace.get_current_span().get_span_context().trace_id)
            stop.set()

        await asyncio.wait_for(platform_nats.run_pull_consumer(
            js, stream=platform_nats.stream_name(unique, "chat"), durable="telemetry", filter_subject=subject,
            handler=handler, stop=stop), timeout=15)
        assert seen == [producer.get_span_context().trace_id]
    finally:
        for spec in platform_nats.suite_streams(unique):
            await js.delete_stream(spec.name)
        await nc.drain()
