"""Request ids with Stripe's semantics, for every mutating RPC that takes a `request_id`.

The first request under an id is remembered with a *fingerprint*: a digest of each of its
fields. A retry with the same id and the same fields gets the first result again; the same id
with any field different is refused with INVALID_ARGUMENT, reason IDEMPOTENCY_KEY_REUSED, one
field violation per differing field (so a client sees exactly what it changed).

Plain Python with no third-party imports: domain packages use it.

    stored = fingerprint({"text": text, "attachment_ids": ids})          # kept with the result
    require_same_request(stored, fingerprint({...the retry's fields...}), request_id=rid)

Only digests are kept (16 hex characters per field), never the values: a fingerprint may sit
beside personal data's erasure without holding it."""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass

from prilavok_platform.clock import to_millisecond
from prilavok_platform.errors import FieldViolation, InvalidArgument

REASON = "IDEMPOTENCY_KEY_REUSED"

# (field name, digest of its value), in the order the fields were given.
Fingerprint = tuple[tuple[str, str], ...]


def canonical(value: object) -> str:
    """One string per value, stable across processes and versions: what the digest is taken of.
    Times are compared to the millisecond in UTC (what the database keeps; naive means UTC);
    money-like values (amount_minor + currency_code) as '<amount> <currency>'; enums by value;
    sequences element by element (order matters); mappings by sorted key."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, dt.datetime):
        at = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        return to_millisecond(at).isoformat()
    amount, currency = getattr(value, "amount_minor", None), getattr(value, "currency_code", None)
    if isinstance(amount, int) and isinstance(currency, str):
        return f"{amount} {currency}"
    if isinstance(value, Mapping):
        return json.dumps({str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))})
    if is_dataclass(value) and not isinstance(value, type):
        return json.dumps({f.name: canonical(getattr(value, f.name)) for f in fields(value)})
    if isinstance(value, Iterable):
        return json.dumps([canonical(v) for v in value])
    raise TypeError(f"no canonical form for {type(value).__name__}")


def digest(value: object) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:16]


def fingerprint(request_fields: Mapping[str, object]) -> Fingerprint:
    """The fingerprint of a request: pass every field that shapes what the request does, named as
    the request names them (they are reported back by those names)."""
    return tuple((name, digest(value)) for name, value in request_fields.items())


def differing_fields(stored: Fingerprint, candidate: Fingerprint) -> list[str]:
    """The fields whose values differ, in the candidate's order; a field only one side has differs."""
    before, after = dict(stored), dict(candidate)
    names = list(after) + [name for name in before if name not in after]
    return [name for name in names if before.get(name) != after.get(name)]


class IdempotencyKeyReused(InvalidArgument):
    """The same request id was sent before with other values."""

    def __init__(self, request_id: str, differing: list[str]):
        super().__init__(
            [FieldViolation(name, f"differs from the request first sent with request_id {request_id!r}; "
                                  "use a new request_id for a different request") for name in differing],
            reason=REASON,
        )
        self.metadata = {"request_id": request_id, "fields": ",".join(differing)}


def require_same_request(stored: Fingerprint, candidate: Fingerprint, *, request_id: str) -> None:
    """Refuses a retry whose payload differs from the first request under `request_id`. An empty
    stored fingerprint (a record made before fingerprints existed) accepts any payload."""
    if not stored:
        return
    differ = differing_fields(stored, candidate)
    if differ:
        raise IdempotencyKeyReused(request_id, differ)
