"""A process SIGKILLed inside a transaction stalls nothing but its own documents, and those only
for the server's transaction lifetime; our own transactions are bounded instead of retrying for
pymongo's 120 s; a database that is away, killed or frozen is told as such (UNAVAILABLE), never as
a conflict. Against the embedded MongoDB as devstack starts it (devstack.mongo_server)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from devstack.processes import free_port, start_mongo
from prilavok_platform import mongo
from prilavok_platform.errors import Aborted, Unavailable

pytestmark = pytest.mark.integration

LIFETIME = 2.0  # devstack's default is 5 s; shorter here to keep the test quick

# A writer that opens a transaction, writes document A and is killed before it commits.
CHILD = """
import sys, time
from pymongo import MongoClient
client = MongoClient(sys.argv[1])
docs = client[sys.argv[2]]["docs"]
with client.start_session() as session:
    session.start_transaction()
    docs.update_one({"_id": "A"}, {"$set": {"by": "crashed writer"}}, session=session)
    print("written", flush=True)
    time.sleep(600)
"""


@pytest.fixture(scope="module")
def mongodb_uri(tmp_path_factory):
    server = start_mongo(":memory:", tmp_path_factory.mktemp("lifetime") / "logs", transaction_lifetime_seconds=LIFETIME)
    yield server.address
    server.stop()


def _crash_inside_a_transaction(uri: str, database: str) -> float:
    """Runs CHILD until it has written A, SIGKILLs it; returns when A was written."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, uri, database], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "written"
        written = time.monotonic()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    return written


def _writer(client, database: str, doc_id: str, attempts: list[str]):
    async def work(session):
        attempts.append(doc_id)
        await client[database]["docs"].update_one({"_id": doc_id}, {"$set": {"by": "survivor"}}, session=session)
    return work


async def test_a_killed_transaction_blocks_only_its_documents_and_only_for_the_lifetime(mongodb_uri, unique):
    client = mongo.create_client(mongodb_uri, "lifetime-test")
    try:
        await client[unique]["docs"].insert_many([{"_id": "A", "by": "nobody"}, {"_id": "B", "by": "nobody"}])
        written = _crash_inside_a_transaction(mongodb_uri, unique)
        attempts: list[str] = []

        started = time.monotonic()
        await mongo.in_transaction(client, _writer(client, unique, "B", attempts))
        unrelated = time.monotonic() - started
        assert unrelated < 1.0, f"a write to another document took {unrelated:.2f} s"

        started = time.monotonic()
        with pytest.raises(Aborted) as refused:  # A is still held: a bounded transaction gives up, retryable
            await mongo.in_transaction(client, _writer(client, unique, "A", attempts), timeout_seconds=0.5)
        assert refused.value.reason == "TRANSACTION_CONFLICT" and int(refused.value.metadata["attempts"]) > 1
        assert time.monotonic() - started < 1.5, "bounded, not pymongo's 120 s"

        await mongo.in_transaction(client, _writer(client, unique, "A", attempts), timeout_seconds=LIFETIME + 3)
        freed = time.monotonic() - written
        assert LIFETIME - 0.2 <= freed <= LIFETIME + 2, f"A was written again {freed:.2f} s after the crash (lifetime {LIFETIME} s)"
        docs = {d["_id"]: d["by"] async for d in client[unique]["docs"].find({})}
        assert docs == {"A": "survivor", "B": "survivor"}, "the killed writer's change was rolled back, never committed"
    finally:
        await client.drop_database(unique)
        await client.close()


async def test_a_write_outside_transactions_waits_for_the_lifetime_not_for_a_minute(mongodb_uri, unique):
    """The server itself holds a plain write to a document a dead transaction wrote until it reaps
    that transaction: the launcher's lifetime and sweep bound that wait."""
    client = mongo.create_client(mongodb_uri, "lifetime-test")
    try:
        await client[unique]["docs"].insert_one({"_id": "A", "by": "nobody"})
        written = _crash_inside_a_transaction(mongodb_uri, unique)
        await client[unique]["docs"].update_one({"_id": "A"}, {"$set": {"by": "survivor"}})
        waited = time.monotonic() - written
        assert LIFETIME - 0.2 <= waited <= LIFETIME + 2, f"the plain write went through {waited:.2f} s after the crash"
        assert (await client[unique]["docs"].find_one({"_id": "A"}))["by"] == "survivor"
    finally:
        await client.drop_database(unique)
        await client.close()


def _two_writes(client, database: str, between=lambda: None):
    async def work(session):
        await client[database]["docs"].update_one({"_id": "x"}, {"$inc": {"n": 1}}, upsert=True, session=session)
        between()
        await client[database]["docs"].update_one({"_id": "y"}, {"$inc": {"n": 1}}, upsert=True, session=session)
    return work


async def test_a_database_nobody_listens_on_is_unavailable_not_a_conflict(unique):
    client = mongo.create_client(f"mongodb://127.0.0.1:{free_port()}/?directConnection=true", "lifetime-test")
    try:
        with pytest.raises(Unavailable) as refused:
            await mongo.in_transaction(client, _two_writes(client, unique), timeout_seconds=1.0)
        assert refused.value.reason == "DATABASE_UNAVAILABLE"
    finally:
        await client.close()


@pytest.mark.parametrize(("signal_sent", "reason"), [(signal.SIGKILL, "DATABASE_UNAVAILABLE"), (signal.SIGSTOP, "DATABASE_TIMEOUT")])
async def test_a_database_killed_or_frozen_inside_a_transaction_is_unavailable_not_a_conflict(tmp_path, unique, signal_sent, reason):
    """The server dies (connections reset, then refused) or stops answering between two writes
    of one transaction: the client is told to retry later, not that its change conflicted."""
    server = start_mongo(":memory:", tmp_path / "logs", transaction_lifetime_seconds=LIFETIME)
    client = mongo.create_client(server.address, "lifetime-test")
    try:
        await mongo.in_transaction(client, _two_writes(client, unique))  # healthy: it commits
        with pytest.raises(Unavailable) as refused:
            await mongo.in_transaction(client, _two_writes(client, unique, lambda: server.process.send_signal(signal_sent)),
                                       timeout_seconds=1.5)
        assert refused.value.reason == reason
    finally:
        if signal_sent == signal.SIGSTOP:
            server.process.send_signal(signal.SIGCONT)
        await client.close()
        server.stop()
