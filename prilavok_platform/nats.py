"""NATS with JetStream: an authenticated connection with unlimited reconnects, the suite's
streams and the durable consumers on them, a publisher that sets Nats-Msg-Id, event authenticity
(the producer named by the subject, the Prilavok-Producer header and the event type's package
agree), and a durable pull-consumer loop with explicit ack, nak-with-delay on transient errors
and term on poison messages.

Who may publish and consume what is the NATS server's job (devstack/nats_config.py renders the
accounts and permissions: one account per service, each producer's stream in its own account);
the checks here refuse what slips past it, such as a producer publishing on its own subjects an
event of another producer's type.

Every durable consumer of the suite is listed in DURABLES. Its producer creates it beside its
stream at start (`ensure_streams`): a consumer's NATS account sees only the pulls and acks of its
own durables, imported from the producer's account, and may create or change no consumer."""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
from google.protobuf.message import DecodeError
from google.protobuf.message import Message as ProtoMessage
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, BadRequestError, NoStreamResponseError, NotFoundError
from opentelemetry import trace

from prilavok_platform import telemetry

log = logging.getLogger(__name__)

# Producers of the suite, each owning one stream "<PREFIX>_<PRODUCER>" over "<prefix>.<producer>.>".
PRODUCERS = ("chat", "moderation", "returns")
DUPLICATE_WINDOW_SECONDS = 600
MAX_AGE_SECONDS = 7 * 24 * 3600

EVENT_TYPE_HEADER = "Prilavok-Event-Type"
# Set by the producer's outbox relay; must name the producer segment of the subject.
PRODUCER_HEADER = "Prilavok-Producer"
# Event types live in the package of their producer: prilavok.<producer>.v<N>.<Message>.
EVENT_TYPE_PACKAGE = re.compile(r"^prilavok\.([a-z0-9_]+)\.v[0-9]+\.[A-Za-z0-9_]+$")
# How long a consumer waits between attempts while the stream it reads does not exist yet
# (each producer creates its own stream when it starts).
STREAM_WAIT_SECONDS = 0.5

M = TypeVar("M", bound=ProtoMessage)


class TransientError(Exception):
    """The handler may succeed later: the message is redelivered after a delay."""


class PoisonMessage(Exception):
    """The message can never be handled: it is terminated, not redelivered."""


@dataclass(frozen=True)
class Durable:
    """A durable pull consumer of the suite: `consumer` reads `producer`'s stream through it,
    filtered to "<prefix>.<producer>.<tail>"."""

    consumer: str
    producer: str
    name: str
    tail: str

    def filter_subject(self, prefix: str) -> str:
        return subject(prefix, self.producer, *self.tail.split("."))


# Every durable consumer the services run (their bootstraps name them; run_pull_consumer refuses
# a suite durable with another filter). A durable's filter never changes: a new subject gets a
# new durable, listed here, so that its producer creates it and the NATS accounts grant it.
DURABLES = (
    Durable("moderation", "chat", "moderation-chat-messages", "message.>"),
    Durable("chat", "moderation", "chat-review-resolved", "review.resolved"),
    Durable("chat", "moderation", "chat-standing-changed", "standing.changed"),
    Durable("chat", "moderation", "chat-appeal-resolved", "appeal.resolved"),
    Durable("returns", "moderation", "returns-moderation-penalties", "penalty.>"),
    Durable("notify", "chat", "notify-chat", ">"),
    Durable("notify", "returns", "notify-returns", ">"),
    Durable("notify", "moderation", "notify-moderation", "penalty.>"),
    Durable("notify", "moderation", "notify-moderation-standing", "standing.changed"),
    Durable("notify", "moderation", "notify-moderation-appeals", "appeal.resolved"),
)


def suite_durable(name: str) -> Durable | None:
    return next((d for d in DURABLES if d.name == name), None)


def durables_of(consumer: str, producer: str = "") -> tuple[Durable, ...]:
    """The durables `consumer` reads (of `producer`'s stream only, when given), as DURABLES lists them."""
    return tuple(d for d in DURABLES if d.consumer == consumer and producer in ("", d.producer))


def run_durable(js: JetStreamContext, durable: Durable, prefix: str, handler: Handler, stop: asyncio.Event) -> Coroutine[Any, Any, None]:
    """`run_pull_consumer` for one of the suite's durables: its stream and filter as DURABLES says."""
    return run_pull_consumer(js, stream=stream_name(prefix, durable.producer), durable=durable.name,
                             filter_subject=durable.filter_subject(prefix), handler=handler, stop=stop)


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    filter_subject: str


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: list[str]
    consumers: tuple[ConsumerSpec, ...] = ()


