"""One crash-test run: start the suite (durable embedded MongoDB, free ports), drive the flows with
the killer going, let the asynchronous paths settle, verify, report."""
from __future__ import annotations

import asyncio
import pathlib
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from devstack.suite import Suite, SuiteConfig, free_ports
from tests.chaos.calls import Caller, Channels, Stats
from tests.chaos.checks import Settling, Verification, settle, verify
from tests.chaos.flows import Flows, Outcomes, plan
from tests.chaos.killer import Killer

SERVICES = ("moderation", "chat", "returns", "notify")


@dataclass
class Options:
    flows: int = 600
    # 30 flows at once: at 50, on 2 cores, the embedded SecantusDB's transaction registry (one lock
    # that every statement takes, pruning every transaction under it) turns into a convoy in about
    # half the runs: the CPU idles, transactions time out at their 10 s bound, some calls never get
    # through within 60 s. A real mongod has no such lock; `--concurrency 50` shows it.
    concurrency: int = 30
    kills: int = 8
    kill_services: tuple[str, ...] = ("returns", "moderation", "chat")
    seed: int = 7
    duplicate_rate: float = 0.3
    patience: float = 60.0
    settle_timeout: float = 240.0
    # A consumer's unacknowledged event comes again after its ack wait (30 s): wait that long after
    # the last restart before the final reading, so that a redelivery that doubles money shows.
    redelivery_s: float = 35.0
    # The fine flows before the others: a quick run whose kills land among claims only. A penalty
    # event published just as returns is killed can wait out the consumer's ack wait (30 s: the
    # dead process's pull request takes it), which the smoke test does not want to sit through;
    # `make chaos` mixes them.
    fines_first: bool = False
    state_dir: pathlib.Path | None = None
    keep_state: bool = False


@dataclass
class Run:
    options: Options
    log: Callable[[str], None]
    stats: Stats = field(default_factory=Stats)
    outcomes: Outcomes = field(default_factory=Outcomes)
    figures: dict = field(default_factory=dict)
    kills: list[dict] = field(default_factory=list)
    settling: Settling | None = None
    verification: Verification | None = None
    problems: list[str] = field(default_factory=list)


def run(options: Options, log: Callable[[str], None] = print) -> Run:
    result = Run(options, log)
    state = options.state_dir or pathlib.Path(tempfile.mkdtemp(prefix="prilavok-chaos-"))
    started = time.monotonic()
    suite = Suite(SuiteConfig(state_dir=state, ports=free_ports(), subject_prefix="chaos", database_prefix="chaos", memory=False,
                              durable=True), progress=log)
    suite.start(timeout=120)
    result.figures["startup_s"] = round(time.monotonic() - started, 1)
    log(f"suite SERVING after {result.figures['startup_s']} s (state and logs in {state})")
    try:
        asyncio.run(drive(suite, result))
    finally:
        codes = suite.stop()
        result.figures["wall_s"] = round(time.monotonic() - started, 1)
    for name in SERVICES:
        if codes.get(name) != 0:
            result.problems.append(f"{name} exited with code {codes.get(name)} when stopped (SIGTERM)")
    result.figures["tracebacks_in_logs"] = {name: _count(state / "logs" / f"{name}.log", "Traceback") for name in SERVICES}
    result.problems = [*result.outcomes.problems, *result.stats.mismatches,
                       *(result.verification.problems if result.verification else []), *result.problems]
    if result.settling is not None and not result.settling.complete:
        result.problems.append(f"not settled within {options.settle_timeout:.0f} s: {result.settling.fines_posted}/"
                               f"{result.settling.fines_expected} expected fines posted")
    if result.problems or options.keep_state:
        result.figures["state_dir"] = str(state)
    elif options.state_dir is None:
        shutil.rmtree(state, ignore_errors=True)
    return result


def _count(path: pathlib.Path, word: str) -> int:
    try:
        return path.read_text(errors="replace").count(word)
    except OSError:
        return 0


async def drive(suite: Suite, result: Run) -> None:
    options, outcomes = result.options, result.outcomes
    channels = Channels({name: suite.address(name) for name in SERVICES})
    caller = Caller(channels, result.stats, patience=options.patience, duplicate_rate=options.duplicate_rate)
    flows = Flows(caller, outcomes, f"c{options.seed}", options.seed)
    killer = Killer(suite, caller, outcomes, f"c{options.seed}", list(options.kill_services), options.kills, options.flows,
                    flows.paid_at, result.log)
    killer.rng.seed(options.seed)
    kinds = plan(options.flows, options.seed, options.fines_first)
    pending = iter(enumerate(kinds))
    started = time.monotonic()

    async def worker() -> None:
        for index, kind in pending:
            await flows.run(index, kind)

    progress = asyncio.create_task(_progress(result, started, options.flows))
    try:
        await asyncio.gather(killer.run(), *(worker() for _ in range(options.concurrency)))
    finally:
        progress.cancel()
    result.figures["load_s"] = round(time.monotonic() - started, 1)
    result.kills = killer.report()
    result.log(f"load done in {result.figures['load_s']} s; settling (fines through chat -> moderation -> returns) ...")
    audit = Caller(channels, Stats(), patience=options.patience)  # reads after the load are not counted as load
    result.settling = await settle(audit, outcomes, timeout=options.settle_timeout, after_restart=killer.last_restart,
                                   redelivery_s=options.redelivery_s if options.kills else 0.0, log=result.log)
    verifying = time.monotonic()
    result.verification = await verify(audit, outcomes)
    result.figures["verify_s"] = round(time.monotonic() - verifying, 1)
    await channels.close()


