"""The running suite as processes on embedded NATS + SecantusDB:
CheckMessages throughput over gRPC, and SendMessage throughput through chat -> moderation ->
MongoDB -> outbox -> JetStream -> notify (until every notification is stored)."""
from __future__ import annotations

import asyncio
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


async def bench_check_messages(address: str) -> None:
    rng = random.Random(3)
    texts = [make_message(rng) for _ in range(CHECK_BATCH)]
    md = [("authorization", f"Bearer {mint(As(Role.MODERATOR, 'bench'))}")]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = moderation_pb2_grpc.ModerationServiceStub(channel)
        request = moderation_pb2.CheckMessagesRequest(items=[
            moderation_pb2.CheckMessageRequest(sender_role=common_pb2.ROLE_SELLER, sender_id="bench", text=t) for t in texts])
        await stub.CheckMessages(request, metadata=md)
        started = time.perf_counter()
        semaphore = asyncio.Semaphore(2)

        async def one():
            async with semaphore:
                await stub.CheckMessages(request, metadata=md)

        await asyncio.gather(*(one() for _ in range(CHECK_MESSAGES // CHECK_BATCH)))
        elapsed = time.perf_counter() - started
    print(f"CheckMessages over gRPC: {CHECK_MESSAGES} messages of 500 chars in batches of {CHECK_BATCH}: "
          f"{CHECK_MESSAGES / elapsed:,.0f} messages/s")


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
                                  database_prefix="bench", memory=False, durable=True))
        started = time.perf_counter()
        suite.start()
        print(f"suite start-up (NATS, SecantusDB --sync-on-commit, four services) to SERVING: {time.perf_counter() - started:.1f} s")
        try:
            asyncio.run(bench_check_messages(suite.address("moderation")))
            asyncio.run(bench_send_message(suite))
        finally:
            suite.stop()


if __name__ == "__main__":
    main()
