"""AIP-158 pagination: page sizes, opaque page tokens, and keyset order.

A page token is the position of the last item returned, made of exactly the fields the query
sorts on (`KeysetOrder`), so the next page starts right after it whatever changed meanwhile.
The last sort field must be unique (usually `_id`). Tokens carry typed values and are
checked on the way back in: a token that was not returned by the method is INVALID_ARGUMENT.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from prilavok_platform.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_TOKEN_CHARS = 1024

T = TypeVar("T")
SortValue = str | int | dt.datetime


def page_size(requested: int, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    if requested < 0:
        raise InvalidArgument(FieldViolation("page_size", "must not be negative"))
    return min(requested or default, maximum)


def _bad_token() -> InvalidArgument:
    return InvalidArgument(FieldViolation("page_token", "is not a token returned by this method"), reason="INVALID_PAGE_TOKEN")


@dataclass(frozen=True)
class SortKey:
    field: str
    direction: int  # 1 ascending, -1 descending
    kind: type  # str, int or datetime.datetime


class KeysetOrder:
    """The order of a List method: its sort fields, the token built from them, and the filter
    that continues after a token."""

    def __init__(self, *keys: tuple[str, int, type]):
        if not keys:
            raise ValueError("a keyset order needs at least one (unique) key")
        self.keys = tuple(SortKey(f, d, k) for f, d, k in keys)
        for key in self.keys:
            if key.direction not in (1, -1) or key.kind not in (str, int, dt.datetime):
                raise ValueError(f"bad sort key {key}")

    @property
    def sort(self) -> list[tuple[str, int]]:
        return [(k.field, k.direction) for k in self.keys]

    # --- tokens ---------------------------------------------------------------------------

    def token_of(self, values: Iterable[SortValue]) -> str:
        encoded: list[Any] = []
        for key, value in zip(self.keys, values, strict=True):
            if key.kind is dt.datetime:
                assert isinstance(value, dt.datetime)
                encoded.append(value.astimezone(dt.UTC).isoformat())
            else:
                encoded.append(value)
        raw = json.dumps(encoded, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def token_of_document(self, doc: Mapping[str, Any]) -> str:
        return self.token_of(_field(doc, k.field) for k in self.keys)

    def decode(self, token: str) -> tuple[SortValue, ...] | None:
        if not token:
            return None
        if len(token) > MAX_TOKEN_CHARS:
            raise _bad_token()
        try:
            raw = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
        except (ValueError, UnicodeDecodeError):
            raise _bad_token() from None
        if not isinstance(raw, list) or len(raw) != len(self.keys):
            raise _bad_token()
        return tuple(self._typed(key, value) for key, value in zip(self.keys, raw, strict=True))

    @staticmethod
    def _typed(key: SortKey, value: Any) -> SortValue:
        if key.kind is dt.datetime:
            if not isinstance(value, str):
                raise _bad_token()
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                raise _bad_token() from None
            if parsed.tzinfo is None:
                raise _bad_token()
            return parsed
        if key.kind is int:
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
                raise _bad_token()
            return value
        if not isinstance(value, str):
            raise _bad_token()
        return value

    # --- continuing after a token ---------------------------------------------------------

    def is_after(self, values: tuple[SortValue, ...], cursor: tuple[SortValue, ...]) -> bool:
        """Whether an item with these sort values comes strictly after the cursor."""
        for key, value, mark in zip(self.keys, values, cursor, strict=True):
            if value == mark:
                continue
            return (value > mark) if key.direction == 1 else (value < mark)  # type: ignore[operator]
        return False

    def leading_bound(self, cursor: tuple[SortValue, ...]) -> dict[str, Any]:
        """A range on the first sort field that contains every item after the cursor (and the
        cursor's ties). A plain range keeps the query answerable by one index scan; the ties
        are dropped by `is_after` when the page is read."""
        first = self.keys[0]
        return {first.field: {"$gte" if first.direction == 1 else "$lte": cursor[0]}}

    def sort_values(self, doc: Mapping[str, Any]) -> tuple[SortValue, ...]:
        return tuple(_field(doc, k.field) for k in self.keys)


def _field(doc: Mapping[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        value = value[part]
    return value


def page_in_memory(
    items: Iterable[T], order: KeysetOrder, size: int, token: str, values: Callable[[T], tuple[SortValue, ...]]
) -> tuple[list[T], str]:
    """The same paging over objects in memory (fakes, small lists): sort, continue after the
    token, and build the next token from the last item's sort values."""
    cursor = order.decode(token)
    ordered = list(items)
    for index in reversed(range(len(order.keys))):
        key = order.keys[index]
        ordered.sort(key=lambda item, i=index: values(item)[i], reverse=key.direction == -1)  # type: ignore[misc]
    if cursor is not None:
        ordered = [item for item in ordered if order.is_after(values(item), cursor)]
    page = ordered[:size]
    next_token = order.token_of(values(page[-1])) if len(ordered) > size else ""
    return page, next_token
