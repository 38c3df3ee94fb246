"""The whole suite as processes: infrastructure (unless pointed elsewhere) and four services.

NATS runs with the suite's accounts (devstack/nats_config.py): each service connects as its own
user with a password generated for this run, handed over in a file (NATS_PASSWORD_FILE, as a
Kubernetes Secret would be)."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from devstack.mongo_server import DEFAULT_TRANSACTION_LIFETIME_SECONDS
from devstack.nats_config import NatsAccounts
from devstack.processes import (
    SERVICES,
    Managed,
    StartError,
    free_port,
    grpc_serving,
    port_is_open,
    spawn,
    start_mongo,
    start_nats,
    wait_for,
)
from prilavok_platform.config import DEFAULT_PORTS

RUN_FILE = "run.json"


@dataclass
class SuiteConfig:
    state_dir: pathlib.Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    mongodb_uri: str = ""  # set: use it, start nothing
    nats_url: str = ""  # set: use it, start nothing (it may carry credentials: nats://user:password@host:port)
    nats_accounts: NatsAccounts | None = None  # the users of that NATS (else the services use the URL's credentials)
    nats_test_user: bool = False  # a NATS the suite starts also gets the unlimited `test` user (tests only)
    transaction_lifetime_seconds: float = DEFAULT_TRANSACTION_LIFETIME_SECONDS  # the embedded MongoDB's
    subject_prefix: str = "prilavok"
    database_prefix: str = "prilavok"
    memory: bool = False  # ephemeral MongoDB (tests)
    durable: bool = True  # --sync-on-commit (make run)
    extra_env: dict[str, str] = field(default_factory=dict)


class Suite:
    def __init__(self, config: SuiteConfig, progress: Callable[[str], None] = lambda _: None):
        self.config = config
        self.progress = progress
        self.infra: list[Managed] = []
        self.services: dict[str, Managed] = {}
        self.mongodb_uri = config.mongodb_uri
        self.nats_url = config.nats_url
        self.nats_accounts = config.nats_accounts

    @property
    def logs(self) -> pathlib.Path:
        return self.config.state_dir / "logs"

    def address(self, service: str) -> str:
        return self.services[service].address

    @property
    def nats_address(self) -> str:
        """The NATS URL without credentials (what `make run` shows and run.json records)."""
        return _without_credentials(self.nats_url)

    def nats_client_url(self, user: str) -> str:
        """The NATS URL with `user`'s credentials (a service's, or `test` when the suite has it)."""
        if self.nats_accounts is None:
            raise KeyError("this suite does not know the NATS users' passwords")
        return self.nats_accounts.url(self.nats_address, user)

    def _credentials_file(self, service: str) -> pathlib.Path:
        return self.config.state_dir / "nats-credentials" / service

    def _write_credentials(self) -> None:
        if self.nats_accounts is None:
            return
        for service in SERVICES:
            path = self._credentials_file(service)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_text(self.nats_accounts.passwords[service])

    def service_env(self, service: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRILAVOK_GRPC_", "MONGODB_", "NATS_"))}
        if self.nats_accounts is not None:
            nats = {"NATS_URL": self.nats_address, "NATS_USER": service, "NATS_PASSWORD_FILE": str(self._credentials_file(service))}
        else:
            nats = {"NATS_URL": self.nats_url}
        env.update({
            "MONGODB_URI": self.mongodb_uri,
            "MONGODB_DATABASE": f"{self.config.database_prefix}_{service}",
            **nats,
            "PRILAVOK_SUBJECT_PREFIX": self.config.subject_prefix,
            "PRILAVOK_MODERATION_ADDR": f"127.0.0.1:{self.config.ports['moderation']}",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.config.extra_env)
        return env

    def start(self, timeout: float = 60) -> None:
        started = time.monotonic()
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        busy = [f"{name} ({port})" for name, port in self.config.ports.items() if port_is_open("127.0.0.1", port)]
        if busy:
            raise StartError(f"ports already in use: {', '.join(busy)}; is another `make run` going? "
                             "Set PRILAVOK_<SERVICE>_PORT to move them.")
        try:
            if not self.nats_url:
                self.progress("starting nats-server (JetStream, one NATS user per service) ...")
                accounts = NatsAccounts.generate([self.config.subject_prefix], test_user=self.config.nats_test_user)
                nats = start_nats(self.config.state_dir, self.logs, accounts=accounts)
                self.infra.append(nats)
                self.nats_url, self.nats_accounts = nats.address, accounts
            self._write_credentials()
            if not self.mongodb_uri:
                self.progress("starting embedded MongoDB (SecantusDB) ...")
                storage = ":memory:" if self.config.memory else str(self.config.state_dir / "mongodb")
                mongo = start_mongo(storage, self.logs, durable=self.config.durable,
                                    transaction_lifetime_seconds=self.config.transaction_lifetime_seconds)
                self.infra.append(mongo)
                self.mongodb_uri = mongo.address
            self.progress("starting services: " + ", ".join(SERVICES) + " ...")
            for name in SERVICES:
                self.services[name] = self._spawn_service(name)
            remaining = max(5.0, timeout - (time.monotonic() - started))
            for name, managed in self.services.items():
                wait_for(lambda m=managed: grpc_serving(m.address), f"service {name}", managed, remaining)
                self.progress(f"  {name:<10} SERVING on {managed.address}")
        except BaseException:
            self.stop()
            raise
        self.write_run_file()

    def _spawn_service(self, name: str) -> Managed:
        managed = spawn(name, [sys.executable, "-m", f"services.{name}"], self.logs / f"{name}.log",
                        {**self.service_env(name), "PRILAVOK_GRPC_PORT": str(self.config.ports[name])})
        managed.address = f"127.0.0.1:{self.config.ports[name]}"
        return managed

    def kill(self, service: str) -> None:
        """SIGKILLs one service (a crash: no drain, open transactions left behind)."""
        managed = self.services[service]
        if managed.alive():
            managed.process.send_signal(signal.SIGKILL)
            managed.process.wait(10)

    def restart(self, service: str, timeout: float = 30) -> None:
        """Starts one service again (after `kill` or a crash) on its port, and waits until it serves."""
        old = self.services[service]
        if old.alive():
            old.stop()
        managed = self._spawn_service(service)
        self.services[service] = managed
        wait_for(lambda: grpc_serving(managed.address), f"service {service}", managed, timeout)
        self.write_run_file()

    def write_run_file(self) -> None:
        info = {
            "services": {name: m.address for name, m in self.services.items()},
            "mongodb_uri": self.mongodb_uri,
            "nats_url": self.nats_address,
            "subject_prefix": self.config.subject_prefix,
            "pids": {name: m.process.pid for name, m in {**self.services, **{i.name: i for i in self.infra}}.items()},
        }
        (self.config.state_dir / RUN_FILE).write_text(json.dumps(info, indent=2))

    def dead(self) -> list[Managed]:
        return [m for m in [*self.services.values(), *self.infra] if not m.alive()]

    def stop(self) -> dict[str, int | None]:
        codes: dict[str, int | None] = {}
        # Services first (they drain NATS and close MongoDB), then the infrastructure.
        for name in reversed(list(self.services)):
            codes[name] = self.services[name].stop()
        for managed in reversed(self.infra):
            codes[managed.name] = managed.stop()
        run_file = self.config.state_dir / RUN_FILE
        if run_file.exists():
            run_file.unlink()
        return codes


def _without_credentials(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def free_ports() -> dict[str, int]:
    return {name: free_port() for name in SERVICES}
