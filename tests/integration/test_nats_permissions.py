"""NATS accounts and permissions against a real nats-server (devstack/nats_config.py): nobody
connects anonymously; each service's user publishes only its own events and reads only its own
durables of the streams it needs; a forged event on another producer's subject is refused by the
server; no reader reaches a producer's JetStream API, neither directly nor through the reply
subject of a pull, nor another service's durable. The Kubernetes configuration
(deploy/kubernetes/nats.conf) is started and checked too."""
from __future__ import annotations

import asyncio
import json
import os
import pathlib
import shutil
import subprocess
import time

import nats
import pytest
from nats.js.api import StreamConfig

from devstack.nats_config import (
    KUBERNETES_MONITOR_PORT,
    KUBERNETES_STORE,
    SERVICES,
    TEST_USER,
    NatsAccounts,
    admin_user,
    new_password,
    password_variable,
)
from devstack.processes import free_port, port_is_open, spawn, tool, wait_for
from prilavok.moderation.v1 import events_pb2 as moderation_events
from prilavok_platform import nats as platform_nats

pytestmark = pytest.mark.integration
# A request the server refuses is never answered: the client gives up after this long.
REFUSED = 0.5

KUBERNETES_CONFIG = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "nats.conf"
# What each service pulls in the suite: (producer, durable, subjects below the producer).
NEEDS = {service: [(d.producer, d.name, d.tail) for d in platform_nats.DURABLES if d.consumer == service] for service in SERVICES}


