"""Calls as a careful client makes them: every mutating request carries a request id; an answer
lost to a crash (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, a dropped connection) is asked again
with the SAME request id and payload until it succeeds (bounded patience); some requests are
sent twice on purpose (at once, right after the answer, or at the end of the flow)."""
from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from prilavok.chat.v1 import chat_pb2_grpc
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok.returns.v1 import returns_pb2_grpc
from prilavok_cli.client import As, mint

RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED})
# What a connection torn down by SIGKILL may look like besides UNAVAILABLE.
TRANSPORT_WORDS = ("RST_STREAM", "Socket closed", "Connection reset", "connection reset", "Broken pipe", "GOAWAY")
STUBS = {
    "chat": chat_pb2_grpc.ChatServiceStub,
    "moderation": moderation_pb2_grpc.ModerationServiceStub,
    "returns": returns_pb2_grpc.ReturnsServiceStub,
}
CHANNEL_OPTIONS = [
    # A restarted service is found again within a second, not after gRPC's default backoff (up to 2 min).
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.use_local_subchannel_pool", 1),
]
DUPLICATE_MODES = ("concurrent", "after_answer", "late")


class Refused(Exception):
    """A final answer other than OK (not retried): FAILED_PRECONDITION, INVALID_ARGUMENT, INTERNAL ..."""

    def __init__(self, service: str, method: str, error: grpc.RpcError):
        self.code: grpc.StatusCode = error.code()
        self.details: str = error.details() or ""
        self.reason, self.metadata, self.fields = error_info(error)
        super().__init__(f"{service}.{method}: {self.code.name}: {self.details}" + (f" (reason {self.reason})" if self.reason else ""))


class GaveUp(Exception):
    """The call did not succeed within the patience allowed (retries included)."""


def error_info(error: grpc.RpcError) -> tuple[str, dict[str, str], dict[str, str]]:
    """ErrorInfo reason and metadata, and BadRequest field -> description, from the rich status."""
    reason: str = ""
    metadata: dict[str, str] = {}
    fields: dict[str, str] = {}
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields.update({v.field: v.description for v in bad.field_violations})
    return reason, metadata, fields


def retry_kind(error: grpc.RpcError) -> str:
    """The name a retryable failure is counted under, or '' when the answer is final."""
    code = error.code()
    if code in RETRYABLE:
        return code.name
    if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN) and any(w in (error.details() or "") for w in TRANSPORT_WORDS):
        return "CONNECTION"
    return ""


@dataclass
class Stats:
    calls: int = 0
    sends: int = 0
    duplicates: Counter = field(default_factory=Counter)  # mode -> duplicate sends
    retries: Counter = field(default_factory=Counter)  # code -> retried attempts
    gave_up: int = 0
    refused: Counter = field(default_factory=Counter)  # "service.Method CODE reason" -> count
    mismatches: list[str] = field(default_factory=list)  # a duplicate answered otherwise than the first


class Channels:
    """A few channels per service (services may run several workers behind one port)."""

    def __init__(self, addresses: dict[str, str], per_service: int = 3):
        self._channels = {name: [grpc.aio.insecure_channel(addr, options=CHANNEL_OPTIONS) for _ in range(per_service)]
                          for name, addr in addresses.items() if name in STUBS}
        self._stubs = {name: itertools.cycle([STUBS[name](c) for c in chans]) for name, chans in self._channels.items()}

    def stub(self, service: str) -> Any:
        return next(self._stubs[service])

    async def close(self) -> None:
        for chans in self._channels.values():
            for channel in chans:
                await channel.close()


_TOKENS: dict[As, list[tuple[str, str]]] = {}


def md(who: As) -> list[tuple[str, str]]:
    if who not in _TOKENS:
        _TOKENS[who] = [("authorization", f"Bearer {mint(who, ttl=6 * 3600)}")]
    return _TOKENS[who]


