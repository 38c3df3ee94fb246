"""Request-id fingerprints: identical retries pass, a changed field is named, times and money
compare by value."""
import datetime as dt
from dataclasses import dataclass

import pytest

from prilavok_platform.idempotency import (
    REASON,
    IdempotencyKeyReused,
    differing_fields,
    fingerprint,
    require_same_request,
)


@dataclass(frozen=True)
class _Money:
    amount_minor: int
    currency_code: str


def test_identical_request_passes_and_a_changed_field_is_named() -> None:
    first = fingerprint({"text": "Здравствуйте", "attachment_ids": ["a1"], "amount": _Money(100, "RUB")})
    require_same_request(first, fingerprint({"text": "Здравствуйте", "attachment_ids": ["a1"], "amount": _Money(100, "RUB")}),
                         request_id="r1")
    with pytest.raises(IdempotencyKeyReused) as caught:
        require_same_request(first, fingerprint({"text": "Здравствуйте +79123456789", "attachment_ids": ["a1"],
                                                 "amount": _Money(101, "RUB")}), request_id="r1")
    assert caught.value.reason == REASON
    assert [v.field for v in caught.value.violations] == ["text", "amount"]
    assert caught.value.metadata == {"request_id": "r1", "fields": "text,amount"}


def test_times_compare_in_utc_to_the_millisecond_and_order_of_lists_matters() -> None:
    naive = dt.datetime(2026, 1, 2, 3, 4, 5, 123456)
    aware = dt.datetime(2026, 1, 2, 6, 4, 5, 123999, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert differing_fields(fingerprint({"at": naive}), fingerprint({"at": aware})) == []
    assert differing_fields(fingerprint({"ids": ["a", "b"]}), fingerprint({"ids": ["b", "a"]})) == ["ids"]


def test_a_field_only_one_side_has_differs_and_an_old_record_accepts_anything() -> None:
    assert differing_fields(fingerprint({"a": 1}), fingerprint({"a": 1, "b": 2})) == ["b"]
    assert differing_fields(fingerprint({"a": 1, "b": 2}), fingerprint({"a": 1})) == ["b"]
    require_same_request((), fingerprint({"a": 1}), request_id="old")
    assert fingerprint({"flag": True}) != fingerprint({"flag": 1})
