"""Connection details and error rendering for the CLI."""
from __future__ import annotations

import json
import os
import pathlib
import sys
from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from prilavok_platform.auth import DEV_SECRET, AuthSettings, Role, TokenIssuer
from prilavok_platform.config import DEFAULT_PORTS

REPO = pathlib.Path(__file__).resolve().parent.parent


class CliError(Exception):
    pass


def run_info() -> dict:
    """What `make run` wrote about the running suite, if anything."""
    state = pathlib.Path(os.environ.get("PRILAVOK_STATE_DIR", REPO / ".prilavok"))
    try:
        return json.loads((state / "run.json").read_text())
    except (OSError, ValueError):
        return {}


def service_address(name: str, override: str = "") -> str:
    if override:
        return override
    env = os.environ.get(f"PRILAVOK_{name.upper()}_ADDR")
    if env:
        return env
    info = run_info().get("services", {})
    return info.get(name) or f"127.0.0.1:{DEFAULT_PORTS[name]}"


@dataclass(frozen=True)
class As:
    role: Role
    user_id: str
    shop_id: str = ""


def parse_as(value: str) -> As:
    """ROLE:USER[@SHOP], e.g. buyer:b1, seller:u1@s1, support:agent, moderator:m1, service:cli."""
    role_name, _, rest = value.partition(":")
    user, _, shop = rest.partition("@")
    try:
        role = Role(role_name.lower())
    except ValueError:
        raise CliError(f"--as {value!r}: role must be one of {', '.join(r.value for r in Role)}") from None
    if not user:
        raise CliError(f"--as {value!r}: give a user id, e.g. {role.value}:u1")
    if role is Role.SELLER and not shop:
        raise CliError(f"--as {value!r}: a seller needs a shop, e.g. seller:{user}@shop1")
    return As(role, user, shop)


def mint(who: As, ttl: int = 3600) -> str:
    settings = AuthSettings(secret=os.environ.get("PRILAVOK_JWT_SECRET", DEV_SECRET), issuer=os.environ.get("PRILAVOK_JWT_ISSUER", "prilavok"))
    return TokenIssuer(settings).mint(who.user_id, who.role, who.shop_id, ttl_seconds=ttl)


def metadata(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def describe_error(error: grpc.RpcError) -> str:
    lines = [f"{error.code().name}: {error.details()}"]
    status = rpc_status.from_call(error)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                lines += [f"  {v.field}: {v.description}" for v in bad.field_violations]
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                lines.append(f"  reason: {info.reason}" + (f" {dict(info.metadata)}" if info.metadata else ""))
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        lines.append("  is the suite running? start it with `make run`")
    return "\n".join(lines)


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(1)
