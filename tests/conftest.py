"""Shared fixtures: real nats-server and SecantusDB processes for the whole session
(SecantusDB started once unless MONGODB_URI points at an existing one), and per-test
isolation by database name and subject prefix.

NATS runs with the suite's accounts (devstack/nats_config.py), as under `make run`: no
anonymous access, one account per service. `infra["nats_url"]` carries the credentials of the
unlimited `test` user, in an account of its own, so tests may use any subject prefix (but see
none of the services' streams: `admin_user(<service>)` is unlimited inside that service's
account); the service users' permissions are written for two prefixes known up front, the
end-to-end suite's and the permission tests'."""
from __future__ import annotations

import os
import uuid

import pytest

from devstack.nats_config import TEST_USER, NatsAccounts
from devstack.processes import start_mongo, start_nats

SESSION = uuid.uuid4().hex[:8]
E2E_PREFIX = f"e2e{SESSION}"
PERMISSIONS_PREFIX = f"perm{SESSION}"


@pytest.fixture(scope="session")
def infra(tmp_path_factory):
    root = tmp_path_factory.mktemp("infra")
    started = []
    mongodb_uri = os.environ.get("MONGODB_URI", "")
    accounts = NatsAccounts.generate([E2E_PREFIX, PERMISSIONS_PREFIX], test_user=True)
    nats = start_nats(root, root / "logs", accounts=accounts)
    started.append(nats)
    if not mongodb_uri:
        mongo = start_mongo(":memory:", root / "logs", durable=False)
        started.append(mongo)
        mongodb_uri = mongo.address
    yield {
        "nats_url": accounts.url(nats.address, TEST_USER),
        "nats_address": nats.address,
        "nats_accounts": accounts,
        "e2e_prefix": E2E_PREFIX,
        "permissions_prefix": PERMISSIONS_PREFIX,
        "mongodb_uri": mongodb_uri,
    }
    for process in reversed(started):
        process.stop()


@pytest.fixture
def unique() -> str:
    """A name no other test uses: database names and subject prefixes."""
    return "t" + uuid.uuid4().hex[:12]
