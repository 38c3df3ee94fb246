"""The NATS server's accounts and permissions for the suite: one account per service, one user
in each, no anonymous access (no `no_auth_user`).

Each producer's stream lives in its own account, so no other service's request reaches its
JetStream API: not a purge or delete through the reply subject of a pull request (the server
answers a request with its own rights), nor a consumer created or changed on it. A service's
user may publish only its own subjects (`<prefix>.<service>.>`; notify, which produces no
events, only its in-app fan-out subject, which exists in its account alone) and the JetStream
API requests it needs: a producer creates, updates and reads its own stream `<PREFIX>_<SERVICE>`
and creates the durables its readers use (prilavok_platform.nats.DURABLES) on it. A reader gets,
per durable of its own and nothing else, the producer's pull (`$JS.API.CONSUMER.MSG.NEXT`),
consumer info and acks (`$JS.ACK.<stream>.<durable>.>`): the producer's account exports them to
the reader's account alone; the reader's account imports them under `$JS.<producer>.API` and maps
the usual `$JS.API` subjects there, so the client library needs no change. Replies to imported
requests travel back through the import (the server maps the reply subject), so they never reach
the producer's JetStream API. Replies come to the service's own inboxes (`_INBOX.<service>.>`,
prilavok_platform.nats.inbox_prefix). Tests add users without limits (never in `make run` or
Kubernetes): `test` in an account of its own (any stream, any prefix) and `test-<service>` in
each service's account (to look at and clean up its streams).

The same renderer writes the development and test configuration (passwords generated per run)
and the Kubernetes one, whose passwords are environment variables the NATS pod takes from
Secrets. `tests/unit/test_deploy_manifests.py` fails when the checked-in file drifts:

    .venv/bin/python -m devstack.nats_config --prefix prilavok > deploy/kubernetes/nats.conf
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prilavok_platform.nats import DURABLES, PRODUCERS, Durable, inbox_prefix, stream_name

SERVICES = ("chat", "moderation", "returns", "notify")
TEST_USER = "test"
TEST_ACCOUNT = "TEST"

# The producers whose streams each service reads (through its durables in DURABLES).
CONSUMES: dict[str, tuple[str, ...]] = {
    service: tuple(p for p in PRODUCERS if any(d.consumer == service and d.producer == p for d in DURABLES)) for service in SERVICES
}
# Core-NATS subjects outside every stream, each in its service's account alone: chat streams its
# own events to its StreamEvents callers (services/chat/adapters/event_hub.py); notify fans in-app
# notifications out across its replicas (services/notify/adapters/fanout.py).
CORE_PUBLISH: dict[str, tuple[str, ...]] = {"notify": ("{prefix}.inapp.notification",)}
CORE_SUBSCRIBE: dict[str, tuple[str, ...]] = {"chat": ("{prefix}.chat.>",), "notify": ("{prefix}.inapp.notification",)}

# How a NATS password is made, for the server and its service alike: it starts with a letter.
# nats-server parses the value of an environment variable (`password: $VARIABLE`) as it parses
# its configuration, so a password that looks like a number (`1e58…`, `590e3a1a…`: about one in
# twelve of `openssl rand -hex 32`) is refused by some versions (2.9 to at least 2.12) and the
# server does not start. Quoting the variable does not help: "$VARIABLE" is the literal password.
PASSWORD_RECIPE = 'p$(openssl rand -hex 32)'

KUBERNETES_STORE = "/data/jetstream"
KUBERNETES_MONITOR_PORT = 8222


def account(service: str) -> str:
    return service.upper()


def admin_user(service: str) -> str:
    """The tests' unlimited user in a service's account."""
    return f"{TEST_USER}-{service}"


def api_prefix(producer: str) -> str:
    """Where a reader's account imports the part of `producer`'s JetStream API it may use."""
    return f"$JS.{producer}.API"


@dataclass(frozen=True)
class Grant:
    """One durable of a reader on a producer's stream, for one subject prefix: the requests the
    producer's account exports to the reader's."""

    durable: Durable
    stream: str

    @property
    def info(self) -> str:
        return f"$JS.API.CONSUMER.INFO.{self.stream}.{self.durable.name}"

    @property
    def pull(self) -> str:
        return f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{self.durable.name}"

    @property
    def acks(self) -> str:
        return f"$JS.ACK.{self.stream}.{self.durable.name}.>"

    def imported(self, api_subject: str) -> str:
        """`$JS.API.<request>` as the reader's account imports it."""
        return api_subject.replace("$JS.API.", f"{api_prefix(self.durable.producer)}.", 1)


