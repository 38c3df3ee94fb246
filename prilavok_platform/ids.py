"""Identifiers: stable ones derived from what a request names (so a retry finds what the first
attempt made, even after a crash) and random ones. Plain Python.

Each service keeps its own namespace, so equal parts in two services never collide and ids
already stored keep their values."""
from __future__ import annotations

import uuid

SEPARATOR = "\x1f"  # a control character, which validated ids never contain: joins stay unambiguous


class StableIds:
    def __init__(self, namespace: uuid.UUID):
        self._namespace = namespace

    def __call__(self, *parts: str) -> str:
        return uuid.uuid5(self._namespace, SEPARATOR.join(parts)).hex


def random_id() -> str:
    return uuid.uuid4().hex