class Client:
    """A connection as one user, collecting the errors the server reports asynchronously."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: nats.aio.client.Client | None = None

    async def connect(self, address: str, user: str, password: str) -> Client:
        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc))

        self.nc = await nats.connect(address, user=user, password=password, inbox_prefix=platform_nats.inbox_prefix(user),
                                     error_cb=on_error, allow_reconnect=False, connect_timeout=2)
        return self

    def js(self, timeout: float = 5.0):
        assert self.nc is not None
        return self.nc.jetstream(timeout=timeout)

    async def refused(self, subject: str, timeout: float = 2.0) -> bool:
        """Waits for the server's permissions violation naming `subject`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any("permissions violation" in e.lower() and subject.lower() in e.lower() for e in self.errors):
                return True
            await asyncio.sleep(0.02)
        return False

    async def close(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()


@pytest.fixture
async def world(infra):
    """(prefix, as_user, admin): `admin(producer)` is the tests' unlimited user in that
    producer's account. The suite's streams are deleted before and after."""
    prefix, address, accounts = infra["permissions_prefix"], infra["nats_address"], infra["nats_accounts"]
    clients: list[Client] = []

    async def as_user(user: str) -> Client:
        client = await Client().connect(address, user, accounts.passwords[user])
        clients.append(client)
        return client

    admins = {producer: await as_user(admin_user(producer)) for producer in platform_nats.PRODUCERS}

    async def delete_streams() -> None:
        for producer, admin in admins.items():
            try:
                await admin.js().delete_stream(platform_nats.stream_name(prefix, producer))
            except nats.js.errors.NotFoundError:
                pass

    await delete_streams()
    yield prefix, as_user, admins.__getitem__
    await delete_streams()
    for client in clients:
        await client.close()


async def _stream_messages(admin, prefix: str, producer: str) -> int:
    info = await admin(producer).js().stream_info(platform_nats.stream_name(prefix, producer))
    return info.state.messages


async def test_anonymous_and_wrong_password_connections_are_refused(infra):
    for credentials in ({}, {"user": "chat", "password": "not-the-password"}, {"user": "nobody", "password": "x"}):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(infra["nats_address"], allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **credentials)


async def test_a_review_resolved_event_forged_by_the_chat_user_is_refused_by_the_server(world):
    prefix, as_user, admin = world
    moderation, chat = await as_user("moderation"), await as_user("chat")
    await platform_nats.ensure_streams(moderation.js(), platform_nats.own_streams(prefix, "moderation"))
    forged = moderation_events.ReviewResolved(event_id="forged-1")
    subject = platform_nats.subject(prefix, "moderation", "review", "resolved")
    headers = platform_nats.event_headers(forged, "moderation")
    observer = admin("moderation").nc
    assert observer is not None and chat.nc is not None
    watcher = await observer.subscribe(f"{prefix}.moderation.>")

    await chat.nc.publish(subject, forged.SerializeToString(), headers=headers)  # plain publish
    await chat.nc.flush()
    assert await chat.refused(subject), chat.errors
    with pytest.raises(nats.errors.TimeoutError):
        await watcher.next_msg(timeout=0.3)
    with pytest.raises(nats.errors.TimeoutError):  # JetStream publish: refused, so never acknowledged
        await chat.js().publish(subject, forged.SerializeToString(), headers={**headers, "Nats-Msg-Id": "forged-2"}, timeout=REFUSED)
    assert await _stream_messages(admin, prefix, "moderation") == 0, "nothing reached moderation's stream"
    # Nor may chat touch moderation's stream itself.
    stream = platform_nats.stream_name(prefix, "moderation")
    with pytest.raises(nats.errors.TimeoutError):
        await chat.js(REFUSED).add_stream(StreamConfig(name=stream, subjects=[f"{prefix}.moderation.>", f"{prefix}.elsewhere"]))
    with pytest.raises(nats.errors.TimeoutError):
        await chat.js(REFUSED).purge_stream(stream)
    assert await chat.refused(f"$JS.API.STREAM.CREATE.{stream}") and await chat.refused(f"$JS.API.STREAM.PURGE.{stream}")


async def test_the_notify_user_publishes_no_event_and_creates_no_stream(world):
    prefix, as_user, admin = world
    notify = await as_user("notify")
    assert notify.nc is not None
    subjects = [platform_nats.subject(prefix, producer, "anything", "at_all") for producer in (*platform_nats.PRODUCERS, "notify")]
    for subject in subjects:
        await notify.nc.publish(subject, b"forged", headers=platform_nats.event_headers(moderation_events.PenaltyIssued, "moderation"))
    await notify.nc.flush()
    for subject in subjects:
        assert await notify.refused(subject), f"notify published on {subject}: {notify.errors}"
    for name in ("NOTIFY", "CHAT"):
        with pytest.raises(nats.errors.TimeoutError):
            await notify.js(REFUSED).add_stream(StreamConfig(name=f"{prefix}_{name}".upper(), subjects=[f"{prefix}.{name.lower()}.>"]))
    # Its only publication is the in-app fan-out among its own replicas, outside every stream.
    fanout = f"{prefix}.inapp.notification"
    listener = await notify.nc.subscribe(fanout)
    await notify.nc.publish(fanout, b"n1")
    assert (await listener.next_msg(timeout=2)).data == b"n1"


PUBLISHED = {"chat": ["message.delivered"], "moderation": ["review.resolved", "penalty.issued", "standing.changed", "appeal.resolved"],
             "returns": ["claim.opened"]}


def _matches(tail: str, event: str) -> bool:
    return tail == ">" or event == tail or (tail.endswith(".>") and event.startswith(tail[:-1]))


async def test_only_notify_reaches_its_in_app_fan_out(world, infra):
    """`<prefix>.inapp.notification` exists in notify's account alone: another service's user is
    refused it, and even a user without limits in another account (tests only) reaches no notify
    replica, so the fan-out (services/notify/adapters/fanout.py) hears only notify."""
    prefix, as_user, _ = world
    fanout = f"{prefix}.inapp.notification"
    notify = await as_user("notify")
    assert notify.nc is not None
    listener = await notify.nc.subscribe(fanout)
    await notify.nc.flush()
    for other in ("chat", "moderation", "returns"):
        client = await as_user(other)
        assert client.nc is not None
        await client.nc.publish(fanout, f"forged by {other}".encode())
        await client.nc.flush()
        assert await client.refused(fanout), f"{other} published on the fan-out: {client.errors}"
    for unlimited in (admin_user("chat"), TEST_USER):
        client = await Client().connect(infra["nats_address"], unlimited, infra["nats_accounts"].passwords[unlimited])
        assert client.nc is not None
        await client.nc.publish(fanout, f"forged by {unlimited}".encode())
        await client.nc.flush()
        await client.close()
    await notify.nc.publish(fanout, b"from a notify replica")
    assert (await listener.next_msg(timeout=2)).data == b"from a notify replica", "nothing else came before it"
    with pytest.raises(nats.errors.TimeoutError):
        await listener.next_msg(timeout=0.3)


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_publishes_its_own_events_and_consumes_the_streams_it_needs(world, service):
    prefix, as_user, admin = world
    for producer, events in PUBLISHED.items():  # every producer creates its own stream and publishes on it
        client = await as_user(producer)
        await platform_nats.ensure_streams(client.js(), platform_nats.own_streams(prefix, producer))
        await platform_nats.ensure_streams(client.js(), platform_nats.own_streams(prefix, producer))  # again: update
        for event in events:
            await platform_nats.EventPublisher(client.js()).publish(
                platform_nats.subject(prefix, producer, *event.split(".")), event.encode(), f"{producer}-{event}")
    expected = {(producer, durable): [e.encode() for e in PUBLISHED[producer] if _matches(tail, e)] for producer, durable, tail in NEEDS[service]}
    me = await as_user(service)
    got: dict[tuple[str, str], list[bytes]] = {key: [] for key in expected}
    stop, done = asyncio.Event(), asyncio.Event()

    async def consume(producer: str, durable: str, tail: str) -> None:
        async def handler(msg):
            got[(producer, durable)].append(msg.data)
            if got == expected:
                done.set()

        await platform_nats.run_pull_consumer(me.js(), stream=platform_nats.stream_name(prefix, producer), durable=durable,
                                              filter_subject=platform_nats.subject(prefix, producer, *tail.split(".")),
                                              handler=handler, stop=stop)

    tasks = [asyncio.create_task(consume(*need)) for need in NEEDS[service]]
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert got == expected
    for producer, durable, _ in NEEDS[service]:
        info = await admin(producer).js().consumer_info(platform_nats.stream_name(prefix, producer), durable)
        assert info.num_ack_pending == 0 and info.num_pending == 0, f"{service} acknowledged what it read from {producer}"
    assert not me.errors, me.errors


@pytest.mark.parametrize(("service", "stream_of"), [("returns", "chat"), ("chat", "returns"), ("moderation", "returns")])
async def test_a_service_cannot_read_a_stream_it_does_not_need(world, service, stream_of):
    prefix, as_user, admin = world
    producer = await as_user(stream_of)
    await platform_nats.ensure_streams(producer.js(), platform_nats.own_streams(prefix, stream_of))
    me = await as_user(service)
    stream = platform_nats.stream_name(prefix, stream_of)
    with pytest.raises(nats.errors.TimeoutError):
        await me.js(REFUSED).pull_subscribe(f"{prefix}.{stream_of}.>", durable=f"{service}-snoop", stream=stream)
    assert await me.refused(f"$JS.API.CONSUMER.INFO.{stream}")
    assert me.nc is not None
    await me.nc.subscribe(f"{prefix}.{stream_of}.>")  # nor listen to its events on core NATS
    await me.nc.subscribe("_INBOX.notify.>")  # nor to another service's replies
    assert await me.refused(f"subscription to \"{prefix}.{stream_of}.>\"") and await me.refused('subscription to "_INBOX.notify.>"')


async def _streams_of_every_producer(prefix: str, as_user, events: dict[str, list[str]]) -> None:
    """Each producer creates its stream (and its readers' durables) and publishes `events`."""
    for producer in platform_nats.PRODUCERS:
        client = await as_user(producer)
        await platform_nats.ensure_streams(client.js(), platform_nats.own_streams(prefix, producer))
        for n, event in enumerate(events.get(producer, [])):
            await platform_nats.EventPublisher(client.js()).publish(
                platform_nats.subject(prefix, producer, *event.split(".")), event.encode(), f"{producer}-{n}")


async def _stream_exists(admin, prefix: str, producer: str) -> bool:
    try:
        await _stream_messages(admin, prefix, producer)
    except nats.js.errors.NotFoundError:
        return False
    return True


@pytest.mark.parametrize(("service", "durable"), [("returns", "returns-moderation-penalties"), ("notify", "notify-moderation"),
                                                  ("chat", "chat-appeal-resolved")])
async def test_a_pull_whose_reply_subject_is_a_jetstream_request_purges_or_deletes_nothing(world, service, durable):
    """The server answers a pull (here: nothing to deliver, a status message) on the request's
    reply subject, with its own rights. A reader naming a purge or a delete as that reply must
    not reach the producer's stream, another producer's, or its own."""
    prefix, as_user, admin = world
    await _streams_of_every_producer(prefix, as_user, {"moderation": ["review.created"] * 3, "chat": ["message.sent"] * 2,
                                                       "returns": ["claim.opened"]})
    before = {p: await _stream_messages(admin, prefix, p) for p in platform_nats.PRODUCERS}
    assert before == {"chat": 2, "moderation": 3, "returns": 1}
    me = await as_user(service)
    assert me.nc is not None
    pull = f"$JS.API.CONSUMER.MSG.NEXT.{platform_nats.stream_name(prefix, 'moderation')}.{durable}"
    for producer in platform_nats.PRODUCERS:
        for request in ("PURGE", "DELETE"):
            reply = f"$JS.API.STREAM.{request}.{platform_nats.stream_name(prefix, producer)}"
            await me.nc.publish(pull, json.dumps({"batch": 1, "no_wait": True}).encode(), reply=reply)
    await me.nc.flush()
    await asyncio.sleep(0.5)
    assert {p: await _stream_exists(admin, prefix, p) for p in platform_nats.PRODUCERS} == dict.fromkeys(platform_nats.PRODUCERS, True)
    assert {p: await _stream_messages(admin, prefix, p) for p in platform_nats.PRODUCERS} == before
    assert not me.errors, "the pull itself is the reader's own"


async def test_a_pull_whose_reply_subject_is_another_producers_event_forges_nothing(world):
    """A message pulled is delivered to the pull's reply subject: a reader naming a subject of a
    producer there would have the server (with its rights) publish the message in that
    producer's name. Chat writes an event dressed as moderation's on its own subject; notify
    pulls it with moderation's review.resolved as reply: moderation's stream stays empty."""
    prefix, as_user, admin = world
    await _streams_of_every_producer(prefix, as_user, {})
    chat, notify = await as_user("chat"), await as_user("notify")
    forged = moderation_events.ReviewResolved(event_id="forged-1")
    await platform_nats.EventPublisher(chat.js()).publish(platform_nats.subject(prefix, "chat", "message", "sent"),
                                                          forged.SerializeToString(), "f1", platform_nats.event_headers(forged, "moderation"))
    assert notify.nc is not None
    pull = f"$JS.API.CONSUMER.MSG.NEXT.{platform_nats.stream_name(prefix, 'chat')}.notify-chat"
    await notify.nc.publish(pull, json.dumps({"batch": 1}).encode(), reply=platform_nats.subject(prefix, "moderation", "review", "resolved"))
    await notify.nc.flush()
    await asyncio.sleep(0.5)
    assert await _stream_messages(admin, prefix, "moderation") == 0


@pytest.mark.parametrize(("thief", "victim_durable"), [("returns", "chat-standing-changed"), ("notify", "chat-standing-changed"),
                                                       ("chat", "returns-moderation-penalties"), ("notify", "moderation-chat-messages")])
async def test_a_service_can_neither_pull_from_nor_change_another_services_durable(world, thief, victim_durable):
    prefix, as_user, admin = world
    victim = platform_nats.suite_durable(victim_durable)
    assert victim is not None
    await _streams_of_every_producer(prefix, as_user, {victim.producer: [victim.tail.replace(">", "x")]})
    stream = platform_nats.stream_name(prefix, victim.producer)
    me = await as_user(thief)
    assert me.nc is not None
    with pytest.raises(nats.errors.TimeoutError):
        await me.js(REFUSED).consumer_info(stream, victim_durable)
    subscription = await me.js(REFUSED).pull_subscribe_bind(durable=victim_durable, stream=stream)
    with pytest.raises(nats.errors.TimeoutError):
        await subscription.fetch(1, timeout=REFUSED)
    with pytest.raises(nats.errors.TimeoutError):  # re-pointing it at nothing (a filter matching no event)
        await me.js(REFUSED).add_consumer(stream, platform_nats.consumer_config(victim_durable, f"{prefix}.{victim.producer}.nothing"))
    with pytest.raises(nats.errors.TimeoutError):  # nor a durable of its own making on that stream
        await me.js(REFUSED).add_consumer(stream, platform_nats.consumer_config(f"{thief}-extra", f"{prefix}.{victim.producer}.>"))
    assert await me.refused(f"$JS.API.CONSUMER.CREATE.{stream}.{victim_durable}")
    assert await me.refused(f"CONSUMER.INFO.{stream}.{victim_durable}") and await me.refused(f"CONSUMER.MSG.NEXT.{stream}.{victim_durable}")
    info = await admin(victim.producer).js().consumer_info(stream, victim_durable)
    assert (info.config.filter_subject, info.num_pending, info.num_ack_pending) == (victim.filter_subject(prefix), 1, 0)
    # Its owner still reads it.
    owner = await as_user(victim.consumer)
    [message] = await (await owner.js().pull_subscribe_bind(durable=victim_durable, stream=stream)).fetch(1, timeout=5)
    await message.ack()
    assert not owner.errors


async def test_the_kubernetes_configuration_refuses_anonymous_and_forged_publishes(tmp_path):
    passwords = {service: f"k8s-{service}-secret" for service in SERVICES}
    port, monitor = free_port(), free_port()
    env = {**os.environ, **{password_variable(s): p for s, p in passwords.items()}}
    # The shipped file, but listening here and storing in a temporary directory.
    text = KUBERNETES_CONFIG.read_text()
    for shipped, here in ((KUBERNETES_STORE, str(tmp_path / "store")), ('"0.0.0.0:4222"', f'"127.0.0.1:{port}"'),
                          (f"http_port: {KUBERNETES_MONITOR_PORT}", f"http_port: {monitor}")):
        assert shipped in text
        text = text.replace(shipped, here)
    config = tmp_path / "nats.conf"
    config.write_text(text)
    server = spawn("nats-k8s", [tool("nats-server"), "-c", str(config)], tmp_path / "nats.log", env)
    try:
        wait_for(lambda: port_is_open("127.0.0.1", port), "nats-server (Kubernetes configuration)", server, 20)
        address = f"nats://127.0.0.1:{port}"
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(address, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)
        accounts = NatsAccounts(("prilavok",), passwords)
        moderation = await Client().connect(address, "moderation", accounts.passwords["moderation"])
        chat = await Client().connect(address, "chat", accounts.passwords["chat"])
        try:
            await platform_nats.ensure_streams(moderation.js(), platform_nats.own_streams("prilavok", "moderation"))
            ack = await moderation.js().publish("prilavok.moderation.review.resolved", b"real", headers={"Nats-Msg-Id": "r1"})
            assert ack.stream == "PRILAVOK_MODERATION"
            with pytest.raises(nats.errors.TimeoutError):
                await chat.js(REFUSED).publish("prilavok.moderation.review.resolved", b"forged", headers={"Nats-Msg-Id": "f1"})
            assert await chat.refused("prilavok.moderation.review.resolved")
        finally:
            await moderation.close()
            await chat.close()
    finally:
        server.stop()


# Hex passwords that nats-server 2.9 to 2.12 parse as a number when they come from the environment.
NUMBER_LIKE = ["1e5a" + "4f" * 30, "590e3a1a" + "0c" * 28, "7e06abf4a9012c3187456d4b084a09b6b85ef8a76608756a9eaa6f60e5f2a606"]


def _nats_servers() -> list[str]:
    """The project's nats-server and any other on PATH (an older one shows what the recipe avoids)."""
    found = [tool("nats-server"), *(shutil.which("nats-server", path=d) or "" for d in os.environ.get("PATH", "").split(os.pathsep))]
    unique: dict[str, str] = {}
    for binary in found:
        if binary:
            unique.setdefault(os.path.realpath(binary), binary)
    return list(unique.values())


def _config_test(binary: str, config: pathlib.Path, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **{password_variable(s): password for s in SERVICES}}
    return subprocess.run([binary, "-t", "-c", str(config)], env=env, capture_output=True, text=True, timeout=30)


def test_the_kubernetes_configuration_takes_every_password_the_documented_recipe_makes(tmp_path):
    """`password: $PRILAVOK_NATS_<SERVICE>_PASSWORD`: the server parses the value as configuration.
    The recipe's passwords (a letter, then hex) pass `nats-server -t` on every server at hand,
    those that would be numbers among them; a bare hex one that some server refuses shows why."""
    config = tmp_path / "nats.conf"
    config.write_text(KUBERNETES_CONFIG.read_text().replace(KUBERNETES_STORE, str(tmp_path / "store")))
    passwords = ["p" + bare for bare in NUMBER_LIKE] + [new_password() for _ in range(20)]
    for binary in _nats_servers():
        for password in passwords:
            checked = _config_test(binary, config, password)
            assert checked.returncode == 0, f"{binary} refused the password {password}: {checked.stdout}{checked.stderr}"
        refused = [bare for bare in NUMBER_LIKE if _config_test(binary, config, bare).returncode != 0]
        assert refused in ([], NUMBER_LIKE), f"{binary}: a server misparses all of them or none ({refused})"