def grants(prefixes: Sequence[str]) -> list[Grant]:
    return [Grant(d, stream_name(prefix, d.producer)) for prefix in prefixes for d in DURABLES]


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def permissions(service: str, prefixes: Sequence[str]) -> Permissions:
    publish: list[str] = []
    subscribe: list[str] = [f"{inbox_prefix(service)}.>"]
    for prefix in prefixes:
        if service in PRODUCERS:
            own = stream_name(prefix, service)
            publish += [f"{prefix}.{service}.>", *(f"$JS.API.STREAM.{op}.{own}" for op in ("INFO", "CREATE", "UPDATE"))]
            for d in DURABLES:
                if d.producer == service:  # <durable>[.<filter subject>]
                    publish += [f"$JS.API.CONSUMER.CREATE.{own}.{d.name}", f"$JS.API.CONSUMER.CREATE.{own}.{d.name}.>"]
        for grant in grants([prefix]):
            if grant.durable.consumer == service:
                # The server checks a mapped request under its new subject; older ones under the first.
                publish += [grant.info, grant.imported(grant.info), grant.pull, grant.imported(grant.pull), grant.acks]
        publish += [s.format(prefix=prefix) for s in CORE_PUBLISH.get(service, ())]
        subscribe += [s.format(prefix=prefix) for s in CORE_SUBSCRIBE.get(service, ())]
    return Permissions(tuple(publish), tuple(subscribe))


def new_password() -> str:
    """A password as PASSWORD_RECIPE makes one: "p" and 64 random hex digits."""
    return "p" + secrets.token_hex(32)


def literal(password: str) -> str:
    return json.dumps(password)


def password_variable(service: str) -> str:
    """The environment variable holding a service's password in the NATS pod (from its Secret)."""
    return f"PRILAVOK_NATS_{service.upper()}_PASSWORD"


def _subjects(subjects: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(s) for s in subjects) + "]"


def _account(service: str, passwords: Mapping[str, str], prefixes: Sequence[str]) -> list[str]:
    allowed = permissions(service, prefixes)
    mine = [g for g in grants(prefixes) if g.durable.consumer == service]
    readers = [g for g in grants(prefixes) if g.durable.producer == service]
    lines = [f"  {account(service)} {{"]
    if service in PRODUCERS:
        lines.append("    jetstream: enabled")
    lines += [
        "    users: [",
        f"      {{user: {service}, password: {passwords[service]}, permissions: {{",
        f"        publish: {{allow: {_subjects(allowed.publish)}}}",
        f"        subscribe: {{allow: {_subjects(allowed.subscribe)}}}",
        "      }}",
    ]
    if admin_user(service) in passwords:
        lines.append(f"      {{user: {admin_user(service)}, password: {passwords[admin_user(service)]}}}  # tests only: no limits")
    lines.append("    ]")
    if readers:  # each reader's own durables: their info, their pulls (answered by a stream of messages), their acks
        lines.append("    exports: [")
        for g in readers:
            to = account(g.durable.consumer)
            lines += [f"      {{service: {json.dumps(g.info)}, accounts: [{to}]}}",
                      f"      {{service: {json.dumps(g.pull)}, response_type: stream, accounts: [{to}]}}",
                      f"      {{service: {json.dumps(g.acks)}, accounts: [{to}]}}"]
        lines.append("    ]")
    if mine:
        lines.append("    imports: [")
        for g in mine:
            source = account(g.durable.producer)
            lines += [f"      {{service: {{account: {source}, subject: {json.dumps(s)}}}, to: {json.dumps(g.imported(s))}}}"
                      for s in (g.info, g.pull)]
            lines.append(f"      {{service: {{account: {source}, subject: {json.dumps(g.acks)}}}}}")
        lines += ["    ]", "    mappings: {"]
        lines += [f"      {json.dumps(s)}: {json.dumps(g.imported(s))}" for g in mine for s in (g.info, g.pull)]
        lines.append("    }")
    lines.append("  }")
    return lines


