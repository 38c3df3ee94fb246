"""Conversions between Python values and protobuf well-known types."""
from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value)
    return out


def datetime_of(message, field: str) -> dt.datetime | None:
    """The field's value as an aware UTC datetime, or None when it is not set."""
    return getattr(message, field).ToDatetime(tzinfo=dt.timezone.utc) if message.HasField(field) else None
