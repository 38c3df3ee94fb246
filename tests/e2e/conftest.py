"""One running suite (four service processes) shared by every end-to-end test."""
from __future__ import annotations

import time
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devstack.suite import Suite, SuiteConfig, free_ports
from prilavok.chat.v1 import chat_pb2_grpc
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok.notify.v1 import notify_pb2_grpc
from prilavok.returns.v1 import returns_pb2_grpc
from prilavok_cli.client import As, mint
from prilavok_platform.auth import Role

BUYER = As(Role.BUYER, "buyer-1")
SELLER = As(Role.SELLER, "seller-user-1", "shop-1")
SERVICE = As(Role.SERVICE, "orders")


@pytest.fixture(scope="session")
def suite(infra, tmp_path_factory):
    # The services connect as their own NATS users, whose permissions name this prefix; a test
    # that publishes in a producer's name connects as that producer (suite.nats_client_url).
    prefix = infra["e2e_prefix"]
    config = SuiteConfig(
        state_dir=tmp_path_factory.mktemp("suite"), ports=free_ports(), mongodb_uri=infra["mongodb_uri"],
        nats_url=infra["nats_url"], nats_accounts=infra["nats_accounts"], subject_prefix=prefix, database_prefix=prefix,
        durable=False,
    )
    running = Suite(config)
    running.start(timeout=90)
    yield running
    codes = running.stop()
    for name in ("chat", "moderation", "returns", "notify"):
        assert codes[name] == 0, f"{name} exited with {codes[name]}"
        log = (config.state_dir / "logs" / f"{name}.log").read_text()
        assert "Traceback" not in log, f"{name} logged a traceback:\n{log[log.index('Traceback') - 300:][:4000]}"


def md(who: As):
    return [("authorization", f"Bearer {mint(who)}")]


@pytest.fixture(scope="session")
def stubs(suite):
    channels = {name: grpc.insecure_channel(suite.address(name)) for name in ("chat", "moderation", "returns", "notify")}
    yield {
        "chat": chat_pb2_grpc.ChatServiceStub(channels["chat"]),
        "moderation": moderation_pb2_grpc.ModerationServiceStub(channels["moderation"]),
        "returns": returns_pb2_grpc.ReturnsServiceStub(channels["returns"]),
        "notify": notify_pb2_grpc.NotifyServiceStub(channels["notify"]),
        "channels": channels,
    }
    for channel in channels.values():
        channel.close()


def field_violations(error: grpc.RpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    out = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.update({v.field: v.description for v in bad.field_violations})
    return out


def eventually(fetch, predicate, timeout=15.0, what=""):
    """Polls `fetch` until `predicate` holds and returns that value; on timeout it fails the
    test, showing what was last seen (events arrive asynchronously over NATS)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            shown = str(value)
            raise AssertionError(
                f"{what or 'condition'} not reached within {timeout:.0f} s; last value:\n{shown[:3000]}"
            )
        time.sleep(0.1)


def fresh(role: Role, name: str) -> As:
    """An identity no other test uses, so strikes, standings and inboxes never leak between tests."""
    suffix = uuid.uuid4().hex[:8]
    if role is Role.SELLER:
        return As(role, f"{name}-{suffix}", f"shop-{suffix}")
    return As(role, f"{name}-{suffix}")


