"""bench/RESULTS.md and bench/results/*.json from one run's results."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from bench import plots, report_connect

HERE = Path(__file__).resolve().parent
FINDINGS = HERE / "FINDINGS.md"  # hand-written analysis, included verbatim

RUN_COLUMNS = [
    ("server", "server"),
    ("round", "#"),
    ("connections_ok", "conn ok"),
    ("connections_failed", "failed"),
    ("sent", "sent"),
    ("expected", "expected"),
    ("received", "received"),
    ("lost", "lost"),
    ("duplicates", "dup"),
    ("unrepaired_gaps", "gaps (unrepaired)"),
    ("deliveries_per_s", "deliveries/s"),
    ("p50_ms", "p50 ms"),
    ("p90_ms", "p90 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("server_cpu_s", "server+Redis CPU s"),
    ("server_cpu_us_per_delivery", "CPU µs/delivery"),
    ("threads", "event loop / database thread µs/message"),
    ("rss", "server RSS MB"),
    ("redis", "Redis CPU s / RSS MB"),
    ("loadgen", "load gen CPU s"),
    ("others_cpu_s", "other programs' CPU s"),
    ("closes", "unexpected closes"),
]
STEP_COLUMNS = [
    ("offered_msgs_per_s", "offered msg/s"),
    ("attempt", "try"),
    ("sent", "sent"),
    ("expected", "expected"),
    ("received", "received"),
    ("lost", "lost"),
    ("duplicates", "dup"),
    ("deliveries_per_s", "deliveries/s"),
    ("messages_per_s", "msg/s stored+echoed"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("server_cpu_us_per_delivery", "CPU µs/delivery"),
    ("activity_received", "room.activity received"),
    ("activity_lost", "room.activity lost"),
    ("others_cpu_s", "other programs' CPU s"),
    ("sustained", "sustained"),
]


def _cell(run: dict, key: str) -> str:
    procs = run.get("processes", {})
    if key == "rss":
        return " + ".join(
            str(v["rss_peak_mb"]) for k, v in procs.items() if k.startswith("server")
        )
    if key == "redis":
        redis = procs.get("redis")
        return f"{redis['cpu_s']} / {redis['rss_peak_mb']}" if redis else "-"
    if key == "loadgen":
        return str(procs.get("loadgen", {}).get("cpu_s", "-"))
    if key == "closes":
        return json.dumps(run.get("unexpected_closes") or {}) or "{}"
    if key == "threads":
        split = run.get("thread_us_per_message") or []
        return " / ".join(f"{value:.0f}" for value in split[:2]) or "-"
    value = run.get(key)
    return "-" if value is None else str(value)


def _table(rows: list[dict], columns: list[tuple[str, str]]) -> list[str]:
    lines = [
        "| " + " | ".join(title for _, title in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(_cell(r, k) for k, _ in columns) + " |" for r in rows]
    return lines


def _ratio_line(entry: dict) -> str:
    m = entry.get("medians") or {}
    ratio = m.get("ratio") or {}
    parts = []
    for key, label in [
        ("deliveries_per_s", "deliveries/s"),
        ("messages_per_s", "msg/s"),
        ("server_cpu_us_per_delivery", "CPU/delivery"),
        ("p50_ms", "p50"),
        ("p99_ms", "p99"),
        ("connects_per_s", "connects/s"),
        ("rss_per_socket_kb", "RSS/socket"),
        ("rss_cold_per_socket_kb", "cold RSS/socket"),
    ]:
        if key in ratio:
            ours = m["ours"][key]
            ceiling = m["ceiling"][key]
            parts.append(f"{label} {ours} / {ceiling} = **{ratio[key]}**")
    if not parts:
        return ""
    return "Medians, ours / ceiling: " + "; ".join(parts) + "."


def _ours(entry: dict) -> list[dict]:
    return [r for r in entry.get("runs", []) if r["server"] == "ours"]


def _clean(runs: list[dict]) -> tuple[bool, str]:
    bad = []
    for r in runs:
        for key in ("lost", "duplicates", "unrepaired_gaps", "connections_failed"):
            if r.get(key):
                bad.append(f"round {r['round']}: {key} {r[key]}")
        if r.get("unexpected_closes"):
            bad.append(f"round {r['round']}: closes {r['unexpected_closes']}")
    return (not bad, "; ".join(bad) or "0 lost, 0 dup, 0 gaps, 0 closes")


def targets(results: dict) -> list[str]:
    by_key = {e["key"]: e for e in results["scenarios"]}
    rows = []

    def row(name: str, target: str, measured: str, ok: bool | None) -> None:
        verdict = "-" if ok is None else ("met" if ok else "**missed**")
        rows.append(f"| {name} | {target} | {measured} | {verdict} |")

    for key in ("1", "2", "3", "6"):
        if key in by_key and _ours(by_key[key]):
            ok, text = _clean(_ours(by_key[key]))
            row(f"{key}. {by_key[key]['title']}", "0 lost/dup/gaps/closes", text, ok)
    for key, limit in (("1", 5), ("2", 2)):
        if key not in by_key or not by_key[key].get("medians"):
            continue
        m = by_key[key]["medians"]
        ours, ratio = m["ours"], m["ratio"]
        cpu = ratio.get("server_cpu_us_per_delivery")
        if cpu is not None:
            row(
                f"{key}. CPU per delivery",
                f"≤ {limit} x ceiling",
                f"{ours['server_cpu_us_per_delivery']} µs = {cpu} x ceiling "
                f"({m['ceiling']['server_cpu_us_per_delivery']} µs)",
                cpu <= limit,
            )
    _site_rows(by_key, row)
    if "2" in by_key and by_key["2"].get("medians"):
        ours = by_key["2"]["medians"]["ours"]
        for p, limit in (("p50_ms", 10), ("p99_ms", 50)):
            if p in ours:
                row(
                    f"2. {p[:3]} (median of rounds)",
                    f"≤ {limit} ms",
                    f"{ours[p]} ms ({round(ours[p] / limit, 1)} x the target)",
                    ours[p] <= limit,
                )
    if "4" in by_key and by_key["4"].get("medians"):
        best = by_key["4"]["medians"]["ours"].get("deliveries_per_s")
        row(
            "4. saturation",
            "≥ 15,000 deliveries/s",
            f"{best} deliveries/s (median of rounds' best sustained steps)",
            best is not None and best >= 15000,
        )
    if "5" in by_key and _ours(by_key["5"]):
        runs = _ours(by_key["5"])
        conns = min(r["connections_ok"] for r in runs)
        rss = by_key["5"]["medians"]["ours"].get("rss_per_socket_kb")
        cold = by_key["5"]["medians"]["ours"].get("rss_cold_per_socket_kb")
        presence = all(
            r["online_while_open"] == r["connections_ok"]
            and r["online_after_close"] == 0
            for r in runs
        )
        ok, text = _clean(runs)
        row("5. connect", "all 1,000 connect", f"min {conns} of 1,000", conns >= 1000)
        row(
            "5. RSS per idle socket",
            "≤ 40 KB",
            f"{rss} KB (server process, after a warm-up of one socket per "
            f"room; cold, with the fresh server's start-up: {cold} KB)",
            rss is not None and rss <= 40,
        )
        row(
            "5. presence",
            "1,000 online, then 0",
            ", ".join(
                f"{r['online_while_open']} → {r['online_after_close']}" for r in runs
            ),
            presence,
        )
        row("5. clean", "0 failures/closes", text, ok)
    for key in ("7a", "7b"):
        entry = by_key.get(key)
        if entry is None:
            continue
        if entry.get("skipped"):
            row(f"7. {entry['title']}", "≥ 1,000 msg/s", entry["skipped"], None)
            continue
        best = entry["medians"]["ours"].get("messages_per_s")
        row(
            f"7. {entry['title']}",
            "≥ 1,000 msg/s stored and delivered",
            f"{best} msg/s (median of rounds' best sustained steps)",
            best is not None and best >= 1000,
        )
    if "8" in by_key and _ours(by_key["8"]):
        for r in _ours(by_key["8"]):
            codes = [c["close_code"] for c in r.get("stuck", {}).get("clients", [])]
            # 1013 when its backlog passes CHAT_SOCKET_BACKLOG; 1011 when
            # the server's WebSocket ping (WS_PING_INTERVAL/TIMEOUT), which
            # a client that reads nothing never answers, times out first.
            row(
                f"8. stuck client (round {r['round']})",
                "stuck one closed (1013 backlog, or 1011 ping timeout); "
                "others' p99 normal",
                f"stuck close code {codes}; others p50 {r['p50_ms']} / "
                f"p99 {r['p99_ms']} ms",
                bool(codes) and all(c in (1011, 1013) for c in codes),
            )
    report_connect.target_rows(by_key, row)
    return [
        "| scenario | target | measured (our server) | verdict |",
        "|---|---|---|---|",
        *rows,
    ]


def _site_rows(by_key: dict, row) -> None:
    """2b against scenario 2 of the same run (the ceiling has no site socket)."""
    plain, site = by_key.get("2"), by_key.get("2b")
    if not (plain and site and plain.get("medians") and site.get("medians")):
        return
    before = plain["medians"]["ours"].get("server_cpu_us_per_delivery")
    after = site["medians"]["ours"].get("server_cpu_us_per_delivery")
    if before and after:
        ratio = round(after / before, 2)
        row(
            "2b. CPU per room delivery, every client with a site socket",
            "≤ 1.5 x scenario 2",
            f"{after} µs = {ratio} x scenario 2 ({before} µs)",
            ratio <= 1.5,
        )
    runs = _ours(site)
    lost = sum(
        r.get("activity_lost", 0) + r.get("activity_duplicates", 0) for r in runs
    )
    row(
        "2b. room.activity deliveries",
        "all counted, 0 lost, 0 duplicates",
        "; ".join(
            f"round {r['round']}: {r.get('activity_received')} of "
            f"{r.get('activity_expected')}, lost {r.get('activity_lost')}, dup "
            f"{r.get('activity_duplicates')}"
            for r in runs
        ),
        bool(runs) and lost == 0,
    )


def code_version() -> str:
    """HEAD's short hash, and whether the measured code differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=HERE,
        ).stdout.strip()
        dirty = subprocess.run(
            # The run's own outputs do not make the code it measured dirty.
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ":/",
                ":(top,exclude)bench/RESULTS.md",
                ":(top,exclude)bench/results",
            ],
            capture_output=True,
            text=True,
            cwd=HERE,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" with uncommitted changes in the working tree" if dirty else "")


