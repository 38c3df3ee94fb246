"""Typed settings read from environment variables; one object per service, passed down.

Every problem in the environment is reported at once, with the variable's name.
"""
from __future__ import annotations

import builtins
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from prilavok_platform.auth import DEV_SECRET, AuthSettings

DEFAULT_PORTS = {"chat": 50051, "moderation": 50052, "returns": 50053, "notify": 50054}


class ConfigError(ValueError):
    pass


class Env:
    """Reads typed values from a mapping and collects every error."""

    def __init__(self, environ: Mapping[str, builtins.str] | None = None):
        self._environ = os.environ if environ is None else environ
        self.errors: list[builtins.str] = []

    def str(self, name: builtins.str, default: builtins.str = "") -> builtins.str:
        return self._environ.get(name, default).strip()

    def int(
        self, name: builtins.str, default: builtins.int, *, minimum: builtins.int | None = None, maximum: builtins.int | None = None
    ) -> builtins.int:
        raw = self._environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors.append(f"{name}={raw!r} is not an integer")
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.errors.append(f"{name}={value} is outside [{minimum}, {maximum}]")
        return value

    def float(self, name: builtins.str, default: builtins.float, *, minimum: builtins.float = 0.0) -> builtins.float:
        raw = self._environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            self.errors.append(f"{name}={raw!r} is not a number")
            return default
        if value < minimum:
            self.errors.append(f"{name}={value} is below {minimum}")
        return value

    def choice(self, name: builtins.str, default: builtins.str, choices: tuple[builtins.str, ...]) -> builtins.str:
        value = self.str(name, default).lower()
        if value not in choices:
            self.errors.append(f"{name}={value!r} must be one of {', '.join(choices)}")
            return default
        return value

    def file_text(self, name: builtins.str) -> builtins.str:
        path = self.str(name)
        if not path:
            return ""
        try:
            return pathlib.Path(path).read_text()
        except OSError as exc:
            self.errors.append(f"{name}={path!r} cannot be read: {exc.strerror}")
            return ""

    def secret(self, name: builtins.str) -> builtins.str:
        """A secret given either as NAME or as a file named by NAME_FILE (a mounted Kubernetes
        Secret); surrounding whitespace (a trailing newline) is not part of it."""
        direct = self.str(name)
        if direct and self.str(f"{name}_FILE"):
            self.errors.append(f"{name} and {name}_FILE are both set; set one")
        return direct or self.file_text(f"{name}_FILE").strip()

    def raise_if_errors(self, service: builtins.str) -> None:
        if self.errors:
            raise ConfigError(f"invalid configuration for {service}:\n  " + "\n  ".join(self.errors))


@dataclass(frozen=True)
class CommonSettings:
    service_name: str
    environment: str
    grpc_host: str
    grpc_port: int
    mongodb_uri: str
    mongodb_database: str
    nats_url: str
    subject_prefix: str
    auth: AuthSettings
    service_token: str
    otel_exporter: str
    otel_endpoint: str
    shutdown_grace_seconds: float
    policy_file: str
    workers: int = 1
    # The service's own NATS user (the server refuses anonymous clients and lets each user publish
    # and consume only what its service needs: devstack/nats_config.py).
    nats_user: str = ""
    nats_password: str = field(default="", repr=False)

    @property
    def grpc_address(self) -> str:
        return f"{self.grpc_host}:{self.grpc_port}"


def load_common(service: str, env: Env) -> CommonSettings:
    environment = env.choice("PRILAVOK_ENV", "development", ("development", "production"))
    algorithm = env.choice("PRILAVOK_JWT_ALGORITHM", "hs256", ("hs256", "rs256")).upper()
    secret = env.str("PRILAVOK_JWT_SECRET", DEV_SECRET)
    if environment == "production" and algorithm == "HS256" and secret == DEV_SECRET:
        env.errors.append("PRILAVOK_JWT_SECRET must be set in production (the development secret is public)")
    if algorithm == "HS256" and len(secret.encode()) < 32:
        env.errors.append("PRILAVOK_JWT_SECRET must be at least 32 bytes (RFC 7518 3.2)")
    auth = AuthSettings(
        algorithm=algorithm,
        secret=secret,
        public_key_pem=env.file_text("PRILAVOK_JWT_PUBLIC_KEY_FILE"),
        private_key_pem=env.file_text("PRILAVOK_JWT_PRIVATE_KEY_FILE"),
        issuer=env.str("PRILAVOK_JWT_ISSUER", "prilavok"),
    )
    if algorithm == "RS256" and not auth.public_key_pem:
        env.errors.append("PRILAVOK_JWT_PUBLIC_KEY_FILE is required with PRILAVOK_JWT_ALGORITHM=rs256")
    mongodb_uri = env.str("MONGODB_URI")
    nats_url = env.str("NATS_URL")
    if not mongodb_uri:
        env.errors.append("MONGODB_URI is not set (make run starts an embedded server and sets it)")
    if not nats_url:
        env.errors.append("NATS_URL is not set (make run starts nats-server and sets it)")
    nats_user = env.secret("NATS_USER")
    nats_password = env.secret("NATS_PASSWORD")
    if nats_user and not nats_password:
        env.errors.append("NATS_USER is set without NATS_PASSWORD or NATS_PASSWORD_FILE")
    if environment == "production" and not nats_user:
        env.errors.append("NATS_USER and NATS_PASSWORD_FILE must be set in production (NATS refuses anonymous clients)")
    prefix = env.str("PRILAVOK_SUBJECT_PREFIX", "prilavok")
    if not prefix.replace("_", "").replace("-", "").isalnum():
        env.errors.append(f"PRILAVOK_SUBJECT_PREFIX={prefix!r} must be letters, digits, '-' or '_'")
    return CommonSettings(
        service_name=service,
        environment=environment,
        grpc_host=env.str("PRILAVOK_GRPC_HOST", "127.0.0.1"),
        grpc_port=env.int("PRILAVOK_GRPC_PORT", DEFAULT_PORTS[service], minimum=0, maximum=65535),
        mongodb_uri=mongodb_uri,
        mongodb_database=env.str("MONGODB_DATABASE", f"prilavok_{service}"),
        nats_url=nats_url,
        subject_prefix=prefix,
        auth=auth,
        service_token=env.str("PRILAVOK_SERVICE_TOKEN"),
        otel_exporter=env.choice("OTEL_TRACES_EXPORTER", "none", ("none", "console", "otlp")),
        otel_endpoint=env.str("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"),
        shutdown_grace_seconds=env.float("PRILAVOK_SHUTDOWN_GRACE_SECONDS", 5.0),
        policy_file=env.str("PRILAVOK_POLICY_FILE"),
        workers=env.int("PRILAVOK_WORKERS", 1, minimum=1, maximum=64),
        nats_user=nats_user,
        nats_password=nats_password,
    )