def stream_name(prefix: str, producer: str) -> str:
    return f"{prefix}_{producer}".upper().replace("-", "_")


def subject(prefix: str, producer: str, *parts: str) -> str:
    return ".".join([prefix, producer, *parts])


def suite_streams(prefix: str) -> list[StreamSpec]:
    """Each producer's stream with the durable consumers of the services that read it."""
    return [
        StreamSpec(stream_name(prefix, p), [f"{prefix}.{p}.>"],
                   tuple(ConsumerSpec(d.name, d.filter_subject(prefix)) for d in DURABLES if d.producer == p))
        for p in PRODUCERS
    ]


def own_streams(prefix: str, service: str) -> list[StreamSpec]:
    """The streams a service creates at start: its own, if it produces events, with the
    durables its readers consume (its NATS user may create and update no other stream or
    consumer; consumers wait until the producer has created theirs)."""
    return [spec for spec in suite_streams(prefix) if spec.name == stream_name(prefix, service)] if service in PRODUCERS else []


def inbox_prefix(service: str) -> str:
    """Replies (JetStream API answers, publish acks, pulled messages) come to inboxes under this
    prefix; a service's NATS user may subscribe to its own inboxes only."""
    return f"_INBOX.{service}"


def producer_of_subject(subject_name: str) -> str:
    """'<prefix>.<producer>.<event...>' -> producer (a prefix holds no dots)."""
    parts = subject_name.split(".")
    return parts[1] if len(parts) >= 3 else ""


def producer_of_event_type(event_type: str) -> str:
    match = EVENT_TYPE_PACKAGE.match(event_type)
    return match.group(1) if match else ""


def event_headers(event: ProtoMessage | type[ProtoMessage], producer: str) -> dict[str, str]:
    """The headers an event travels with, as its producer's outbox relay sends them (for tests
    and tools that publish events themselves)."""
    return {EVENT_TYPE_HEADER: event.DESCRIPTOR.full_name, PRODUCER_HEADER: producer}


def check_authenticity(message: Msg, event_type: str) -> None:
    """Raises PoisonMessage unless the subject's producer, the Prilavok-Producer header and the
    package of the event type name the same producer. The server lets a producer publish only
    on its own subjects, so this refuses an event of one producer's type sent by another, or one
    sent without the relay's header."""
    subject_producer = producer_of_subject(message.subject or "")
    header_producer = (message.headers or {}).get(PRODUCER_HEADER, "")
    if not header_producer:
        raise PoisonMessage(f"no {PRODUCER_HEADER} header on {message.subject} ({event_type})")
    if header_producer != subject_producer:
        raise PoisonMessage(f"{PRODUCER_HEADER} {header_producer!r} on {message.subject}, a subject of {subject_producer!r}")
    type_producer = producer_of_event_type(event_type)
    if type_producer != subject_producer:
        raise PoisonMessage(f"event type {event_type} is not one of {subject_producer!r}'s, yet came on {message.subject}")


async def connect(url: str, name: str, *, user: str = "", password: str = "", inbox: str | None = None) -> NatsClient:
    """Connects as `user` (the server refuses anonymous clients); `inbox` is the inbox prefix
    the user may subscribe to (`inbox_prefix(service)`), else NATS's default `_INBOX`."""
    async def on_error(exc: Exception) -> None:
        log.warning("nats: %s", exc)

    async def on_disconnect() -> None:
        log.info("nats: disconnected (reconnecting unless draining)")

    async def on_reconnect() -> None:
        log.info("nats: reconnected")

    credentials: dict[str, Any] = {"user": user, "password": password} if user else {}
    return await nats.connect(
        url,
        name=name,
        inbox_prefix=inbox or "_INBOX",
        **credentials,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        allow_reconnect=True,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )


def consumer_config(durable: str, filter_subject: str, ack_wait_seconds: float = 30) -> ConsumerConfig:
    """A durable pull consumer: explicit acks, from the stream's first message, redelivered
    without limit."""
    return ConsumerConfig(
        name=durable,
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=-1,
        ack_wait=ack_wait_seconds,
        filter_subject=filter_subject,
    )


