"""RESULTS.md's parts for scenarios 9-12 (connects, the filling room, idle
sockets, the rolling restart): their tables and their rows in the targets."""

from __future__ import annotations

from collections.abc import Callable

Row = Callable[[str, str, str, bool | None], None]
# project.settings' default WS_PING_INTERVAL (tests/bench/test_report.py
# checks they agree), for scenario 11, which keeps the defaults.
DEFAULT_PING_S = 8


def _ours(entry: dict) -> list[dict]:
    return [r for r in entry.get("runs", []) if r["server"] == "ours"]


def _median(entry: dict, kind: str, key: str):
    return (entry.get("medians") or {}).get(kind, {}).get(key)


def crowd_table(entry: dict) -> list[str]:
    rows = [
        "| server | # | ok | failed | all connected after s | connects/s | CPU ms "
        "per connect (server+Redis) | server ms/connect | presence frames to "
        "clients (joins and leaves they told) | presence exact (clients) | "
        "RSS/socket KB (server) | cold "
        "RSS/socket KB | online open → closed | load gen CPU s | other "
        "programs' CPU s | idle CPU % of a core (server; Redis) | "
        "unexpected closes |",
        "|" + "---|" * 17,
    ]
    for r in entry["runs"]:
        exact = r.get("presence_exact")
        idle = r.get("idle_cpu_pct")
        idle_cell = (
            f"{idle.get('server')}; {idle.get('redis', '-')} over {r['idle_s']} s"
            if idle
            else "-"
        )
        rows.append(
            f"| {r['server']} | {r['round']} | {r['connections_ok']} | "
            f"{r['connections_failed']} | {r['connect_s']} | {r['connects_per_s']} | "
            f"{r['cpu_ms_per_connect']} | {r['server_cpu_ms_per_connect']} | "
            f"{r['presence_frames']} ({r.get('presence_changes', '-')}) | "
            f"{f'{exact[0]} of {exact[1]}' if exact else '-'} | "
            f"{r['rss_per_socket_kb'].get('server')} | "
            f"{r['rss_cold_per_socket_kb'].get('server')} | "
            f"{r['online_while_open']} → {r['online_after_close']} | "
            f"{r.get('loadgen_cpu_s')} | {r.get('others_cpu_s')} | {idle_cell} | "
            f"{r['unexpected_closes'] or 0} |"
        )
    return rows


def restart_table(entry: dict) -> list[str]:
    rows = [
        "| # | ok | sent | acked | never acked | lost | dup | gaps (unrepaired) "
        "| reconnects | restarts: exited after s / up again after s / every "
        "client back after s |",
        "|" + "---|" * 10,
    ]
    for r in entry["runs"]:
        restarts = "; ".join(
            f"{x['exited_after_s']} / {x['up_again_after_s']} / {x['all_back_after_s']}"
            for x in r["restarts"]
        )
        rows.append(
            f"| {r['round']} | {r['connections_ok']} | {r['sent']} | {r['acked']} | "
            f"{r['never_acked']} | {r['lost']} | {r['duplicates']} | "
            f"{r['unrepaired_gaps']} | {r['reconnects']} | {restarts} |"
        )
    return rows


def _idle_server(entry: dict | None) -> tuple[float, float, int] | None:
    """(idle server CPU % of a core, idle seconds, sockets) of the first run
    of ours, or None."""
    runs = _ours(entry) if entry else []
    if not runs or not runs[0].get("idle_cpu_pct"):
        return None
    run = runs[0]
    return run["idle_cpu_pct"]["server"], run["idle_s"], run["connections_ok"]


def ping_cost(by_key: dict) -> str | None:
    """What server WebSocket pings cost an idle process: scenario 11 (pings
    at their defaults) against 11b (WS_PING_INTERVAL=0)."""
    on, off = _idle_server(by_key.get("11")), _idle_server(by_key.get("11b"))
    if on is None or off is None:
        return None
    env = by_key["11"].get("env") or {}
    interval = float(env.get("WS_PING_INTERVAL", DEFAULT_PING_S))
    sockets = min(on[2], off[2])
    pings_per_s = sockets / interval
    extra = on[0] - off[0]
    per_ping = extra / 100 / pings_per_s * 1e6 if pings_per_s else 0
    return (
        f"{on[0]}% of a core with pings every {interval:g} s, {off[0]}% with "
        f"none ({sockets:,} sockets, {on[1]:g} s idle): "
        + (
            f"{round(extra, 2)} points for {round(pings_per_s):,} pings/s, "
            f"about {round(per_ping, 1)} µs of CPU each"
            if per_ping > 0
            else "no cost that this run could measure"
        )
    )


def target_rows(by_key: dict, row: Row) -> None:
    for key, sockets, limit in (("9a", 1000, 1.0), ("9b", 5000, 6.0)):
        entry = by_key.get(key)
        if not entry or not _ours(entry):
            continue
        took = _median(entry, "ours", "connect_s")
        ceiling = _median(entry, "ceiling", "connect_s")
        cpu = _median(entry, "ours", "cpu_ms_per_connect")
        row(
            f"{key}. {sockets:,} sockets connected",
            f"≤ {limit} s",
            f"{took} s (ceiling {ceiling} s; {round(took / limit, 1)} x the target)",
            took is not None and took <= limit,
        )
        if key == "9a":
            row(
                "9a. server CPU per connect",
                "≤ 1 ms",
                f"{cpu} ms (server + Redis; ceiling "
                f"{_median(entry, 'ceiling', 'cpu_ms_per_connect')} ms)",
                cpu is not None and cpu <= 1.0,
            )
    entry = by_key.get("10")
    if entry and _ours(entry):
        took = _median(entry, "ours", "connect_s")
        exact = [r["presence_exact"] for r in _ours(entry)]
        row(
            "10. filling room",
            "≤ 2 s; presence exact",
            f"{took} s ({round(took / 2, 1)} x the target); exact views: "
            + ", ".join(f"{e[0]} of {e[1]}" for e in exact),
            took <= 2 and all(e[0] == e[1] for e in exact),
        )
    entry = by_key.get("11")
    if entry and _ours(entry):
        runs = _ours(entry)
        rss = _median(entry, "ours", "rss_per_socket_kb")
        conns = min(r["connections_ok"] for r in runs)
        row(
            "11. 10,000 idle sockets",
            "all connect; RSS ≤ 25 KB per socket",
            f"{conns} connected in {runs[0]['connect_s']} s; {rss} KB per socket "
            f"(ceiling {_median(entry, 'ceiling', 'rss_per_socket_kb')} KB); "
            "presence "
            + ", ".join(
                f"{r['online_while_open']} → {r['online_after_close']}" for r in runs
            ),
            conns >= 10000
            and rss is not None
            and rss <= 25
            and all(r["online_after_close"] == 0 for r in runs),
        )
    cost = ping_cost(by_key)
    if cost:
        row("11 / 11b. server WebSocket pings, idle", "measured", cost, None)
    entry = by_key.get("12")
    if entry and entry.get("runs"):
        for r in entry["runs"]:
            backs = [x["all_back_after_s"] for x in r["restarts"]]
            ok = (
                all(b is not None and b <= 10 for b in backs)
                and r["lost"] == 0
                and r["duplicates"] == 0
                and r["unrepaired_gaps"] == 0
            )
            row(
                "12. rolling restart",
                "every client back ≤ 10 s after each restart; 0 lost, 0 dup, "
                "0 unrepaired gaps",
                f"back after {backs} s; lost {r['lost']}, dup {r['duplicates']}, "
                f"gaps {r['unrepaired_gaps']} (never acked {r['never_acked']})",
                ok,
            )