def render(
    passwords: Mapping[str, str],
    prefixes: Sequence[str],
    *,
    header: str = "",
    listen: str = "",
    jetstream_store: str = "",
    monitor_port: int = 0,
) -> str:
    """The server configuration. `passwords` maps each user (every service; TEST_USER and each
    admin_user if tests want them) to a config value: `literal(...)` or `$VARIABLE`."""
    missing = [s for s in SERVICES if s not in passwords]
    if missing:
        raise ValueError(f"no NATS password for {', '.join(missing)}")
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if listen:
        lines.append(f"listen: {json.dumps(listen)}")
    if monitor_port:
        lines.append(f"http_port: {monitor_port}")
    lines.append(f"jetstream {{ store_dir: {json.dumps(jetstream_store)} }}" if jetstream_store else "jetstream {}")
    lines.append("accounts {")
    for service in SERVICES:
        lines += _account(service, passwords, prefixes)
    if TEST_USER in passwords:
        lines += [f"  {TEST_ACCOUNT} {{  # tests only: any stream, no limits",
                  "    jetstream: enabled",
                  f"    users: [{{user: {TEST_USER}, password: {passwords[TEST_USER]}}}]",
                  "  }"]
    lines += ["}", ""]
    return "\n".join(lines)


def kubernetes_config(prefix: str = "prilavok") -> str:
    return render(
        {service: f"${password_variable(service)}" for service in SERVICES},
        [prefix],
        header=(
            "Generated by `python -m devstack.nats_config --prefix " + prefix + "` (devstack/nats_config.py): do not edit.\n"
            "The suite's NATS accounts (one per service) and permissions. Passwords come from the environment, which the\n"
            "StatefulSet in nats.yaml fills from the Secrets prilavok-nats-<service> (key: password).\n"
            "Each password starts with a letter (make one with: " + PASSWORD_RECIPE + "): nats-server parses an\n"
            "environment value as configuration, and one that looks like a number (1e58...) stops it. Never quote\n"
            "\"$VARIABLE\": that makes the variable's name the password."
        ),
        listen="0.0.0.0:4222",
        jetstream_store=KUBERNETES_STORE,
        monitor_port=KUBERNETES_MONITOR_PORT,
    )


@dataclass(frozen=True)
class NatsAccounts:
    """Users and passwords of one development or test NATS server (generated per run)."""

    prefixes: tuple[str, ...]
    passwords: dict[str, str]

    @classmethod
    def generate(cls, prefixes: Sequence[str], *, test_user: bool = False) -> NatsAccounts:
        users = [*SERVICES, *([TEST_USER, *(admin_user(s) for s in SERVICES)] if test_user else [])]
        return cls(tuple(prefixes), {user: new_password() for user in users})

    def config(self) -> str:
        return render(
            {user: literal(password) for user, password in self.passwords.items()},
            self.prefixes,
            header="Generated by devstack (devstack/nats_config.py) for this run; passwords change every run.",
        )

    def url(self, address: str, user: str) -> str:
        """`address` (nats://host:port) with `user`'s credentials in it."""
        parts = urllib.parse.urlsplit(address)
        userinfo = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(self.passwords[user], safe='')}"
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc.rpartition('@')[2]}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the Kubernetes NATS configuration (accounts and permissions).")
    parser.add_argument("--prefix", default="prilavok", help="PRILAVOK_SUBJECT_PREFIX of the deployment")
    args = parser.parse_args(argv)
    sys.stdout.write(kubernetes_config(args.prefix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