def markdown(results: dict) -> str:
    m = results["machine"]
    out = [
        "# Benchmark results",
        "",
        f"Generated by `{results['command']}` (`make bench`) on {results['started']},"
        f" {results.get('total_s')} s in all;"
        f" code at {results.get('code') or code_version()}.",
        "",
        f"- Machine: {m['cores']} cores, {m['cpu_model']}, {m['memory_gb']} GiB, "
        f"Python {m['python']}, {m['platform']}. Load average at the start: "
        f"{results.get('load_avg_start')}, at the end: {results.get('load_avg_end')}"
        " (other programs on the machine; each run lists the CPU they took).",
        "- Our server: uvicorn with `devserver.serve.uvicorn_options` (uvloop, "
        "httptools, no permessage-deflate: the clients do not offer it), DEBUG=0, "
        "a SECRET_KEY from the environment, ALLOWED_HOSTS=127.0.0.1,localhost, a "
        f"private Redis, a fresh database under var/bench/. **CHAT_RATE_LIMIT="
        f"{results['rate_limit']}**: the default 20/10 per user would refuse the "
        "load.",
        "- Ceiling: `bench/ceiling.py`, one `websockets` process with uvloop, no "
        "auth, database or Redis: `websockets.broadcast` of one encoded frame.",
        "- Clients: `bench/client.py`, one asyncio process (uvloop) on the same "
        "machine (its CPU is listed: at high rates it competes with the servers "
        "for the 2 cores). Latency = receive time - send time embedded in the "
        "body, one clock. Runs alternate ours / ceiling (A B A B).",
        "- CPU per delivery = CPU seconds of the server process(es) + Redis "
        "during the sending span and drain ÷ deliveries received.",
        # A partial run merged in later says so here, with its own code.
        *(f"- Note: {note}." for note in results.get("notes", [])),
        "",
        "## Targets",
        "",
        *targets(results),
        "",
    ]
    if FINDINGS.exists():
        out += [FINDINGS.read_text().strip(), ""]
    pictures = plots.listed(results)
    if pictures:
        out += ["## Plots", ""]
        out += [f"![{title}]({path})\n" for title, path in pictures]
    for entry in results["scenarios"]:
        out += [f"## {entry['key']}. {entry['title']}", "", entry["what"], ""]
        if entry.get("skipped"):
            out += [f"Skipped: {entry['skipped']}", ""]
            continue
        runs = entry["runs"]
        if runs and "restarts" in runs[0]:
            out += report_connect.restart_table(entry)
        elif runs and "cpu_ms_per_connect" in runs[0]:
            out += report_connect.crowd_table(entry)
        elif runs and "steps" in runs[0]:
            out += _stepped(entry)
        elif runs and "rss_per_socket_kb" in runs[0]:
            out += _storm(entry)
        else:
            out += _table(runs, RUN_COLUMNS)
            for r in runs:
                if r.get("stuck"):
                    out.append(
                        f"\nStuck client, {r['server']} round {r['round']}: "
                        + json.dumps(r["stuck"]["clients"])
                    )
        out += ["", _ratio_line(entry), ""]
    for key in ("profile_small_room", "profile"):
        if results.get(key):
            out += _profile(results[key])
    if results.get("connect_profile"):
        out += _connect_profile(results["connect_profile"])
    out += [
        "## Raw data",
        "",
        "`bench/results/latest.json` (every run, step and process measurement).",
        "",
    ]
    return "\n".join(out)


