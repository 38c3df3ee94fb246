"""`make run`: start the whole suite on the embedded defaults and keep it running until Ctrl-C."""
from __future__ import annotations

import os
import pathlib
import sys
import time

from devstack.mongo_server import DEFAULT_TRANSACTION_LIFETIME_SECONDS
from devstack.processes import REPO, StartError
from devstack.suite import Suite, SuiteConfig
from prilavok_platform.config import DEFAULT_PORTS
from prilavok_platform.lifecycle import install_stop_flag


def config_from_environment() -> SuiteConfig:
    """The suite `make run` starts, as the environment says; ValueError names a bad variable."""
    state_dir = pathlib.Path(os.environ.get("PRILAVOK_STATE_DIR", REPO / ".prilavok")).resolve()
    ports = {}
    for name, default in DEFAULT_PORTS.items():
        raw = os.environ.get(f"PRILAVOK_{name.upper()}_PORT", str(default))
        if not raw.isdigit():
            raise ValueError(f"PRILAVOK_{name.upper()}_PORT={raw!r} is not a port number")
        ports[name] = int(raw)
    lifetime = os.environ.get("PRILAVOK_TRANSACTION_LIFETIME_SECONDS", str(DEFAULT_TRANSACTION_LIFETIME_SECONDS))
    try:
        transaction_lifetime = float(lifetime)
    except ValueError:
        transaction_lifetime = 0.0
    if not transaction_lifetime > 0:
        raise ValueError(f"PRILAVOK_TRANSACTION_LIFETIME_SECONDS={lifetime!r} is not a positive number of seconds")
    return SuiteConfig(
        state_dir=state_dir,
        ports=ports,
        mongodb_uri=os.environ.get("MONGODB_URI", ""),
        nats_url=os.environ.get("NATS_URL", ""),
        subject_prefix=os.environ.get("PRILAVOK_SUBJECT_PREFIX", "prilavok"),
        durable=True,
        transaction_lifetime_seconds=transaction_lifetime,
    )


def main() -> int:
    try:
        config = config_from_environment()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    state_dir = config.state_dir
    stop = install_stop_flag()
    started = time.monotonic()
    suite = Suite(config, progress=lambda line: print(line, flush=True))
    try:
        suite.start()
    except StartError as exc:
        print(f"\nstart failed: {exc}", file=sys.stderr)
        return 1
    nats_note = f"  (a user per service; this run's passwords in {state_dir / 'nats-credentials'})" if not config.nats_url else ""
    print(f"""
Prilavok is running ({time.monotonic() - started:.1f}s to SERVING).
  chat        {suite.address('chat')}
  moderation  {suite.address('moderation')}
  returns     {suite.address('returns')}
  notify      {suite.address('notify')}
  MongoDB     {suite.mongodb_uri}{'  (embedded SecantusDB, data in ' + str(state_dir / 'mongodb') + ')' if not config.mongodb_uri else ''}
  NATS        {suite.nats_address}{nats_note}
  logs        {state_dir / 'logs'}

Try it (another terminal):
  .venv/bin/prilavok status
  .venv/bin/prilavok chat create-thread --as buyer:b1 --shop s1 --order o1
  .venv/bin/prilavok chat send --as buyer:b1 --thread <thread_id> --text "Здравствуйте! Когда отправите заказ?"
  .venv/bin/prilavok notify list --as seller:u1@s1
  .venv/bin/prilavok moderation check --role seller --text "Напишите мне в WhatsApp"
Ctrl-C stops everything.""", flush=True)
    while not stop.is_set():
        dead = suite.dead()
        if dead:
            for managed in dead:
                print(f"\n{managed.name} exited unexpectedly (code {managed.process.returncode}); last log lines:\n{managed.tail()}",
                      file=sys.stderr)
            suite.stop()
            return 1
        time.sleep(0.5)
    print("\nstopping ...", flush=True)
    codes = suite.stop()
    print("stopped: " + ", ".join(f"{name} ({code})" for name, code in codes.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