async def ensure_streams(js: JetStreamContext, specs: list[StreamSpec]) -> None:
    """Creates or updates each stream, then the durable consumers its readers use (creating one
    that exists with the same configuration changes nothing)."""
    for spec in specs:
        config = StreamConfig(
            name=spec.name,
            subjects=spec.subjects,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=MAX_AGE_SECONDS,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
        for consumer in spec.consumers:
            await js.add_consumer(spec.name, consumer_config(consumer.durable, consumer.filter_subject))


class EventPublisher:
    """Publishes events to JetStream. Given its producer's `streams` (own_streams), it creates
    them again, with their durables, when a publish finds no stream (deleted while the service
    runs), and publishes once more; without them that publish fails as it is."""

    def __init__(self, js: JetStreamContext, streams: list[StreamSpec] | None = None):
        self._js = js
        self._streams = list(streams or [])

    async def publish(self, subject_name: str, payload: bytes, msg_id: str, headers: dict[str, str] | None = None) -> bool:
        """Publishes with de-duplication by msg_id; returns False when JetStream saw it already."""
        all_headers = {"Nats-Msg-Id": msg_id, **(headers or {})}
        try:
            ack = await self._js.publish(subject_name, payload, headers=all_headers, timeout=5)
        except NoStreamResponseError:
            if not self._streams:
                raise
            log.warning("no stream takes %s (deleted?); creating %s again", subject_name, ", ".join(s.name for s in self._streams))
            await ensure_streams(self._js, self._streams)
            ack = await self._js.publish(subject_name, payload, headers=all_headers, timeout=5)
        return not ack.duplicate


Handler = Callable[[Msg], Awaitable[None]]


class EventDispatcher:
    """Routes a consumed message to the handler of its event type: the full protobuf name in
    the Prilavok-Event-Type header (never a subject suffix). Types without a handler are
    acknowledged and skipped, since a stream carries more types than any one consumer wants.
    Every message is first checked for authenticity (`check_authenticity`): one whose producer
    header is missing or names another producer than its subject, or whose type belongs to
    another producer, is a PoisonMessage (terminated and logged, never handled).

        dispatcher = EventDispatcher()
        dispatcher.on(moderation_events.ReviewResolved, handle_review_resolved)
        run_pull_consumer(..., handler=dispatcher)
    """

    def __init__(self) -> None:
        self._routes: dict[str, tuple[type[ProtoMessage], Callable[[Any], Awaitable[None]]]] = {}

    def on(self, message_class: type[M], handle: Callable[[M], Awaitable[None]]) -> EventDispatcher:
        self._routes[message_class.DESCRIPTOR.full_name] = (message_class, handle)
        return self

    async def __call__(self, message: Msg) -> None:
        event_type = (message.headers or {}).get(EVENT_TYPE_HEADER, "")
        if not event_type:
            raise PoisonMessage(f"no {EVENT_TYPE_HEADER} header on {message.subject}")
        check_authenticity(message, event_type)
        route = self._routes.get(event_type)
        if route is None:
            return
        message_class, handle = route
        try:
            event = message_class.FromString(message.data)
        except DecodeError as exc:
            raise PoisonMessage(f"undecodable {event_type}: {exc}") from None
        await handle(event)


async def run_pull_consumer(
    js: JetStreamContext,
    *,
    stream: str,
    durable: str,
    filter_subject: str,
    handler: Handler,
    stop: asyncio.Event,
    batch: int = 50,
    ack_wait_seconds: float = 30,
    nak_delay_seconds: float = 2.0,
    max_nak_delay_seconds: float = 60.0,
) -> None:
    """Fetches and handles messages until `stop` is set. Each message is acked after
    its handler returns, so a crash redelivers it: handlers must be idempotent.

    A message whose handler fails is redelivered for as long as it takes (no delivery limit:
    an outage of the database must not drop events), with a delay doubling from
    `nak_delay_seconds` up to `max_nak_delay_seconds`; one that can never be handled
    (PoisonMessage: undecodable, malformed) is terminated and logged.

    A durable of the suite (DURABLES) is bound to as its producer created it (`ensure_streams`;
    `ack_wait_seconds` is then the producer's); any other is created here with this filter."""
    tracer = telemetry.tracer("prilavok.nats.consumer")
    config = None if _check_suite_durable(stream, durable, filter_subject) else consumer_config(
        durable, filter_subject, ack_wait_seconds)
    subscription = await _subscribe_when_ready(js, stream, durable, filter_subject, config, stop)
    if subscription is None:
        return
    try:
        while not stop.is_set():
            try:
                messages = await subscription.fetch(batch, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except NotFoundError:
                log.warning("consumer %s on %s is gone; binding it again once it exists", durable, stream)
                renewed = await _subscribe_when_ready(js, stream, durable, filter_subject, config, stop)
                if renewed is None:
                    return
                subscription = renewed
                continue
            except nats.errors.ConnectionClosedError:
                return
            for message in messages:
                with tracer.start_as_current_span(
                    f"consume {message.subject}",
                    context=telemetry.extract(message.headers or {}),
                    kind=trace.SpanKind.CONSUMER,
                    attributes={"messaging.system": "nats", "messaging.destination.name": message.subject},
                ):
                    await _handle_one(message, handler, nak_delay_seconds, max_nak_delay_seconds)
    finally:
        try:
            await subscription.unsubscribe()
        except Exception:  # noqa: BLE001 - the connection may already be closing
            pass


def _check_suite_durable(stream: str, durable: str, filter_subject: str) -> bool:
    """True if `durable` is one of the suite's; raises ValueError if it is, but on another
    stream or with another filter than DURABLES says (its producer creates it that way)."""
    known = suite_durable(durable)
    if known is None:
        return False
    prefix = filter_subject.split(".", 1)[0]
    if (stream, filter_subject) != (stream_name(prefix, known.producer), known.filter_subject(prefix)):
        raise ValueError(f"durable {durable} reads {known.producer}'s stream filtered to <prefix>.{known.producer}.{known.tail} "
                         f"(prilavok_platform.nats.DURABLES), not {stream} filtered to {filter_subject}")
    return True


async def _subscribe_when_ready(
    js: JetStreamContext, stream: str, durable: str, filter_subject: str, config: ConsumerConfig | None, stop: asyncio.Event
) -> JetStreamContext.PullSubscription | None:
    """Binds to the durable consumer, waiting while it does not exist yet: each producer creates
    its own stream and the suite's durables on it (`config` None), and a consumer may start
    first; a durable of no producer's (tests, tools: `config` given) is created here once its
    stream exists. Other failures (the server unreachable, a permission refused: the request
    times out) are retried with a growing delay and logged, so a misconfigured account shows in
    the log instead of a silent consumer. Returns None if `stop` is set first."""
    failures = 0
    while not stop.is_set():
        try:
            if config is not None:
                return await js.pull_subscribe(filter_subject, durable=durable, stream=stream, config=config)
            await js.consumer_info(stream, durable)
            return await js.pull_subscribe_bind(durable=durable, stream=stream)
        except NotFoundError:
            if failures % 20 == 0:
                log.info("consumer %s waits for its producer to create %s", durable,
                         stream if config is not None else f"the durable on {stream}")
            delay = STREAM_WAIT_SECONDS
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError, APIError) as exc:
            log.warning("consumer %s on %s cannot be bound (%r); retrying (is the service allowed to read it?)",
                        durable, stream, exc)
            delay = min(10.0, STREAM_WAIT_SECONDS * 2 ** min(failures, 5))
        failures += 1
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            pass
    return None


def redelivery_delay(deliveries: int, base: float, cap: float) -> float:
    """Seconds before the next delivery after `deliveries` failed ones: doubling, capped."""
    return float(min(cap, base * 2 ** min(max(deliveries - 1, 0), 30)))


def _deliveries(message: Msg) -> int:
    try:
        return int(message.metadata.num_delivered or 1)
    except Exception:  # noqa: BLE001 - not a JetStream message (tests): first delivery
        return 1


async def _handle_one(message: Msg, handler: Handler, nak_delay: float, max_nak_delay: float) -> None:
    try:
        await handler(message)
    except PoisonMessage as exc:
        log.error("poison message on %s terminated: %s", message.subject, exc)
        await message.term()
    except Exception as exc:  # noqa: BLE001 - transient or unknown: redeliver until it succeeds
        deliveries = _deliveries(message)
        delay = redelivery_delay(deliveries, nak_delay, max_nak_delay)
        if isinstance(exc, TransientError):
            log.warning("transient failure on %s (delivery %d), redelivering in %.1fs: %s", message.subject, deliveries, delay, exc)
        else:
            log.exception("handler failed on %s (delivery %d); redelivering in %.1fs", message.subject, deliveries, delay)
        await message.nak(delay=delay)
    else:
        await message.ack()
