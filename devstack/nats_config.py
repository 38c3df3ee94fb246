"""The NATS server's accounts and permissions for the suite: one account, one user per service,
no anonymous access (no `no_auth_user`).

Each service's user may publish only its own subjects (`<prefix>.<service>.>`; notify, which
produces no events, only its in-app fan-out subject) and the JetStream API requests it needs:
a producer creates, updates and reads its own stream `<PREFIX>_<SERVICE>` and no other; a
consumer creates, reads and pulls from durable consumers of the streams it reads (`CONSUMES`)
and acknowledges their messages; nobody deletes or purges. Replies come to the service's own
inboxes (`_INBOX.<service>.>`, prilavok_platform.nats.inbox_prefix). Tests add a `test` user
without limits (never in `make run` or Kubernetes).

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

from prilavok_platform.nats import PRODUCERS, inbox_prefix, stream_name

ACCOUNT = "PRILAVOK"
SERVICES = ("chat", "moderation", "returns", "notify")
TEST_USER = "test"

# The producers whose streams each service consumes (its durable pull consumers).
CONSUMES: dict[str, tuple[str, ...]] = {
    "chat": ("moderation",),
    "moderation": ("chat",),
    "returns": ("moderation",),
    "notify": ("chat", "moderation", "returns"),
}
# Core-NATS subjects outside every stream: chat streams its own events to its StreamEvents
# callers (services/chat/adapters/event_hub.py); notify fans in-app notifications out across its
# replicas (services/notify/adapters/fanout.py).
CORE_PUBLISH: dict[str, tuple[str, ...]] = {"notify": ("{prefix}.inapp.notification",)}
CORE_SUBSCRIBE: dict[str, tuple[str, ...]] = {"chat": ("{prefix}.chat.>",), "notify": ("{prefix}.inapp.notification",)}

KUBERNETES_STORE = "/data/jetstream"
KUBERNETES_MONITOR_PORT = 8222


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
        for producer in CONSUMES[service]:
            stream = stream_name(prefix, producer)
            publish += [
                f"$JS.API.CONSUMER.INFO.{stream}.*",
                f"$JS.API.CONSUMER.CREATE.{stream}.>",  # <name>[.<filter subject>]
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
                f"$JS.ACK.{stream}.>",
            ]
        publish += [s.format(prefix=prefix) for s in CORE_PUBLISH.get(service, ())]
        subscribe += [s.format(prefix=prefix) for s in CORE_SUBSCRIBE.get(service, ())]
    return Permissions(tuple(publish), tuple(subscribe))


def literal(password: str) -> str:
    return json.dumps(password)


def password_variable(service: str) -> str:
    """The environment variable holding a service's password in the NATS pod (from its Secret)."""
    return f"PRILAVOK_NATS_{service.upper()}_PASSWORD"


def _subjects(subjects: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(s) for s in subjects) + "]"


def render(
    passwords: Mapping[str, str],
    prefixes: Sequence[str],
    *,
    header: str = "",
    listen: str = "",
    jetstream_store: str = "",
    monitor_port: int = 0,
) -> str:
    """The server configuration. `passwords` maps each user (every service, and TEST_USER if
    tests want one) to a config value: `literal(...)` or `$VARIABLE`."""
    missing = [s for s in SERVICES if s not in passwords]
    if missing:
        raise ValueError(f"no NATS password for {', '.join(missing)}")
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if listen:
        lines.append(f"listen: {json.dumps(listen)}")
    if monitor_port:
        lines.append(f"http_port: {monitor_port}")
    lines.append(f"jetstream {{ store_dir: {json.dumps(jetstream_store)} }}" if jetstream_store else "jetstream {}")
    lines += ["accounts {", f"  {ACCOUNT} {{", "    jetstream: enabled", "    users: ["]
    for service in SERVICES:
        allowed = permissions(service, prefixes)
        lines += [
            f"      {{user: {service}, password: {passwords[service]}, permissions: {{",
            f"        publish: {{allow: {_subjects(allowed.publish)}}}",
            f"        subscribe: {{allow: {_subjects(allowed.subscribe)}}}",
            "      }}",
        ]
    if TEST_USER in passwords:
        lines.append(f"      {{user: {TEST_USER}, password: {passwords[TEST_USER]}}}  # tests only: no limits")
    lines += ["    ]", "  }", "}", ""]
    return "\n".join(lines)


def kubernetes_config(prefix: str = "prilavok") -> str:
    return render(
        {service: f"${password_variable(service)}" for service in SERVICES},
        [prefix],
        header=(
            "Generated by `python -m devstack.nats_config --prefix " + prefix + "` (devstack/nats_config.py): do not edit.\n"
            "The suite's NATS accounts and permissions. Passwords come from the environment, which the\n"
            "StatefulSet in nats.yaml fills from the Secrets prilavok-nats-<service> (key: password)."
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
        users = [*SERVICES, *([TEST_USER] if test_user else [])]
        return cls(tuple(prefixes), {user: secrets.token_hex(16) for user in users})

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
