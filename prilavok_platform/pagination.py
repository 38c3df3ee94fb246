"""Opaque AIP-158 page tokens and page-size bounds."""
from __future__ import annotations

import base64
import json
from typing import Any

from prilavok_platform.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def page_size(requested: int, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    if requested < 0:
        raise InvalidArgument(FieldViolation("page_size", "must not be negative"))
    return min(requested or default, maximum)


def encode(cursor: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str, *, required_keys: tuple[str, ...] = ()) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        cursor = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(cursor, dict) or any(k not in cursor for k in required_keys):
            raise ValueError
        return cursor
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument(FieldViolation("page_token", "is not a token returned by this method")) from None
