"""gRPC server bootstrap on grpc.aio: health (NOT_SERVING during shutdown), reflection,
graceful stop, and one interceptor that authenticates the caller, traces the call and
maps PrilavokError to google.rpc.Status with ErrorInfo / BadRequest details."""
from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from nats import errors as nats_errors
from opentelemetry import context as otel_context
from opentelemetry import trace
from pymongo import errors as pymongo_errors

from prilavok_platform import telemetry
from prilavok_platform.auth import TokenVerifier, bind_identity, reset_identity
from prilavok_platform.errors import ERROR_DOMAIN, Aborted, FieldViolation, InvalidArgument, PrilavokError, Unavailable

log = logging.getLogger(__name__)

T_co = TypeVar("T_co", covariant=True)

# Methods anyone may call: health checks and reflection (probes and grpcurl).
UNAUTHENTICATED_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

# Keep in step with DEVELOPERS.md: bound every input.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


class Undecodable:
    """A request whose bytes did not parse: answered with INVALID_ARGUMENT, not INTERNAL."""

    def __init__(self, message_class, data: bytes, error: Exception):
        self.message_class = message_class
        self.data = data
        self.error = error


def _lenient(deserializer):
    if deserializer is None:
        return None
    message_class = getattr(deserializer, "__self__", None)

    def parse(data: bytes):
        try:
            return deserializer(data)
        except Exception as error:  # noqa: BLE001 - reported to the caller as a bad request
            return Undecodable(message_class, data, error)

    return parse


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def invalid_fields(descriptor, data: bytes, prefix: str = "", depth: int = 0) -> list[FieldViolation]:
    """Walks the wire format and names string fields that are not valid UTF-8."""
    out: list[FieldViolation] = []
    counts: dict[int, int] = {}
    pos = 0
    try:
        while pos < len(data):
            key, pos = _varint(data, pos)
            number, wire = key >> 3, key & 7
            if wire == 0:
                _, pos = _varint(data, pos)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            elif wire == 2:
                length, pos = _varint(data, pos)
                chunk, pos = data[pos:pos + length], pos + length
                field = descriptor.fields_by_number.get(number) if descriptor is not None else None
                if field is None:
                    continue
                index = counts.get(number, 0)
                counts[number] = index + 1
                name = f"{prefix}{field.name}" + (f"[{index}]" if field.is_repeated else "")
                if field.type == field.TYPE_STRING:
                    try:
                        chunk.decode("utf-8")
                    except UnicodeDecodeError:
                        out.append(FieldViolation(name, "is not valid UTF-8"))
                elif field.type == field.TYPE_MESSAGE and depth < 8:
                    out.extend(invalid_fields(field.message_type, chunk, name + ".", depth + 1))
            else:
                raise ValueError(f"unsupported wire type {wire}")
    except ValueError as exc:
        out.append(FieldViolation(prefix.rstrip(".") or "request", f"is not a valid protobuf message ({exc})"))
    return out


def undecodable_error(request: Undecodable) -> InvalidArgument:
    descriptor = getattr(request.message_class, "DESCRIPTOR", None)
    violations = invalid_fields(descriptor, request.data) if descriptor is not None else []
    return InvalidArgument(violations or [FieldViolation("request", f"cannot be decoded: {request.error}")], reason="UNDECODABLE_REQUEST")


def to_status(error: PrilavokError) -> status_pb2.Status:
    """google.rpc.Status with ErrorInfo (reason, domain, metadata) and, for bad requests, BadRequest."""
    status = status_pb2.Status(code=getattr(code_pb2, error.code, code_pb2.UNKNOWN), message=error.message)
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata))
    status.details.append(info)
    if isinstance(error, InvalidArgument):
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad)
        status.details.append(packed)
    return status


async def abort_with(context: grpc.aio.ServicerContext, error: PrilavokError) -> None:
    await context.abort_with_status(rpc_status.to_status(to_status(error)))


def infrastructure_error(error: BaseException) -> PrilavokError | None:
    """A failure of what a service stands on, in words a client can act on: the database or the
    broker unreachable is UNAVAILABLE (retry later); a transaction that kept conflicting is
    ABORTED (retry now). Anything else stays INTERNAL."""
    if isinstance(error, (pymongo_errors.ConnectionFailure, pymongo_errors.ServerSelectionTimeoutError)):
        log.warning("database unreachable: %s", error)
        return Unavailable("the database is unreachable; retry later", reason="DATABASE_UNAVAILABLE")
    if isinstance(error, pymongo_errors.PyMongoError) and error.has_error_label("TransientTransactionError"):
        return Aborted("the change conflicted with concurrent ones too often; retry", reason="TRANSACTION_CONFLICT")
    if isinstance(error, (nats_errors.ConnectionClosedError, nats_errors.NoServersError, nats_errors.TimeoutError)):
        log.warning("message broker unreachable: %s", error)
        return Unavailable("the message broker is unreachable; retry later", reason="BROKER_UNAVAILABLE")
    return None


class PlatformInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, verifier: TokenVerifier, service_name: str):
        self._verifier = verifier
        self._tracer = telemetry.tracer(f"prilavok.{service_name}.grpc")

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(UNAUTHENTICATED_PREFIXES):
            return handler
        metadata = {k: v for k, v in (handler_call_details.invocation_metadata or ()) if isinstance(v, str)}
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, metadata, handler.unary_unary),
                _lenient(handler.request_deserializer),
                handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, metadata, handler.unary_stream),
                _lenient(handler.request_deserializer),
                handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(method, metadata, handler.stream_unary),
                handler.request_deserializer,
                handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._wrap_stream(method, metadata, handler.stream_stream),
            handler.request_deserializer,
            handler.response_serializer,
        )

    def _start_span(self, method: str, metadata: dict[str, str]):
        return self._tracer.start_as_current_span(
            method,
            context=telemetry.extract(metadata),
            kind=trace.SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.method": method},
        )

    async def _authenticate(self, metadata: dict[str, str], context):
        try:
            return self._verifier.verify_header(metadata.get("authorization"))
        except PrilavokError as error:
            await abort_with(context, error)

    async def _fail(self, method: str, error: Exception, context) -> None:
        span = trace.get_current_span()
        error = infrastructure_error(error) or error
        if isinstance(error, PrilavokError):
            span.set_attribute("prilavok.error.reason", error.reason)
            await abort_with(context, error)
        log.exception("unhandled error in %s", method, exc_info=error)
        span.record_exception(error)
        await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the service log")

    def _wrap_unary(self, method: str, metadata: dict[str, str], behavior: Callable):
        async def wrapped(request: Any, context: grpc.aio.ServicerContext):
            with self._start_span(method, metadata):
                identity = await self._authenticate(metadata, context)
                if isinstance(request, Undecodable):
                    await abort_with(context, undecodable_error(request))
                token = bind_identity(identity)
                try:
                    return await behavior(request, context)
                except grpc.aio.AbortError:
                    raise
                except Exception as error:  # noqa: BLE001 - mapped to a status
                    await self._fail(method, error, context)
                finally:
                    reset_identity(token)

        return wrapped

    def _wrap_stream(self, method: str, metadata: dict[str, str], behavior: Callable):
        # Context variables (span, identity) are set only around each step of the inner
        # generator, never across a yield: gRPC may finalise a cancelled stream in another
        # context, where resetting them would fail.
        async def wrapped(request: Any, context: grpc.aio.ServicerContext):
            span = self._tracer.start_span(
                method, context=telemetry.extract(metadata), kind=trace.SpanKind.SERVER,
                attributes={"rpc.system": "grpc", "rpc.method": method},
            )
            inner = None
            try:
                identity = await self._authenticate(metadata, context)
                if isinstance(request, Undecodable):
                    await abort_with(context, undecodable_error(request))
                inner = behavior(request, context)
                while True:
                    span_token = otel_context.attach(trace.set_span_in_context(span))
                    identity_token = bind_identity(identity)
                    try:
                        item = await inner.__anext__()
                    except StopAsyncIteration:
                        return
                    except grpc.aio.AbortError:
                        raise
                    except Exception as error:  # noqa: BLE001 - mapped to a status
                        await self._fail(method, error, context)
                    finally:
                        reset_identity(identity_token)
                        otel_context.detach(span_token)
                    yield item
            finally:
                if inner is not None:
                    await inner.aclose()
                span.end()

        return wrapped


@dataclass
class GrpcServer:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    service_names: list[str]
    port: int

    async def set_serving(self) -> None:
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace_seconds: float) -> None:
        # Probes see NOT_SERVING first, then in-flight calls get the grace period.
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_seconds)


async def start_server(
    *,
    address: str,
    verifier: TokenVerifier,
    service_name: str,
    register: Callable[[grpc.aio.Server], Iterable[str]],
    reuse_port: bool = False,
) -> GrpcServer:
    """Creates, registers and starts a server. `register` adds servicers and returns
    their full service names (for health and reflection)."""
    server = grpc.aio.server(
        interceptors=[PlatformInterceptor(verifier, service_name)],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # several worker processes of one service may share the port (the kernel spreads connections)
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ],
    )
    names = list(register(server))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"cannot listen on {address}")
    await server.start()
    running = GrpcServer(server=server, health=health_servicer, service_names=names, port=port)
    await running.set_serving()
    return running


async def serve(
    stack, *, address: str, verifier: TokenVerifier, service_name: str, register: Callable[[grpc.aio.Server], Iterable[str]],
    grace_seconds: float, reuse_port: bool = False, ready: Callable[[int], None] | None = None, detail: str = "",
) -> GrpcServer:
    """Starts the server and puts its graceful stop on the exit stack (it runs first on shutdown)."""
    server = await start_server(address=address, verifier=verifier, service_name=service_name, register=register, reuse_port=reuse_port)
    stack.push_async_callback(server.stop, grace_seconds)
    log.info("%s serving on %s (port %d)%s", service_name, address, server.port, f" {detail}" if detail else "")
    if ready:
        ready(server.port)
    return server


class LiveFeedPort(Protocol[T_co]):
    async def next(self, timeout: float) -> T_co | None: ...

    def close(self) -> None: ...


# How often an idle server stream looks whether its client is still there.
IDLE_CHECK_SECONDS = 15.0


async def live_items(feed: LiveFeedPort[T_co], context: grpc.aio.ServicerContext,
                     idle_check_seconds: float | None = None) -> AsyncGenerator[T_co, None]:
    """The items of a live feed for a server-streaming RPC, until the client goes away (noticed
    within `idle_check_seconds` when nothing happens); the feed is closed however the stream
    ends. Use it under `contextlib.aclosing` so a cancelled stream closes the feed at once."""
    wait = IDLE_CHECK_SECONDS if idle_check_seconds is None else idle_check_seconds
    try:
        while True:
            item = await feed.next(wait)
            if item is not None:
                yield item
            elif context.done():
                return
    finally:
        feed.close()


def call_metadata(token: str) -> list[tuple[str, str]]:
    """Metadata for an outgoing call: the bearer token and the current trace context."""
    carrier: dict[str, str] = {}
    telemetry.inject(carrier)
    return [("authorization", f"Bearer {token}"), *carrier.items()]
