"""`python -m tests.chaos [--flows N] [--concurrency N] [--kills N] [--seed N] [--json FILE]`:
exits 1 when any acknowledged outcome is lost or doubled, or the ledger does not verify."""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

from tests.chaos.run import Options, render, run, summary


def parse(argv: list[str]) -> tuple[Options, pathlib.Path | None]:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--flows", type=int, default=defaults.flows, help="claim/refund/fine flows (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="flows at once (default %(default)s)")
    parser.add_argument("--kills", type=int, default=defaults.kills, help="SIGKILLs during the load (default %(default)s)")
    parser.add_argument("--kill-services", default=",".join(defaults.kill_services),
                        help="services to kill, in turn (default %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="flow mix, amounts, duplicates, kill order (default %(default)s)")
    parser.add_argument("--duplicates", type=float, default=defaults.duplicate_rate,
                        help="share of mutating requests sent twice (default %(default)s)")
    parser.add_argument("--patience", type=float, default=defaults.patience, help="seconds one call may keep being retried")
    parser.add_argument("--settle-timeout", type=float, default=defaults.settle_timeout, help="seconds to wait for fines to arrive")
    parser.add_argument("--redelivery-wait", type=float, default=defaults.redelivery_s,
                        help="seconds after the last restart before the final reading (a consumer's ack wait)")
    parser.add_argument("--fines-first", action="store_true", help="run the fine flows before the others (as the smoke test does)")
    parser.add_argument("--state-dir", type=pathlib.Path, help="keep the suite's data and logs here (default: a temporary directory)")
    parser.add_argument("--keep-state", action="store_true", help="keep the temporary directory even when the run passes")
    parser.add_argument("--json", type=pathlib.Path, help="write the report as JSON to this file")
    args = parser.parse_args(argv)
    services = tuple(s for s in args.kill_services.split(",") if s)
    unknown = set(services) - {"returns", "moderation", "chat", "notify"}
    if unknown:
        parser.error(f"--kill-services: unknown {sorted(unknown)}")
    if args.flows < 1 or args.concurrency < 1 or args.kills < 0:
        parser.error("--flows and --concurrency must be positive, --kills not negative")
    return Options(flows=args.flows, concurrency=args.concurrency, kills=args.kills, kill_services=services, seed=args.seed,
                   duplicate_rate=args.duplicates, patience=args.patience, settle_timeout=args.settle_timeout,
                   redelivery_s=args.redelivery_wait, fines_first=args.fines_first, state_dir=args.state_dir, keep_state=args.keep_state), args.json


def main(argv: list[str] | None = None) -> int:
    options, json_path = parse(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()

    def log(line: str) -> None:
        print(f"{time.monotonic() - started:7.1f}s  {line}", flush=True)

    result = run(options, log)
    report = summary(result)
    print(render(report), flush=True)
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        print(f"report written to {json_path}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
