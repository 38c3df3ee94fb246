"""Loads the moderation policy from YAML and reloads it when the file changes.
A broken file is refused with a clear error and the previous policy stays in force."""
from __future__ import annotations

import asyncio
import logging
import pathlib

import yaml

from services.moderation.domain.policy import Policy, PolicyError

log = logging.getLogger(__name__)

DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent.parent / "default_policy.yaml"


def load_policy(path: str | pathlib.Path | None = None) -> Policy:
    source = pathlib.Path(path) if path else DEFAULT_POLICY
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {source}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {source} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {source} must hold a mapping at the top level")
    return Policy.from_dict(data)


async def watch_policy(path: str | pathlib.Path | None, on_change, stop: asyncio.Event, interval: float = 2.0) -> None:
    source = pathlib.Path(path) if path else DEFAULT_POLICY
    try:
        last = source.stat().st_mtime_ns
    except OSError:
        last = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
        try:
            mtime = source.stat().st_mtime_ns
        except OSError:
            continue
        if mtime == last:
            continue
        last = mtime
        try:
            policy = load_policy(source)
        except PolicyError as exc:
            log.error("policy reload refused, previous policy stays in force: %s", exc)
            continue
        on_change(policy)
        log.info("policy reloaded: version %s", policy.version)
