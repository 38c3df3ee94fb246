"""JetStream streams, de-duplication, the pull consumer's ack/nak/term, and the outbox relay,
against a real nats-server and SecantusDB."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import nats
import pytest

from prilavok.chat.v1 import chat_pb2, events_pb2
from prilavok_platform import mongo
from prilavok_platform import nats as platform_nats
from prilavok_platform.outbox import OUTBOX_COLLECTION, OutboxRelay, outbox_document

pytestmark = pytest.mark.integration


@pytest.fixture
async def js(infra, unique):
    nc = await platform_nats.connect(infra["nats_url"], "test")
    jetstream = nc.jetstream()
    await platform_nats.ensure_streams(jetstream, platform_nats.suite_streams(unique))
    yield jetstream
    for spec in platform_nats.suite_streams(unique):
        await jetstream.delete_stream(spec.name)
    await nc.drain()


async def test_streams_are_created_once_and_updated_idempotently(js, unique):
    await platform_nats.ensure_streams(js, platform_nats.suite_streams(unique))
    info = await js.stream_info(platform_nats.stream_name(unique, "chat"))
    assert info.config.subjects == [f"{unique}.chat.>"]
    assert info.config.duplicate_window == platform_nats.DUPLICATE_WINDOW_SECONDS


async def test_publisher_deduplicates_by_message_id(js, unique):
    publisher = platform_nats.EventPublisher(js)
    subject = platform_nats.subject(unique, "chat", "message", "delivered")
    assert await publisher.publish(subject, b"x", "event-1") is True
    assert await publisher.publish(subject, b"x", "event-1") is False
    info = await js.stream_info(platform_nats.stream_name(unique, "chat"))
    assert info.state.messages == 1


async def _consume_until(js, unique, handler, done: asyncio.Event, filter_tail="message.>", nak_delay=0.1, max_nak_delay=60.0):
    stop = asyncio.Event()
    task = asyncio.create_task(platform_nats.run_pull_consumer(
        js, stream=platform_nats.stream_name(unique, "chat"), durable="test-consumer",
        filter_subject=platform_nats.subject(unique, "chat", filter_tail), handler=handler, stop=stop,
        nak_delay_seconds=nak_delay, max_nak_delay_seconds=max_nak_delay,
    ))
    try:
        await asyncio.wait_for(done.wait(), timeout=15)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_transient_failures_are_redelivered_and_poison_is_terminated(js, unique):
    publisher = platform_nats.EventPublisher(js)
    subject = platform_nats.subject(unique, "chat", "message", "delivered")
    await publisher.publish(subject, b"flaky", "e-flaky")
    await publisher.publish(subject, b"poison", "e-poison")
    await publisher.publish(subject, b"fine", "e-fine")
    seen: list[bytes] = []
    done = asyncio.Event()

    async def handler(msg):
        seen.append(msg.data)
        if msg.data == b"flaky" and seen.count(b"flaky") < 3:
            raise platform_nats.TransientError("database briefly away")
        if msg.data == b"poison":
            raise platform_nats.PoisonMessage("cannot decode")
        if seen.count(b"flaky") == 3 and b"fine" in seen:
            done.set()

    await _consume_until(js, unique, handler, done)
    assert seen.count(b"flaky") == 3 and seen.count(b"poison") == 1 and seen.count(b"fine") == 1
    consumer = await js.consumer_info(platform_nats.stream_name(unique, "chat"), "test-consumer")
    assert consumer.num_ack_pending == 0 and consumer.num_pending == 0


async def test_a_handler_failing_longer_than_any_delivery_limit_still_gets_the_event(js, unique):
    """An outage outlasting many redeliveries (a database away for minutes) must not drop the
    event: it is redelivered, with a growing delay, until the handler succeeds."""
    publisher = platform_nats.EventPublisher(js)
    await publisher.publish(platform_nats.subject(unique, "chat", "message", "held"), b"held", "e-held")
    attempts: list[int] = []
    done = asyncio.Event()

    async def handler(msg):
        attempts.append(msg.metadata.num_delivered)
        if len(attempts) < 30:
            raise RuntimeError("MongoDB is away")
        done.set()

    await _consume_until(js, unique, handler, done, nak_delay=0.005, max_nak_delay=0.02)
    assert attempts == list(range(1, 31)), "every redelivery came, past the old limit of 20"
    consumer = await js.consumer_info(platform_nats.stream_name(unique, "chat"), "test-consumer")
    assert consumer.num_ack_pending == 0 and consumer.num_pending == 0


def test_redelivery_delay_doubles_up_to_its_cap():
    assert [platform_nats.redelivery_delay(n, 2.0, 60.0) for n in (1, 2, 3, 5, 6, 40)] == [2.0, 4.0, 8.0, 32.0, 60.0, 60.0]


async def test_outbox_relay_publishes_in_order_deletes_and_survives_republishing(js, infra, unique):
    client = mongo.create_client(infra["mongodb_uri"], "test")
    db = client[unique]
    try:
        now = dt.datetime.now(dt.UTC)
        subject = platform_nats.subject(unique, "chat", "message", "delivered")
        docs = []
        for i in range(5):
            event = events_pb2.MessageDelivered(event_id=f"ev{i}", message=chat_pb2.Message(message_id=f"m{i}", text=f"текст {i}"))
            docs.append(outbox_document(subject, event, f"ev{i}", now + dt.timedelta(milliseconds=i)))
        await db[OUTBOX_COLLECTION].insert_many(docs)
        relay = OutboxRelay(db[OUTBOX_COLLECTION], platform_nats.EventPublisher(js), producer="chat")
        assert await relay.publish_pending() == 5
        assert await db[OUTBOX_COLLECTION].count_documents({}) == 0
        # A crash after publishing but before deleting republishes: JetStream drops the copies.
        await db[OUTBOX_COLLECTION].insert_many(docs[:2])
        assert await relay.publish_pending() == 2
        info = await js.stream_info(platform_nats.stream_name(unique, "chat"))
        assert info.state.messages == 5
        received: list[str] = []
        done = asyncio.Event()

        async def handler(msg):
            assert msg.headers[platform_nats.EVENT_TYPE_HEADER] == "prilavok.chat.v1.MessageDelivered"
            assert msg.headers[platform_nats.PRODUCER_HEADER] == "chat", "the relay names its producer"
            received.append(events_pb2.MessageDelivered.FromString(msg.data).message.message_id)
            if len(received) == 5:
                done.set()

        await _consume_until(js, unique, handler, done)
        assert received == [f"m{i}" for i in range(5)]
    finally:
        await client.drop_database(unique)
        await client.close()


async def test_a_consumer_started_before_its_stream_waits_for_the_producer_to_create_it(infra, unique):
    """Each producer creates only its own stream (its NATS user may create no other), so a
    consumer may start first: it waits, then reads everything the producer published."""
    nc = await platform_nats.connect(infra["nats_url"], "test-early-consumer")
    js = nc.jetstream()
    stream = platform_nats.stream_name(unique, "moderation")
    received: list[bytes] = []
    done, stop = asyncio.Event(), asyncio.Event()

    async def handler(msg):
        received.append(msg.data)
        done.set()

    task = asyncio.create_task(platform_nats.run_pull_consumer(
        js, stream=stream, durable="early", filter_subject=platform_nats.subject(unique, "moderation", ">"), handler=handler, stop=stop,
    ))
    try:
        await asyncio.sleep(0.6)
        assert not task.done(), "the consumer keeps waiting for the stream instead of failing"
        await platform_nats.ensure_streams(js, platform_nats.own_streams(unique, "moderation"))
        await platform_nats.EventPublisher(js).publish(platform_nats.subject(unique, "moderation", "review", "resolved"), b"r1", "e1")
        await asyncio.wait_for(done.wait(), timeout=10)
        assert received == [b"r1"]
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await js.delete_stream(stream)
        await nc.drain()


def test_only_producers_create_a_stream_and_only_their_own():
    assert [s.name for s in platform_nats.own_streams("p", "returns")] == ["P_RETURNS"]
    assert platform_nats.own_streams("p", "notify") == []


async def test_the_relay_creates_its_stream_and_durables_again_when_a_publish_finds_no_stream(infra, unique):
    """A producer's stream deleted while the service runs (by hand, by an operator): the next
    event published creates it again, with its readers' durables, instead of failing forever."""
    nc = await platform_nats.connect(infra["nats_url"], "test-deleted-stream")
    js = nc.jetstream()
    streams = platform_nats.own_streams(unique, "moderation")
    stream = platform_nats.stream_name(unique, "moderation")
    client = mongo.create_client(infra["mongodb_uri"], "test")
    outbox = client[unique][OUTBOX_COLLECTION]
    try:
        await platform_nats.ensure_streams(js, streams)
        relay = OutboxRelay(outbox, platform_nats.EventPublisher(js, streams), producer="moderation")
        subject = platform_nats.subject(unique, "moderation", "review", "resolved")
        now = dt.datetime.now(dt.UTC)
        await outbox.insert_one(outbox_document(subject, chat_pb2.Message(message_id="before"), "ev-before", now))
        assert await relay.publish_pending() == 1
        await js.delete_stream(stream)
        await outbox.insert_one(outbox_document(subject, chat_pb2.Message(message_id="after"), "ev-after", now))
        assert await relay.publish_pending() == 1
        assert await outbox.count_documents({}) == 0
        assert (await js.stream_info(stream)).state.messages == 1
        consumer = await js.consumer_info(stream, "chat-review-resolved")
        assert (consumer.config.filter_subject, consumer.num_pending) == (subject, 1), "the durables are back, with the event"
    finally:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream)
        await nc.drain()
        await client.drop_database(unique)
        await client.close()
