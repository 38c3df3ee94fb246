"""Process lifecycle: logging, signals that set a stop event, and background tasks that
stop with it. Shutdown order is the AsyncExitStack's: NOT_SERVING -> server.stop(grace) ->
background loops -> drain NATS -> close MongoDB."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from prilavok_platform.config import ConfigError

log = logging.getLogger(__name__)


def configure_logging(service_name: str) -> None:
    level = os.environ.get("PRILAVOK_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format=f"%(asctime)s %(levelname)s {service_name} %(name)s: %(message)s",
        stream=sys.stderr,
    )


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


def install_stop_flag() -> threading.Event:
    """For synchronous supervisors (worker sets, `make run`): SIGINT/SIGTERM set the returned
    event, which the supervisor's polling loop checks."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    return stop


async def every(what: str, interval: Callable[[], float], work: Callable[[], Awaitable[object]], stop: asyncio.Event, *,
                wait_first: bool = False) -> None:
    """Runs `work` every `interval()` seconds (read again each time, so a policy reload applies)
    until `stop` is set, starting at once unless `wait_first`. A failed round is logged and the
    next one tried: a database briefly away must not end the loop (`background` would stop the
    service)."""
    if wait_first and await _stopped_within(stop, interval()):
        return
    while not stop.is_set():
        try:
            await work()
        except Exception:  # noqa: BLE001 - e.g. MongoDB briefly away: try again at the next round
            log.exception("%s failed", what)
        if await _stopped_within(stop, interval()):
            return


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


@contextlib.asynccontextmanager
async def background(name: str, coroutine: Coroutine[Any, Any, None], stop: asyncio.Event) -> AsyncIterator[asyncio.Task[None]]:
    """Runs a loop for the life of the block; on exit waits for it (it watches the stop
    event), cancelling it if it does not finish within 10 s. A loop that dies early stops
    the whole process, so an orchestrator restarts it instead of it running half-alive."""
    task = asyncio.create_task(coroutine, name=name)

    def on_done(finished: asyncio.Task) -> None:
        if not finished.cancelled() and finished.exception() is not None and not stop.is_set():
            log.error("%s died: %r; stopping the service", name, finished.exception())
            stop.set()

    task.add_done_callback(on_done)
    try:
        yield task
    finally:
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=10)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        elif task.exception() is not None:
            log.error("%s had failed: %s", name, task.exception())


def run(service_name: str, service_main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Entry point of a service process: exits 0 on SIGINT/SIGTERM, 2 on bad configuration."""
    configure_logging(service_name)

    async def main() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await service_main(stop)

    try:
        asyncio.run(main())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def _worker_entry(service_name: str, service_main) -> None:
    run(service_name, service_main)


def run_workers(service_name: str, service_main: Callable[[asyncio.Event], Awaitable[None]], workers: int) -> None:
    """Runs `workers` processes of one service sharing its port (SO_REUSEPORT), for CPU-bound
    services. SIGINT/SIGTERM stop them all; if one dies, the rest are stopped and the exit code
    says so, so the orchestrator restarts the whole set."""
    import multiprocessing
    import time

    configure_logging(service_name)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker_entry, args=(service_name, service_main), name=f"{service_name}-{i}")
                 for i in range(workers)]
    stop = install_stop_flag()
    for process in processes:
        process.start()
    log.info("%s: %d worker processes", service_name, workers)
    failed = False
    while not stop.is_set():
        if any(p.exitcode is not None for p in processes):
            failed = True
            log.error("%s: a worker exited (%s); stopping the others", service_name, [p.exitcode for p in processes])
            break
        time.sleep(0.2)
    for process in processes:
        if process.exitcode is None:
            process.terminate()  # SIGTERM: each worker shuts down gracefully
    for process in processes:
        process.join(30)
        if process.exitcode is None:
            process.kill()
    raise SystemExit(1 if failed else 0)
