"""Shared fixtures: real nats-server and SecantusDB processes for the whole session
(started once, unless NATS_URL / MONGODB_URI point at existing ones), and per-test
isolation by database name and subject prefix."""
from __future__ import annotations

import os
import uuid

import pytest

from devstack.processes import start_mongo, start_nats


@pytest.fixture(scope="session")
def infra(tmp_path_factory):
    root = tmp_path_factory.mktemp("infra")
    started = []
    nats_url = os.environ.get("NATS_URL", "")
    mongodb_uri = os.environ.get("MONGODB_URI", "")
    if not nats_url:
        nats = start_nats(root, root / "logs")
        started.append(nats)
        nats_url = nats.address
    if not mongodb_uri:
        mongo = start_mongo(":memory:", root / "logs", durable=False)
        started.append(mongo)
        mongodb_uri = mongo.address
    yield {"nats_url": nats_url, "mongodb_uri": mongodb_uri}
    for process in reversed(started):
        process.stop()


@pytest.fixture
def unique() -> str:
    """A name no other test uses: database names and subject prefixes."""
    return "t" + uuid.uuid4().hex[:12]
