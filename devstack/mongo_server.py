"""`python -m devstack.mongo_server`: the embedded MongoDB (SecantusDB) as its own process, with
the settings its `secantusd-py` command has no flag for.

The one that matters is the transaction lifetime: a transaction left open by a process that
died (SIGKILL, a lost node) holds the documents it wrote until the server reaps it. SecantusDB
reaps transactions idle longer than `transaction_lifetime_seconds` (default 60, mongod's
`transactionLifetimeLimitSeconds`), and only when some other transaction statement arrives;
this launcher passes a short lifetime (devstack's default: 5 s) and sweeps every fraction of
it, so a crashed writer's documents are free again within about the lifetime, with or without
other traffic. The production equivalent is mongod's
`setParameter: {transactionLifetimeLimitSeconds: <seconds>}`.

SecantusDB is GPL-2.0: it is imported here only, in a process of its own; the project's code
talks to it over the MongoDB wire protocol (the mongodb:// URI) like to any mongod.
"""
from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from typing import Any

DEFAULT_TRANSACTION_LIFETIME_SECONDS = 5.0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--storage-path", default=":memory:", help="a directory, or :memory: (ephemeral)")
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--sync-on-commit", action="store_true", help="fsync the log at every commit (journaled writes)")
    parser.add_argument("--transaction-lifetime-seconds", type=float, default=DEFAULT_TRANSACTION_LIFETIME_SECONDS,
                        help="abort a transaction idle this long (a crashed client's), freeing its documents")
    args = parser.parse_args(argv)
    if args.transaction_lifetime_seconds <= 0:
        parser.error("--transaction-lifetime-seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from secantus.server import SecantusDBServer  # GPL-2.0: only ever imported in this process

    server = SecantusDBServer(
        host=args.host,
        port=args.port,
        storage_path=args.storage_path,
        enable_test_commands=False,  # as the daemon: an open port must not take fail points
        sync_on_commit=args.sync_on_commit,
        transaction_lifetime_seconds=args.transaction_lifetime_seconds,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    server.start()
    sweep_every = min(1.0, args.transaction_lifetime_seconds / 5)
    reaped = 0
    try:
        while not stop.wait(sweep_every):
            count = server.transactions.prune_expired()
            if count:
                reaped += count
                logging.getLogger("devstack.mongo_server").warning(
                    "aborted %d transaction(s) idle for over %.1f s (%d so far)", count, args.transaction_lifetime_seconds, reaped)
    finally:
        _stop(server)
    return 0


def _stop(server: Any) -> None:
    """server.stop() closes the listening socket and joins the accept thread, which a close from
    another thread does not wake (it would wait out its 2 s join): connecting wakes it."""
    host, port = server.address
    stopping = threading.Thread(target=server.stop, name="secantus-stop")
    stopping.start()
    while stopping.is_alive():
        try:
            socket.create_connection((host, port), timeout=0.1).close()
        except OSError:
            pass
        stopping.join(0.05)


if __name__ == "__main__":
    sys.exit(main())
