"""Consumers refuse an event whose producer header or type does not match its subject's producer
(EventDispatcher), and the outbox relay names its producer on every event it publishes."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from prilavok.chat.v1 import events_pb2 as chat_events
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok_platform.nats import (
    EVENT_TYPE_HEADER,
    PRODUCER_HEADER,
    EventDispatcher,
    PoisonMessage,
    event_headers,
    producer_of_event_type,
    producer_of_subject,
)
from prilavok_platform.outbox import OutboxRelay


@dataclass
class Msg:
    subject: str
    headers: dict[str, str] | None
    data: bytes = b""


def resolved(event_id: str = "e1") -> moderation_events.ReviewResolved:
    return moderation_events.ReviewResolved(event_id=event_id)


@pytest.fixture
def handled() -> list[str]:
    return []


@pytest.fixture
def dispatcher(handled) -> EventDispatcher:
    async def on_resolved(event: moderation_events.ReviewResolved) -> None:
        handled.append(event.event_id)

    return EventDispatcher().on(moderation_events.ReviewResolved, on_resolved)


async def test_an_event_from_its_producer_is_handled(dispatcher, handled):
    await dispatcher(Msg("p.moderation.review.resolved", event_headers(resolved(), "moderation"), resolved().SerializeToString()))
    assert handled == ["e1"]


@pytest.mark.parametrize(
    ("subject", "headers", "why"),
    [
        ("p.moderation.review.resolved", {EVENT_TYPE_HEADER: "prilavok.moderation.v1.ReviewResolved"}, "no Prilavok-Producer"),
        ("p.moderation.review.resolved", event_headers(resolved(), "chat"), "header names chat, subject moderation"),
        ("p.chat.review.resolved", event_headers(resolved(), "chat"), "a moderation type on chat's subject, header agreeing"),
        ("p.chat.review.resolved", event_headers(resolved(), "moderation"), "a moderation type and header on chat's subject"),
        ("p.moderation.review.resolved", {EVENT_TYPE_HEADER: "evil.moderation.v1.ReviewResolved", PRODUCER_HEADER: "moderation"},
         "a type outside the producer's package"),
        ("moderation", event_headers(resolved(), "moderation"), "a subject without a producer"),
    ],
)
async def test_a_forged_or_unsigned_event_is_poison_and_never_handled(dispatcher, handled, subject, headers, why):
    with pytest.raises(PoisonMessage):
        await dispatcher(Msg(subject, headers, resolved().SerializeToString()))
    assert handled == [], why


async def test_even_an_event_type_nobody_handles_is_checked(dispatcher):
    """A forged event is refused (terminated and logged), not quietly skipped as unwanted."""
    penalty = moderation_events.PenaltyIssued(event_id="x")
    await dispatcher(Msg("p.moderation.penalty.issued", event_headers(penalty, "moderation")))  # genuine: skipped
    with pytest.raises(PoisonMessage):
        await dispatcher(Msg("p.chat.penalty.issued", event_headers(penalty, "chat")))


def test_producers_are_read_from_subjects_and_type_packages():
    assert producer_of_subject("e2e1a2b.moderation.appeal.resolved") == "moderation"
    assert producer_of_subject("prilavok") == "" and producer_of_subject("p.chat") == ""
    assert producer_of_event_type(chat_events.MessageDelivered.DESCRIPTOR.full_name) == "chat"
    assert producer_of_event_type("prilavok.returns.v2.RefundIssued") == "returns"
    assert producer_of_event_type("prilavok.chat.ReviewResolved") == "" and producer_of_event_type("other.chat.v1.X") == ""


@dataclass
class RecordingPublisher:
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def publish(self, subject_name: str, payload: bytes, msg_id: str, headers: dict[str, str] | None = None) -> bool:
        self.sent.append((subject_name, dict(headers or {})))
        return True


class FakeCursor:
    def __init__(self, docs):
        self._docs = docs

    def sort(self, *args):
        return self

    def limit(self, n):
        return self

    def __aiter__(self):
        async def generate():
            for doc in self._docs:
                yield doc
        return generate()


class FakeOutbox:
    def __init__(self, docs):
        self.docs = docs
        self.deleted: list[str] = []

    def find(self, query):
        return FakeCursor(self.docs)

    async def delete_many(self, query):
        self.deleted += query["_id"]["$in"]


async def test_the_relay_stamps_its_producer_over_whatever_the_document_says():
    docs = [
        {"_id": "e1", "subject": "p.chat.message.delivered", "payload": b"", "headers": {EVENT_TYPE_HEADER: "prilavok.chat.v1.MessageDelivered"}},
        {"_id": "e2", "subject": "p.chat.thread.closed", "payload": b"", "headers": {PRODUCER_HEADER: "moderation"}},
    ]
    publisher, outbox = RecordingPublisher(), FakeOutbox(docs)
    relay = OutboxRelay(outbox, publisher, producer="chat")  # type: ignore[arg-type]
    assert await relay.publish_pending() == 2
    assert [headers[PRODUCER_HEADER] for _, headers in publisher.sent] == ["chat", "chat"]
    assert publisher.sent[0][1][EVENT_TYPE_HEADER] == "prilavok.chat.v1.MessageDelivered"
    assert outbox.deleted == ["e1", "e2"]