def _stepped(entry: dict) -> list[str]:
    out = []
    for r in entry["runs"]:
        best = r.get("best") or {}
        out += [
            f"**{r['server']}, round {r['round']}**: {r['connections_ok']} connected "
            f"({r['connections_failed']} failed); best sustained step "
            f"{best.get('deliveries_per_s')} deliveries/s, "
            f"{best.get('messages_per_s')} msg/s; unexpected closes "
            f"{r['unexpected_closes'] or 0}.",
            "",
            *_table(r["steps"], STEP_COLUMNS),
            "",
        ]
    return out


def _storm(entry: dict) -> list[str]:
    rows = [
        "| server | # | ok | failed | connect s | connects/s | RSS/socket KB "
        "(server; Redis) | cold RSS/socket KB (server) | connect CPU s "
        "(server; Redis) | idle CPU s (5 s) | "
        "online open → closed | presence 0 after s | unexpected closes |",
        "|" + "---|" * 13,
    ]
    for r in entry["runs"]:
        rss = r["rss_per_socket_kb"]
        cold = r.get("rss_cold_per_socket_kb", {}).get("server", "-")
        conn = r["processes_connect"]
        idle = r["processes_idle"]
        rows.append(
            f"| {r['server']} | {r['round']} | {r['connections_ok']} | "
            f"{r['connections_failed']} | {r['connect_s']} | {r['connects_per_s']} | "
            f"{rss.get('server')}; {rss.get('redis', '-')} | {cold} | "
            f"{conn['server']['cpu_s']}; {conn.get('redis', {}).get('cpu_s', '-')} | "
            f"{idle['server']['cpu_s']} | "
            f"{r['online_while_open']} → {r['online_after_close']} | "
            f"{r['presence_zero_after_s']} | {r['unexpected_closes'] or 0} |"
        )
    return rows


