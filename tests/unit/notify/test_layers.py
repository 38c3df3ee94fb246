"""The notify service layer depends on ports: no library of an adapter (a cache, a driver) in it."""
from __future__ import annotations

import ast
import datetime as dt
import pathlib
import sys

from prilavok_platform.clock import FixedClock
from prilavok_platform.identity import Party
from services.notify.adapters.preferences_cache import TtlPreferencesCache
from services.notify.domain.model import Kind, Preferences

SERVICE_LAYER = pathlib.Path(__file__).parents[3] / "services" / "notify" / "service_layer"
OWN = ("prilavok_platform", "services.notify")


def test_the_service_layer_imports_only_the_standard_library_the_platform_and_notify():
    for path in SERVICE_LAYER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__" or name.startswith(OWN), f"{path.name}: {name}"


def test_cached_preferences_expire_by_the_clock_and_can_be_forgotten():
    clock = FixedClock(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC))
    cache = TtlPreferencesCache(clock, seconds=30)
    shop, muted = Party.shop("s1"), Preferences(frozenset({Kind.REFUND}))
    cache.put(shop, muted)
    clock.advance(dt.timedelta(seconds=29))
    assert cache.get(shop) == muted
    clock.advance(dt.timedelta(seconds=2))
    assert cache.get(shop) is None
    cache.put(shop, muted)
    cache.forget(shop)
    cache.forget(shop)  # forgetting what is not there is fine
    assert cache.get(shop) is None
