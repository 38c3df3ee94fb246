"""Policy files: YAML read into a service's typed policy, and reloaded when the file changes.

Every service keeps its deadlines, limits, fines and names in one policy file (a default ships
beside the service; PRILAVOK_POLICY_FILE points at another). A file that does not parse or
does not validate is refused with an error that names it; on reload the policy in force stays.
"""
from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import yaml

log = logging.getLogger(__name__)

P = TypeVar("P")


class PolicyError(ValueError):
    """The policy file cannot be used; the message says which file and why."""


def load_policy_file(path: str | pathlib.Path, parse: Callable[[dict[str, Any]], P]) -> P:
    """Reads YAML and hands the top-level mapping to `parse`, which raises ValueError on bad content."""
    source = pathlib.Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {source}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {source} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {source} must hold a mapping at the top level")
    try:
        return parse(data)
    except PolicyError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise PolicyError(f"policy file {source}: {exc}") from None


class PolicyHolder(Generic[P]):
    """The policy in force. Handlers read `.current` on every use, so a reload takes effect at
    the next request; listeners (e.g. moderation's engine) are told of each new policy."""

    def __init__(self, path: str | pathlib.Path, parse: Callable[[dict[str, Any]], P], initial: P | None = None):
        self.path = pathlib.Path(path)
        self._parse = parse
        # Taken before reading, so a change made while loading or before `watch` starts is not missed.
        self._seen_mtime = _mtime(self.path)
        self.current: P = initial if initial is not None else load_policy_file(self.path, parse)
        self._listeners: list[Callable[[P], None]] = []

    @staticmethod
    def fixed(policy: P) -> PolicyHolder[P]:
        """A holder that never reloads (tests, tools)."""
        holder: PolicyHolder[P] = PolicyHolder.__new__(PolicyHolder)
        holder.path = pathlib.Path()
        holder._parse = lambda data: policy
        holder._seen_mtime = None
        holder.current = policy
        holder._listeners = []
        return holder

    def on_change(self, listener: Callable[[P], None]) -> None:
        self._listeners.append(listener)

    def replace(self, policy: P) -> None:
        self.current = policy
        for listener in self._listeners:
            listener(policy)

    def reload(self) -> bool:
        """Reads the file again; returns False (and keeps the policy in force) if it is refused."""
        try:
            policy = load_policy_file(self.path, self._parse)
        except PolicyError as exc:
            log.error("policy reload refused, the previous policy stays in force: %s", exc)
            return False
        self.replace(policy)
        log.info("policy reloaded from %s (version %s)", self.path, getattr(policy, "version", "?"))
        return True

    async def watch(self, stop: asyncio.Event, interval: float = 2.0) -> None:
        """Polls the file's modification time until `stop` is set and reloads on change."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass
            mtime = _mtime(self.path)
            if mtime is None or mtime == self._seen_mtime:
                continue
            self._seen_mtime = mtime
            self.reload()


def _mtime(path: pathlib.Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def holder_from_settings(configured_path: str, default_path: pathlib.Path, parse: Callable[[dict[str, Any]], P],
                         errors: list[str]) -> PolicyHolder[P] | None:
    """The policy holder of a service at start-up: the file PRILAVOK_POLICY_FILE names, else the
    default shipped beside the service. A file that cannot be used is added to the settings'
    `errors` naming the variable (so it is reported with every other configuration problem) and
    None is returned."""
    path = pathlib.Path(configured_path) if configured_path else default_path
    try:
        return PolicyHolder(path, parse)
    except PolicyError as exc:
        errors.append(f"PRILAVOK_POLICY_FILE={str(path)!r}: {exc}")
        return None
