"""SIGKILLs services while the flows run, restarts them, and measures how soon unrelated writes go
through again (issue 7, item 9: within 1 s of the restarted service SERVING)."""
from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from devstack.suite import Suite
from prilavok.chat.v1 import chat_pb2
from prilavok.returns.v1 import returns_pb2
from prilavok_cli.client import As
from prilavok_platform.auth import Role
from tests.chaos.calls import Caller, Channels, GaveUp, Refused, Stats
from tests.chaos.flows import ORDERS, Outcomes, Sale, rub

BURST = 6  # purchases recorded one after another by this many writers around a kill of returns
PROBE_LIMIT_S = 1.0


@dataclass
class Kill:
    n: int
    service: str
    at_s: float  # since the load started
    flows_done: int
    at_utc: str = ""
    down_s: float = 0.0  # SIGKILL to the new process SERVING
    probe: str = ""
    probe_s: float | None = None  # SERVING to the first unrelated write acknowledged
    probe_attempts: int = 0
    probe_retries: dict = field(default_factory=dict)
    error: str = ""


@dataclass
class Killer:
    suite: Suite
    caller: Caller
    outcomes: Outcomes
    tag: str
    services: list[str]
    count: int
    total_flows: int
    paid_at: Any
    log: Callable[[str], None]
    rng: random.Random = field(default_factory=random.Random)
    kills: list[Kill] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    last_restart: float = 0.0

    def plan(self) -> list[str]:
        """`count` services to kill, every listed one in turn (returns first), order shuffled per round."""
        order: list[str] = []
        while len(order) < self.count:
            rest = [s for s in self.services if s != "returns"]
            self.rng.shuffle(rest)
            order += (["returns"] if "returns" in self.services else []) + rest
        return order[:self.count]

    async def run(self) -> None:
        for n, service in enumerate(self.plan(), 1):
            threshold = self.total_flows * n / (self.count + 1)
            while self.outcomes.done < threshold:
                await asyncio.sleep(0.05)
            await self.kill(n, service)

    async def kill(self, n: int, service: str) -> None:
        kill = Kill(n, service, round(time.monotonic() - self.started, 1), self.outcomes.done)
        kill.at_utc = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        self.kills.append(kill)
        writing = asyncio.Event()
        burst = [asyncio.create_task(self.write_load(f"k{n}w{i}", writing)) for i in range(BURST if service == "returns" else 0)]
        if burst:  # purchases being recorded at the moment of the kill: their transactions are left open
            await asyncio.sleep(self.rng.uniform(0.3, 0.8))
        killed = time.monotonic()
        await asyncio.to_thread(self.suite.kill, service)
        self.log(f"[{kill.at_s:7.1f}s] SIGKILL {service} (kill {n}/{self.count}, {kill.flows_done} flows done)")
        await asyncio.sleep(self.rng.uniform(0.1, 1.5))
        try:
            await asyncio.to_thread(self.suite.restart, service, 60)
        except Exception as error:  # a restart that fails is a finding, and the service is tried once more
            kill.error = f"restart failed: {error}"
            self.outcomes.problems.append(f"kill {n}: {service} did not restart: {error}")
            await asyncio.to_thread(self.suite.restart, service, 60)
        serving = time.monotonic()
        self.last_restart = serving
        kill.down_s = round(serving - killed, 2)
        await self.probe(kill, serving)
        writing.set()
        self.log(f"[{time.monotonic() - self.started:7.1f}s] {service} SERVING again after {kill.down_s:.2f} s"
                 + (f"; {kill.probe} acknowledged {kill.probe_s:.3f} s after SERVING" if kill.probe_s is not None else ""))
        await asyncio.gather(*burst)

    async def write_load(self, name: str, stop: asyncio.Event) -> None:
        """Purchases for new shops, one after another, until told to stop (each retried until acknowledged)."""
        for i in range(10_000):
            if stop.is_set():
                return
            try:
                await self.record(f"{name}-{i}")
            except (Refused, GaveUp) as error:
                self.outcomes.problems.append(f"RecordPurchase {name}-{i} around a kill failed: {error}")
                return

    async def probe(self, kill: Kill, serving: float) -> None:
        """A write no crashed transaction touched, right after SERVING: a new shop's purchase (returns),
        a new thread's message (chat). Moderation has no such write of its own over gRPC. It goes
        over a new connection, so that what is timed is the server, not a channel's reconnect backoff."""
        if kill.service not in ("returns", "chat"):
            return
        channels = Channels({kill.service: self.suite.address(kill.service)}, per_service=1)
        caller = Caller(channels, Stats(), patience=self.caller.patience)
        try:
            if kill.service == "returns":
                kill.probe = "RecordPurchase for another shop"
                await self.record(f"k{kill.n}-probe", caller)
            else:
                kill.probe = "CreateThread + SendMessage in a new thread"
                await self.chat_probe(kill.n, caller)
        except (Refused, GaveUp) as error:
            kill.error = str(error)
            self.outcomes.problems.append(f"kill {kill.n}: the probe after restarting {kill.service} failed: {error}")
            return
        finally:
            await channels.close()
        kill.probe_s = round(time.monotonic() - serving, 3)
        kill.probe_attempts = caller.stats.sends
        kill.probe_retries = dict(caller.stats.retries)
        if kill.probe_s > PROBE_LIMIT_S:
            self.outcomes.problems.append(f"kill {kill.n}: after a SIGKILL of {kill.service}, {kill.probe} took {kill.probe_s:.2f} s "
                                          f"after SERVING ({kill.probe_attempts} requests, retried {kill.probe_retries}; "
                                          f"limit {PROBE_LIMIT_S:.0f} s)")

    async def record(self, name: str, caller: Caller | None = None) -> None:
        shop = f"{self.tag}-{name}"
        purchase = returns_pb2.Purchase(order_id=f"{self.tag}-{name}", item_id="sku-probe", item_name="Кабель", buyer_id=f"{self.tag}-pb",
                                        shop_id=shop, price=rub(199_00), quantity=1)
        purchase.paid_at.FromDatetime(self.paid_at)
        reply = await (caller or self.caller).send("returns", "RecordPurchase", returns_pb2.RecordPurchaseRequest(request_id=name, purchase=purchase),
                                       ORDERS)
        self.outcomes.shops.add(shop)
        self.outcomes.sales.append(Sale(reply.purchase.purchase_id, shop, 199_00, -1))

    async def chat_probe(self, n: int, caller: Caller) -> None:
        buyer = As(Role.BUYER, f"{self.tag}-k{n}-buyer")
        create = chat_pb2.CreateThreadRequest(request_id=f"k{n}", kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"{self.tag}-k{n}",
                                              shop_id=f"{self.tag}-k{n}-shop")
        thread = (await caller.send("chat", "CreateThread", create, buyer)).thread
        await caller.send("chat", "SendMessage", chat_pb2.SendMessageRequest(
            request_id=f"k{n}", thread_id=thread.thread_id, text="Здравствуйте! Заказ ещё в пути?"), buyer)

    def report(self) -> list[dict]:
        return [asdict(k) for k in self.kills]