@dataclass
class Late:
    """A request to send once more at the end of its flow (a client retrying long after)."""

    service: str
    method: str
    request: Any
    who: As
    first: Any
    same: Callable[[Any], Any] | None  # what a late retry must repeat (claims may have moved on since)


class Caller:
    def __init__(self, channels: Channels, stats: Stats, *, patience: float = 60.0, attempt_timeout: float = 15.0,
                 duplicate_rate: float = 0.3):
        self.channels = channels
        self.stats = stats
        self.patience = patience
        self.attempt_timeout = attempt_timeout
        self.duplicate_rate = duplicate_rate

    async def send(self, service: str, method: str, request: Any, who: As) -> Any:
        """One request until it succeeds: retryable failures are asked again as they were."""
        deadline = time.monotonic() + self.patience
        for attempt in itertools.count():
            self.stats.sends += 1
            try:
                call = getattr(self.channels.stub(service), method)
                timeout = min(self.attempt_timeout, max(0.5, deadline - time.monotonic()))
                return await call(request, metadata=md(who), timeout=timeout)
            except grpc.RpcError as error:
                kind = retry_kind(error)
                if not kind:
                    refused = Refused(service, method, error)
                    self.stats.refused[f"{service}.{method} {refused.code.name} {refused.reason}".strip()] += 1
                    raise refused from None
                if time.monotonic() >= deadline:
                    self.stats.gave_up += 1
                    raise GaveUp(f"{service}.{method}: still {kind} after {self.patience:.0f} s ({error.details()})") from None
                self.stats.retries[kind] += 1
                await asyncio.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")

    async def read(self, service: str, method: str, request: Any, who: As) -> Any:
        self.stats.calls += 1
        return await self.send(service, method, request, who)

    async def mutate(self, rng: random.Random, late: list[Late], service: str, method: str, request: Any, who: As,
                     same: Callable[[Any], Any] | None = None, late_same: Callable[[Any], Any] | None = None) -> Any:
        """A mutating call; with `duplicate_rate` it is sent twice under its request id. `same`
        says what of the answer a duplicate must repeat (e.g. the claim id and status), `late_same`
        what a retry at the end of the flow must (default `same`)."""
        self.stats.calls += 1
        mode = rng.choice(DUPLICATE_MODES) if rng.random() < self.duplicate_rate else ""
        if mode == "concurrent":
            self.stats.duplicates[mode] += 1
            first, second = await asyncio.gather(self.send(service, method, request, who),
                                                 self._after(rng.uniform(0, 0.02), service, method, request, who),
                                                 return_exceptions=True)
            if isinstance(first, BaseException):
                raise first
            self.compare(service, method, first, second, same)
            return first
        first = await self.send(service, method, request, who)
        if mode == "after_answer":
            self.stats.duplicates[mode] += 1
            try:
                second = await self.send(service, method, request, who)
            except (Refused, GaveUp) as error:
                second = error
            self.compare(service, method, first, second, same)
        elif mode == "late":
            late.append(Late(service, method, request, who, first, late_same or same))
        return first

    async def _after(self, delay: float, service: str, method: str, request: Any, who: As) -> Any:
        await asyncio.sleep(delay)
        return await self.send(service, method, request, who)

    async def send_late(self, item: Late) -> None:
        self.stats.duplicates["late"] += 1
        try:
            again = await self.send(item.service, item.method, item.request, item.who)
        except (Refused, GaveUp) as error:
            again = error
        self.compare(item.service, item.method, item.first, again, item.same, late=True)

    def compare(self, service: str, method: str, first: Any, second: Any, same: Callable[[Any], Any] | None, late: bool = False) -> None:
        when = "late " if late else ""
        if isinstance(second, BaseException):
            self.stats.mismatches.append(f"{service}.{method}: a {when}duplicate of an answered request failed: {second}")
        elif same is not None and same(first) != same(second):
            self.stats.mismatches.append(f"{service}.{method}: a {when}duplicate answered {same(second)}, the first {same(first)}")
