"""`python -m bench [--smoke] [--only 1,2,...] [--rounds N] [--no-profile]`

Starts a private Redis, a fresh database under var/bench/, our server and the
ceiling server, runs the scenarios (interleaved A B A B), stops everything,
and writes bench/RESULTS.md and bench/results/*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bench import report
from bench.runner import Bench, full_specs, smoke_specs
from bench.servers import BASE_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny numbers, seconds")
    parser.add_argument("--only", help="comma-separated scenario keys, e.g. 1,2,7a")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (A B each)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave RESULTS.md alone"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite RESULTS.md from bench/results/latest.json (no run)",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        results = json.loads((report.HERE / "results" / "latest.json").read_text())
        print(f"wrote {report.write(results)}")
        return 0
    specs = smoke_specs() if args.smoke else full_specs()
    if args.smoke:
        # Never share files with a full run that may be going on.
        os.environ.setdefault("BENCH_VAR", str(BASE_DIR / "var" / "bench-smoke"))
    if args.only:
        keys = set(args.only.split(","))
        specs = [s for s in specs if s.key in keys or s.key.rstrip("ab") in keys]
    if args.rounds:
        for spec in specs:
            spec.rounds = args.rounds
    # One user per socket: enough users and rooms for the largest scenario.
    sockets = [s.params.get("sockets", 0) for s in specs]
    rooms = [s.params.get("rooms", 0) for s in specs]
    bench = Bench(
        specs=specs,
        profile=not (args.no_profile or args.smoke),
        users=max([50 if args.smoke else 1000, *sockets]) + 1,
        rooms=max([5 if args.smoke else 50, *rooms]),
    )
    results = bench.run()
    if args.smoke or args.no_write:
        print(report.markdown(results))
    else:
        path = report.write(results)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