async def _progress(result: Run, started: float, total: int) -> None:
    while True:
        await asyncio.sleep(10)
        stats = result.stats
        result.log(f"[{time.monotonic() - started:7.1f}s] {result.outcomes.done}/{total} flows, {stats.sends} requests sent, "
                   f"{sum(stats.duplicates.values())} duplicates, {sum(stats.retries.values())} retries")


def summary(result: Run) -> dict:
    outcomes, stats, kills = result.outcomes, result.stats, result.kills
    probes = [k["probe_s"] for k in kills if k["service"] == "returns" and k["probe_s"] is not None]
    refused = Counter(f"{r.stage} {r.reason}" for r in outcomes.refused)
    return {
        "ok": not result.problems,
        "options": {k: (str(v) if isinstance(v, pathlib.Path) else v) for k, v in vars(result.options).items()},
        "figures": result.figures,
        "flows": {"total": sum(outcomes.flows.values()), "by_kind": dict(outcomes.flows), "failed": dict(outcomes.failed_flows)},
        "requests": {"calls": stats.calls, "sent": stats.sends, "duplicates": sum(stats.duplicates.values()),
                     "duplicates_by_mode": dict(stats.duplicates), "retries": sum(stats.retries.values()),
                     "retries_by_kind": dict(stats.retries), "gave_up": stats.gave_up, "refused": dict(stats.refused)},
        "kills": kills,
        "item9_record_purchase_after_returns_restart_s": {"max": max(probes, default=None), "all": probes},
        "acknowledged": {
            "sales": len(outcomes.sales), "refunds": len(outcomes.refunds),
            "refunded_minor": sum(r.refund for r in outcomes.refunds), "shipping_minor": sum(r.shipping for r in outcomes.refunds),
            "held_refunds": len(outcomes.held), "second_claims_refused": dict(refused), "fines_expected": len(outcomes.fines),
        },
        "settling": vars(result.settling) if result.settling else None,
        "verification": {k: v for k, v in vars(result.verification).items() if k not in ("problems", "fine_delays", "fine_times")}
        if result.verification else None,
        "fine_delay_s": _spread(result.verification.fine_delays if result.verification else []),
        "fines_issued_posted_utc": sorted(result.verification.fine_times) if result.verification else [],
        "problems": result.problems,
    }


def _spread(values: list[float]) -> dict:
    """Median, 95th percentile, maximum, and how many took over 5 s."""
    ordered = sorted(values)
    if not ordered:
        return {}
    return {"p50": ordered[len(ordered) // 2], "p95": ordered[int(len(ordered) * 0.95)], "max": ordered[-1],
            "over_5s": sum(1 for v in ordered if v > 5)}


def render(report: dict) -> str:
    f, r, a = report["figures"], report["requests"], report["acknowledged"]
    vl = (report["verification"] or {}).get("verify_ledger")
    probes = report["item9_record_purchase_after_returns_restart_s"]
    lines = [
        "", "== crash test " + ("PASSED" if report["ok"] else "FAILED"),
        f"flows        {report['flows']['total']} {report['flows']['by_kind']}, failed {report['flows']['failed'] or 0}",
        f"requests     {r['calls']} calls, {r['sent']} sent, {r['duplicates']} duplicates {r['duplicates_by_mode']}, "
        f"{r['retries']} retries {r['retries_by_kind']}, gave up {r['gave_up']}",
        f"kills        {len(report['kills'])}: " + ", ".join(f"{k['service']}@{k['at_s']}s (down {k['down_s']}s)" for k in report["kills"]),
        f"item 9       RecordPurchase for another shop after returns SERVING again: max {probes['max']} s, all {probes['all']}",
        f"acknowledged {a['sales']} sales, {a['refunds']} refunds ({a['refunded_minor'] / 100:,.2f} RUB + shipping "
        f"{a['shipping_minor'] / 100:,.2f} RUB), {a['held_refunds']} held, second claims refused {a['second_claims_refused']}, "
        f"{a['fines_expected']} fines expected",
        f"settling     {report['settling']}",
        f"fines        penalty issued -> fine posted (s): {report['fine_delay_s']}",
        f"VerifyLedger {'not available (returns has no VerifyLedger yet)' if vl is None else vl}",
        f"time         start-up {f.get('startup_s')} s, load {f.get('load_s')} s, verify {f.get('verify_s')} s, wall {f.get('wall_s')} s",
        f"logs         tracebacks {f.get('tracebacks_in_logs')}" + (f", state kept in {f['state_dir']}" if "state_dir" in f else ""),
        f"problems     {len(report['problems'])}",
    ]
    lines += [f"  - {p}" for p in report["problems"][:200]]
    if len(report["problems"]) > 200:
        lines.append(f"  ... and {len(report['problems']) - 200} more (see the JSON report)")
    return "\n".join(lines)
