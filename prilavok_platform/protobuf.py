"""Conversions between Python values and protobuf: well-known types, enums, identities and
parties. Incoming values are checked here, so a bad timestamp or an unknown enum number is
INVALID_ARGUMENT naming its field, never an INTERNAL error further in."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Generic, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from prilavok.common.v1 import common_pb2
from prilavok_platform.errors import FieldViolation, InvalidArgument
from prilavok_platform.identity import Identity, Party, PartyKind, Role

E = TypeVar("E", bound=enum.Enum)

# Timestamp's own range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
MIN_TIMESTAMP_SECONDS = -62135596800
MAX_TIMESTAMP_SECONDS = 253402300799


def timestamp(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value)
    return out


def datetime_of(message: Any, field: str) -> dt.datetime | None:
    """The field's value as an aware UTC datetime, or None when it is not set. A value outside
    the Timestamp range is INVALID_ARGUMENT naming the field."""
    if not message.HasField(field):
        return None
    value = getattr(message, field)
    if not MIN_TIMESTAMP_SECONDS <= value.seconds <= MAX_TIMESTAMP_SECONDS or not 0 <= value.nanos < 1_000_000_000:
        raise InvalidArgument(FieldViolation(field, "is not a valid timestamp (years 0001 to 9999)"))
    return value.ToDatetime(tzinfo=dt.UTC)


class EnumMapping(Generic[E]):
    """A protobuf enum and a Python enum, matched by name: `PREFIX_<MEMBER NAME>` <-> member.

    `from_pb` names the field in its error: an unknown number or (when required) the zero
    `_UNSPECIFIED` value is INVALID_ARGUMENT listing the values that are accepted."""

    def __init__(self, proto_enum: Any, python_enum: type[E], prefix: str, *, aliases: dict[str, E] | None = None):
        self._by_number: dict[int, E] = {}
        self._by_member: dict[E, int] = {}
        for member in python_enum:
            number = proto_enum.Value(prefix + member.name)
            self._by_number[number] = member
            self._by_member[member] = number
        for name, member in (aliases or {}).items():
            self._by_number[proto_enum.Value(name)] = member
        self._names = [proto_enum.Name(n) for n in sorted(self._by_number)]

    def to_pb(self, value: E | None) -> int:
        return 0 if value is None else self._by_member[value]

    def from_pb(self, number: int, field: str, *, required: bool = True, unknown_ok: bool = False) -> E | None:
        """`unknown_ok`: a number this version does not know is None instead of an error (for
        values read from other services' events, which may be newer than this code)."""
        if number == 0 and not required:
            return None
        member = self._by_number.get(number)
        if member is None:
            if unknown_ok and number != 0:
                return None
            raise InvalidArgument(FieldViolation(field, f"must be one of {', '.join(self._names)}"))
        return member

    def require(self, number: int, field: str) -> E:
        member = self.from_pb(number, field, required=True)
        assert member is not None
        return member


ROLES: EnumMapping[Role] = EnumMapping(common_pb2.Role, Role, "ROLE_")
PARTY_KINDS: EnumMapping[PartyKind] = EnumMapping(common_pb2.PartyKind, PartyKind, "PARTY_KIND_")


def party_to_pb(party: Party) -> common_pb2.Party:
    return common_pb2.Party(kind=PARTY_KINDS.to_pb(party.kind), id=party.id)


def party_from_pb(message: common_pb2.Party, field: str = "party") -> Party:
    kind = PARTY_KINDS.require(message.kind, f"{field}.kind")
    if kind is not PartyKind.SUPPORT and not message.id:
        raise InvalidArgument(FieldViolation(f"{field}.id", "must not be empty"))
    return Party(kind, "" if kind is PartyKind.SUPPORT else message.id)


def actor_to_pb(identity: Identity) -> common_pb2.Actor:
    return common_pb2.Actor(role=ROLES.to_pb(identity.role), user_id=identity.user_id, shop_id=identity.shop_id)


def identity_from_actor(actor: common_pb2.Actor, field: str = "actor") -> Identity:
    return Identity(actor.user_id, ROLES.require(actor.role, f"{field}.role"), actor.shop_id)
