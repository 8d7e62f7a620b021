"""Failover as a benchmark scenario: time to recover from each fault.

    python -m bench.failover [--runs 3] [--write]

Runs the failover suite (tests/ha/test_failover.py: the real cluster of
`make cluster`, clients through HAProxy sending 8 messages/s, one fault per
test, the invariants checked after each) `--runs` times, reads the RECOVERY
line each test prints, and reports the median and the worst of each figure.
`--write` puts the table in bench/RESULTS.md between the failover markers
(the rest of that file is `python -m bench`'s) and the raw lines in
bench/results/failover.json. Kept apart from bench/runner.py: its own
cluster, its own file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE_DIR = HERE.parent
START, END = "<!-- failover:start -->", "<!-- failover:end -->"
FIGURES = {
    "failover": r"failover ([\d.]+)s",
    "acks": r"acks resumed within ([\d.]+)s",
    "healthz": r"healthz 200 on all after ([\d.]+)s",
    "presence": r"presence right after ([\d.]+)s",
    "delivery": r"worst delivery ([\d.]+)s",
}
HEADINGS = {
    "failover": "new master named",
    "acks": "longest time without an ack",
    "healthz": "/healthz 200 on all again",
    "presence": "presence right again",
    "delivery": "worst send → everywhere",
}


def run_suite() -> list[str]:
    command = [
        sys.executable, "-m", "pytest", "-m", "ha", "-s", "-q",
        "-p", "no:cacheprovider", "tests/ha/test_failover.py",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=BASE_DIR, capture_output=True, text=True, timeout=1800
    )
    lines = [x for x in done.stdout.splitlines() if "RECOVERY " in x]
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:])
        raise SystemExit(f"the failover suite failed (exit {done.returncode})")
    return [x[x.index("RECOVERY ") :] for x in lines]


def parse(line: str) -> tuple[str, dict[str, float]]:
    fault = line.removeprefix("RECOVERY ").split(":", 1)[0]
    figures = {}
    for name, pattern in FIGURES.items():
        found = re.search(pattern, line)
        figures[name] = float(found.group(1)) if found else float("nan")
    return fault, figures


def table(runs: list[list[str]]) -> str:
    by_fault: dict[str, list[dict[str, float]]] = {}
    for lines in runs:
        for line in lines:
            fault, figures = parse(line)
            by_fault.setdefault(fault, []).append(figures)
    head = "| fault | " + " | ".join(HEADINGS.values()) + " |"
    rows = [head, "|" + "---|" * (len(HEADINGS) + 1)]
    for fault, samples in by_fault.items():
        cells = []
        for name in HEADINGS:
            values = [s[name] for s in samples]
            cells.append(f"{statistics.median(values):.1f} s (max {max(values):.1f})")
        rows.append(f"| {fault} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def section(runs: list[list[str]], seconds: float) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR,
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    n = len(runs)
    return f"""{START}
## Failover: time to recover (bench/failover.py)

`python -m bench.failover --runs {n} --write` on {when}, code at {commit},
{seconds:.0f} s in all; {os.cpu_count()} cores, Python
{platform.python_version()}, load average at the end {load} (the machine
is shared with other engineers' test runs).

The cluster of `make cluster` (three Redis, three Sentinels with quorum 2
and a 1 s down-after, three chat servers, HAProxy), PRESENCE_TTL=4,
PRESENCE_HEARTBEAT=1, the pub/sub canary every 1 s; 8 clients in two rooms
through HAProxy, 4 of them sending 2 messages/s each, retrying with their
client_id. Seconds from the fault; the median of {n} runs, the worst in
brackets. Every run also checked the invariants (each acknowledged message
stored once, every client holding 1..N once, presence right, /healthz 200
everywhere, a final message on every socket), and passed.

- *new master named*: until the Sentinels agree on another master (for
  "all Redis down": the 10 s outage and the restart).
- *longest time without an ack*: the longest gap between two acknowledged
  sends after the fault: how long sending stalled.
- *worst send → everywhere*: the longest a message sent after the fault
  took to reach every client of its room (retries and repairs included).

{table(runs)}
{END}"""


def write(runs: list[list[str]], seconds: float) -> None:
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "failover.json").write_text(json.dumps(runs, indent=1) + "\n")
    path = HERE / "RESULTS.md"
    text = path.read_text()
    new = section(runs, seconds)
    if START in text and END in text:
        text = text[: text.index(START)] + new + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 11))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    runs = []
    for n in range(args.runs):
        print(f"run {n + 1} of {args.runs}…", flush=True)
        runs.append(run_suite())
        for line in runs[-1]:
            print(" ", line, flush=True)
    print(table(runs))
    if args.write:
        write(runs, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
