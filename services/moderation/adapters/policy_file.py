"""Kept only for callers outside the moderation service's files that still import `load_policy`
from here (tests/integration/test_telemetry.py, bench/moderation_engine.py): the default policy
and `load_policy` now live in `services.moderation.bootstrap`. Delete this module once they
import from there."""
from __future__ import annotations

from services.moderation.bootstrap import DEFAULT_POLICY, load_policy

__all__ = ["DEFAULT_POLICY", "load_policy"]