def _profile(profile: dict) -> list[str]:
    run = profile["run"]
    key = profile.get("scenario", "2")  # runs before 2026-12-04 profiled 2 only
    out = [
        f"## Profile: scenario {key} under cProfile",
        "",
        f"Our server under `bench/profiled.py` during one more scenario-{key} run "
        f"({run['received']} deliveries of {run['sent']} messages; unprofiled "
        "CPU per delivery in the "
        "measured rounds is in the table above). cProfile slows call-heavy code, "
        f"so read shares more than µs: {profile['profiled_us_per_delivery']} µs "
        "of profiled event-loop time per delivery. uvloop's transport.write "
        "(the socket write) is not a Python function and counts as the self time "
        "of its caller, uvicorn's `send`.",
        "",
        "Own time (tottime), top functions:",
        "",
        "| function | share | µs/delivery | calls/delivery |",
        "|---|---|---|---|",
    ]
    out += [
        f"| `{r['function']}` | {r['share'] * 100:.1f}% | {r['us_per_delivery']} "
        f"| {r['calls_per_delivery']} |"
        for r in profile["self"][:20]
    ]
    out += [
        "",
        "Inclusive time (cumtime):",
        "",
        "| function | share | µs/delivery | calls/delivery |",
        "|---|---|---|---|",
    ]
    out += [
        f"| `{r['function']}` | {r['share'] * 100:.1f}% | {r['us_per_delivery']} "
        f"| {r['calls_per_delivery']} |"
        for r in profile["inclusive"][:25]
    ]
    return [*out, ""]


def _connect_profile(profile: dict) -> list[str]:
    out = [
        "## Profile: the handshake under cProfile",
        "",
        f"Our server under `bench/profiled.py` while {profile['sockets']} sockets "
        f"connect into {profile['rooms']} rooms (`bench/profile.py`, "
        "profile_connects). Only the event loop's thread is profiled; the "
        "database thread's CPU is given apart: "
        f"{profile['db_thread_ms_per_connect']} ms per connect of "
        f"{profile['process_ms_per_connect']} ms for the whole process, "
        "measured unprofiled in the same run. Shares, not µs: cProfile inflates "
        "call-heavy code, and counts each resumption of a coroutine as a call.",
        "",
        "| function | share (inclusive) | ms/connect |",
        "|---|---|---|",
    ]
    out += [
        f"| `{r['function']}` | {r['share'] * 100:.1f}% | "
        f"{round(r['us_per_delivery'] / 1000, 3)} |"
        for r in profile["inclusive"][:30]
    ]
    return [*out, ""]


def _kept_blocks(text: str) -> list[str]:
    """Blocks between <!-- name:start --> (or :begin) and <!-- name:end -->
    that other bench scripts (bench/failover.py, bench/search.py) keep in
    RESULTS.md: carried over as they are."""
    pattern = r"<!-- ([\w-]+):(?:start|begin) -->.*?<!-- \1:end -->"
    return [m.group(0) for m in re.finditer(pattern, text, re.S)]


def write(results: dict) -> Path:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    plots.write(results)
    path = HERE / "RESULTS.md"
    kept = _kept_blocks(path.read_text()) if path.exists() else []
    text = markdown(results)
    if kept:
        text = text.rstrip("\n") + "\n\n" + "\n\n".join(kept) + "\n"
    path.write_text(text)
    return path
