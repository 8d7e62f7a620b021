"""Scenarios 9, 10 and 11: many sockets connecting at once (a reconnect
storm), into many rooms, into one room, and 10,000 of them left idle on one
process. Each connects after a warm-up of one socket per room (so the
figures are the marginal cost of a socket, not the fresh server's start-up),
records when each socket had its first frames, and checks presence."""

from __future__ import annotations

import asyncio
import os
import time

from bench.client import Tally
from bench.measure import Meter, thread_cpu, thread_split
from bench.scenarios import (
    Deployment,
    _online_count,
    close_and_count_online,
    closes,
    connect_fleet,
    warm_up,
)

TIMELINE_POINTS = 200


def timeline(opened: list[float], started: float) -> list[list[float]]:
    """[seconds since start, sockets connected] at most TIMELINE_POINTS times."""
    times = sorted(t - started for t in opened)
    if not times:
        return []
    step = max(1, len(times) // TIMELINE_POINTS)
    points = [[0.0, 0]]
    points += [[round(times[i], 3), i + 1] for i in range(0, len(times), step)]
    if points[-1][1] != len(times):
        points.append([round(times[-1], 3), len(times)])
    return points


def _cpu(processes: dict, prefix: str) -> float:
    return sum(v["cpu_s"] for k, v in processes.items() if k.startswith(prefix))


async def _settle_presence(fleet, seconds: float = 10.0) -> None:
    """Wait until no client has got a presence frame for a second."""
    deadline = time.monotonic() + seconds
    last = -1
    while time.monotonic() < deadline:
        now = sum(c.presence_frames for c in fleet.clients)
        if now == last:
            return
        last = now
        await asyncio.sleep(1.0)


def _presence_exact(dep: Deployment, fleet) -> tuple[int, int]:
    """(clients whose presence view is exactly their room's connected users,
    clients checked)."""
    users = dep.cookies["users"]
    expected: dict[str, set[int]] = {}
    for client in fleet.clients:
        expected.setdefault(client.room, set()).add(users[client.index]["id"])
    exact = sum(1 for c in fleet.clients if c.present == expected[c.room])
    return exact, len(fleet.clients)


async def crowd(
    dep: Deployment,
    *,
    sockets: int,
    rooms: int,
    concurrency: int = 200,
    idle_s: float = 0.0,
) -> dict:
    """Connect `sockets` authenticated sockets into `rooms` rooms, at most
    `concurrency` handshakes at once, as fast as the server takes them."""
    tag = os.urandom(4).hex()
    tallies = {0: Tally()}
    meter = Meter(dep.pids)
    cold = meter.rss()
    await warm_up(dep, rooms, tag, tallies)
    before = meter.rss()
    threads = thread_cpu(dep.pids.get("server"))
    meter.start()
    started = time.monotonic()
    fleet = await connect_fleet(
        dep,
        rooms=rooms,
        per_room=sockets // rooms,
        tag=tag,
        tallies=tallies,
        concurrency=concurrency,
    )
    connect = meter.stop()
    others_connect = meter.others_cpu_s
    threads = thread_split(threads, thread_cpu(dep.pids.get("server")), fleet.ok, 1e3)
    await _settle_presence(fleet)
    exact, checked = _presence_exact(dep, fleet)
    idle = None
    if idle_s:
        meter = Meter(dep.pids).start()
        await asyncio.sleep(idle_s)
        idle = meter.stop()
    after = meter.rss()
    online_open = await _online_count(dep)
    unexpected = closes(fleet)
    online_closed, zero_after = await close_and_count_online(dep, fleet, 20)
    ok = max(1, fleet.ok)
    server_cpu = _cpu(connect, "server")
    return {
        "connections_ok": fleet.ok,
        "connections_failed": fleet.failed,
        "connect_failures": fleet.failures,
        "connect_s": fleet.connect_s,
        "connects_per_s": round(fleet.ok / fleet.connect_s, 1)
        if fleet.connect_s
        else None,
        "server_cpu_ms_per_connect": round(server_cpu / ok * 1000, 3),
        "cpu_ms_per_connect": round(
            (server_cpu + _cpu(connect, "redis")) / ok * 1000, 3
        ),
        "loadgen_cpu_s": connect.get("loadgen", {}).get("cpu_s"),
        # The server's threads, busiest first, ms per connect: the event
        # loop's, then the database thread's (database_sync_to_async).
        "thread_ms_per_connect": threads,
        "others_cpu_s": others_connect,
        "timeline": timeline(
            [c.opened_at for c in fleet.clients if c.opened_at], started
        ),
        "presence_frames": sum(c.presence_frames for c in fleet.clients),
        "presence_changes": sum(c.presence_changes for c in fleet.clients),
        "presence_exact": [exact, checked] if dep.http_url else None,
        "rss_per_socket_kb": {
            name: round((after[name] - before[name]) / ok / 1024, 1) for name in after
        },
        "rss_cold_per_socket_kb": {
            name: round((after[name] - cold[name]) / ok / 1024, 1) for name in after
        },
        "processes_connect": connect,
        "processes_idle": idle,
        "idle_s": idle_s,
        # Percent of one core each process took while the sockets idled:
        # heartbeats, and the server's WebSocket pings (11 against 11b).
        "idle_cpu_pct": {
            name: round(v["cpu_s"] / idle_s * 100, 2) for name, v in idle.items()
        }
        if idle
        else None,
        "others_cpu_s_idle": meter.others_cpu_s if idle else None,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "online_while_open": online_open,
        "online_after_close": online_closed,
        "presence_zero_after_s": zero_after,
        "unexpected_closes": unexpected,
    }
