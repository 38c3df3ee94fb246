"""The running suite as processes on embedded NATS + SecantusDB:
CheckMessages throughput over gRPC, and SendMessage throughput through chat -> moderation ->
MongoDB -> outbox -> JetStream -> notify (until every notification is stored)."""
from __future__ import annotations

import asyncio
import os
import pathlib
import random
import tempfile
import time
import uuid

import grpc

from bench.moderation_engine import make_message
from devstack.suite import Suite, SuiteConfig, free_ports
from prilavok.chat.v1 import chat_pb2, chat_pb2_grpc
from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2, moderation_pb2_grpc
from prilavok.notify.v1 import notify_pb2, notify_pb2_grpc
from prilavok_cli.client import As, mint
from prilavok_platform.auth import Role

CHECK_MESSAGES = 30_000
CHECK_BATCH = 500
SENDS = 600
CONCURRENCY = 16


async def bench_check_messages(address: str, texts: list[str], label: str) -> None:
    md = [("authorization", f"Bearer {mint(As(Role.MODERATOR, 'bench'))}")]
    rng = random.Random(3)
    request = moderation_pb2.CheckMessagesRequest(items=[
        moderation_pb2.CheckMessageRequest(sender_role=rng.choice([common_pb2.ROLE_SELLER, common_pb2.ROLE_BUYER]),
                                           sender_id="bench", text=rng.choice(texts)) for _ in range(CHECK_BATCH)])
    # One connection per worker process and a spare: SO_REUSEPORT spreads connections, not calls.
    channels = [grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(4)]
    stubs = [moderation_pb2_grpc.ModerationServiceStub(c) for c in channels]
    for stub in stubs:
        await stub.CheckMessages(request, metadata=md)
    started = time.perf_counter()
    calls = CHECK_MESSAGES // CHECK_BATCH

    async def lane(stub, count):
        for _ in range(count):
            await stub.CheckMessages(request, metadata=md)

    await asyncio.gather(*(lane(stub, calls // len(stubs)) for stub in stubs))
    elapsed = time.perf_counter() - started
    for channel in channels:
        await channel.close()
    done = (calls // len(stubs)) * len(stubs) * CHECK_BATCH
    print(f"CheckMessages over gRPC ({label}, batches of {CHECK_BATCH}, 4 connections): {done / elapsed:,.0f} messages/s")


async def bench_send_message(suite: Suite) -> None:
    buyer, seller = As(Role.BUYER, "bench-buyer"), As(Role.SELLER, "bench-seller", "bench-shop")
    buyer_md = [("authorization", f"Bearer {mint(buyer)}")]
    seller_md = [("authorization", f"Bearer {mint(seller)}")]
    async with grpc.aio.insecure_channel(suite.address("chat")) as chat_channel, grpc.aio.insecure_channel(suite.address("notify")) as notify_channel:
        chat = chat_pb2_grpc.ChatServiceStub(chat_channel)
        notify = notify_pb2_grpc.NotifyServiceStub(notify_channel)
        threads = []
        for i in range(CONCURRENCY):
            reply = await chat.CreateThread(chat_pb2.CreateThreadRequest(
                request_id=f"t{i}", kind=chat_pb2.THREAD_KIND_ORDER, order_id=f"bench-{i}", shop_id="bench-shop"), metadata=buyer_md)
            threads.append(reply.thread.thread_id)
        latencies: list[float] = []
        started = time.perf_counter()

        async def worker(thread_id: str, count: int):
            for n in range(count):
                t0 = time.perf_counter()
                await chat.SendMessage(chat_pb2.SendMessageRequest(
                    request_id=uuid.uuid4().hex, thread_id=thread_id, text=f"Здравствуйте! Вопрос по заказу, сообщение {n}"), metadata=buyer_md)
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker(t, SENDS // CONCURRENCY) for t in threads))
        sent_elapsed = time.perf_counter() - started
        total = (SENDS // CONCURRENCY) * CONCURRENCY
        while True:
            unread = (await notify.ListNotifications(notify_pb2.ListNotificationsRequest(page_size=1), metadata=seller_md)).unread_count
            if unread >= total or time.perf_counter() - started > 120:
                break
            await asyncio.sleep(0.05)
        all_elapsed = time.perf_counter() - started
    latencies.sort()
    print(f"SendMessage (buyer, {CONCURRENCY} concurrent threads, {total} messages): {total / sent_elapsed:,.0f} messages/s, "
          f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms; "
          f"all {unread} notifications stored after {all_elapsed:.1f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as state:
        suite = Suite(SuiteConfig(state_dir=pathlib.Path(state), ports=free_ports(), subject_prefix="bench",
                                  database_prefix="bench", memory=False, durable=True,
                                  extra_env={"PRILAVOK_WORKERS": os.environ.get("BENCH_MODERATION_WORKERS", "2")}))
        started = time.perf_counter()
        suite.start()
        print(f"suite start-up (NATS, SecantusDB --sync-on-commit, four services) to SERVING: {time.perf_counter() - started:.1f} s")
        try:
            from bench.moderation_engine import labelled_texts

            texts = labelled_texts()
            asyncio.run(bench_check_messages(suite.address("moderation"), texts, "labelled-set messages as written"))
            from bench.moderation_engine import make_typical

            rng = random.Random(5)
            honest = labelled_texts(honest_only=True)
            asyncio.run(bench_check_messages(suite.address("moderation"), [make_typical(rng, honest) for _ in range(200)],
                                             "500-char honest messages"))
            long_texts = [make_message(rng) for _ in range(200)]
            asyncio.run(bench_check_messages(suite.address("moderation"), long_texts, "500-char obfuscation-heavy messages"))
            asyncio.run(bench_send_message(suite))
        finally:
            suite.stop()


if __name__ == "__main__":
    main()
