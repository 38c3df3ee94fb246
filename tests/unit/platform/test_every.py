"""lifecycle.every: the background rounds of chat's scans and returns' held-refund payer."""
import asyncio

from prilavok_platform.lifecycle import every


async def test_rounds_repeat_survive_a_failed_round_and_end_with_stop() -> None:
    stop, rounds = asyncio.Event(), []

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise RuntimeError("database briefly away")
        if len(rounds) == 4:
            stop.set()

    await asyncio.wait_for(every("test", lambda: 0.001, work, stop), timeout=5)
    assert rounds == [0, 1, 2, 3]


async def test_wait_first_waits_an_interval_and_a_stop_meanwhile_runs_nothing() -> None:
    stop, rounds = asyncio.Event(), []

    async def work() -> None:
        rounds.append(1)

    task = asyncio.create_task(every("test", lambda: 30.0, work, stop, wait_first=True))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert rounds == []
