"""The scenarios: each connects its clients, drives senders at a fixed rate for
a bounded time, drains, and returns one result dict (what README's RESULTS.md
tables show). A Deployment says where the clients go and which processes to
measure; the same scenario runs against our server and the ceiling."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass, field

import httpx

from bench import activity
from bench.client import ChatClient, Tally
from bench.measure import Meter, percentiles, thread_cpu, thread_split

CONNECT_CONCURRENCY = 50
DRAIN_TIMEOUT = 3.0  # seconds to wait for the last deliveries after sending
SATURATION_P99 = 0.250  # seconds: a step whose p99 is above this is not sustained
SUSTAINED = 0.999  # share of expected deliveries a sustained step must deliver


@dataclass
class Deployment:
    """What the clients talk to: `ours` (uvicorn + Redis + DB) or `ceiling`."""

    kind: str
    urls: list[str]
    pids: dict[str, int]  # name -> pid, measured with psutil
    cookies: dict  # from bench.seed: cookie_name, users, rooms
    http_url: str | None = None  # our JSON API (None for the ceiling)
    notes: list[str] = field(default_factory=list)

    def cookie(self, user: int) -> str:
        return f"{self.cookies['cookie_name']}={self.cookies['users'][user]['session']}"

    def room(self, index: int) -> str:
        return self.cookies["rooms"][index]


@dataclass
class Fleet:
    """Connected clients, by room."""

    clients: list[ChatClient]
    by_room: dict[str, list[ChatClient]]
    ok: int
    failed: int
    connect_s: float
    failures: list[str]


async def connect_fleet(
    dep: Deployment,
    *,
    rooms: int,
    per_room: int,
    tag: str,
    tallies: dict[int, Tally],
    user_offset: int = 0,
    concurrency: int = CONNECT_CONCURRENCY,
    client_class: type[ChatClient] = ChatClient,
) -> Fleet:
    """per_room clients in each of `rooms` rooms, one user each; client i goes
    to server URL i mod len(urls); at most `concurrency` handshakes at once."""
    semaphore = asyncio.Semaphore(concurrency)
    clients = []
    for r in range(rooms):
        for k in range(per_room):
            i = r * per_room + k
            url = dep.urls[i % len(dep.urls)]
            clients.append(
                client_class(
                    url=url,
                    origin="http://" + url.split("://", 1)[1],
                    cookie=dep.cookie(user_offset + i),
                    room=dep.room(r),
                    tag=tag,
                    index=i,
                    tallies=tallies,
                )
            )
    failures: list[str] = []

    async def open_one(client: ChatClient) -> bool:
        async with semaphore:
            try:
                await client.open()
                return True
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}"[:200])
                return False

    started = time.monotonic()
    results = await asyncio.gather(*(open_one(c) for c in clients))
    seconds = time.monotonic() - started
    live = [c for c, ok in zip(clients, results, strict=True) if ok]
    by_room: dict[str, list[ChatClient]] = {}
    for client in live:
        by_room.setdefault(client.room, []).append(client)
    return Fleet(
        clients=live,
        by_room=by_room,
        ok=len(live),
        failed=len(clients) - len(live),
        connect_s=round(seconds, 3),
        failures=failures[:5],
    )


async def close_fleet(fleet: Fleet) -> None:
    await asyncio.gather(*(c.close() for c in fleet.clients))


def pick_senders(fleet: Fleet, per_room: int) -> list[ChatClient]:
    return [c for members in fleet.by_room.values() for c in members[:per_room]]


async def drive(
    fleet: Fleet,
    senders: list[ChatClient],
    *,
    rate: float,
    duration: float,
    step: int,
    tally: Tally,
    padding: str = "",
) -> float:
    """Each sender sends `rate` messages/s for `duration` s on a fixed
    schedule (staggered); returns the seconds the sending took."""
    interval = 1.0 / rate
    started = time.monotonic()

    async def one(k: int, sender: ChatClient) -> None:
        receivers = sum(
            1 for c in fleet.by_room[sender.room] if c.unexpected_close is None
        )
        count = int(duration * rate)
        next_at = started + interval * k / max(1, len(senders))
        for _ in range(count):
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if sender.unexpected_close is not None:
                return
            tally.sent += 1
            tally.expected += receivers
            try:
                await sender.send_message(step, padding)
            except Exception:
                tally.errors["send_failed"] += 1
            next_at += interval

    await asyncio.gather(*(one(k, s) for k, s in enumerate(senders)))
    return time.monotonic() - started


async def drain(tally: Tally, seconds: float = DRAIN_TIMEOUT) -> None:
    """Wait for the last deliveries (hundreds of reader tasks count them)."""
    deadline = time.monotonic() + seconds
    while tally.received < tally.expected and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


def summarize(tally: Tally, seconds: float) -> dict:
    return {
        "sent": tally.sent,
        "acked": tally.acked,
        "expected": tally.expected,
        "received": tally.received,
        "lost": max(0, tally.expected - tally.received),
        "duplicates": tally.duplicates,
        "gap_events": tally.gap_events,
        "gap_missing": tally.gap_missing,
        "repaired": tally.repaired,
        "unrepaired_gaps": max(0, tally.gap_missing - tally.repaired),
        "errors": dict(tally.errors),
        "send_s": round(seconds, 3),
        "deliveries_per_s": round(tally.received / seconds, 1) if seconds else 0,
        "messages_per_s": round(tally.acked / seconds, 1) if seconds else 0,
        **percentiles(tally.latencies),
    }


def closes(fleet: Fleet) -> dict:
    codes: dict[str, int] = {}
    for client in fleet.clients:
        if client.unexpected_close is not None:
            key = str(client.unexpected_close)
            codes[key] = codes.get(key, 0) + 1
    return codes


def cost(result: dict, processes: dict) -> None:
    """CPU per delivery of the server side (server processes + Redis)."""
    server_cpu = sum(
        v["cpu_s"] for k, v in processes.items() if k.startswith(("server", "redis"))
    )
    result["server_cpu_s"] = round(server_cpu, 3)
    received = result.get("received") or 0
    result["server_cpu_us_per_delivery"] = (
        round(server_cpu / received * 1e6, 1) if received else None
    )


# --- the scenarios -----------------------------------------------------------


async def fixed_load(
    dep: Deployment,
    *,
    rooms: int,
    per_room: int,
    senders_per_room: int,
    rate: float,
    duration: float,
    stuck: int = 0,
    padding: int = 0,
    site: bool = False,
    profile=None,
) -> dict:
    """Scenarios 1, 2, 3, 6 and the stuck client: a fixed load for a fixed
    time; `site`: every client also holds a site socket (2b, bench.activity)."""
    tag = uuid.uuid4().hex[:8]
    tally = Tally()
    tallies = {0: tally}
    join_failed = 0
    if site:
        join_failed = await activity.join_rooms(
            dep,
            [
                (r * per_room + k, dep.room(r))
                for r in range(rooms)
                for k in range(per_room)
            ],
        )
    fleet = await connect_fleet(
        dep,
        rooms=rooms,
        per_room=per_room,
        tag=tag,
        tallies=tallies,
        client_class=activity.AuthorsClient if site else ChatClient,
    )
    sites = await activity.open_sites(dep, fleet.clients) if site else []
    start_seqs = {
        slug: max(c.last_seq for c in members)
        for slug, members in fleet.by_room.items()
    }
    stuck_clients: list[ChatClient] = []
    stuck_tallies = {0: Tally()}
    for j in range(stuck):
        index = rooms * per_room + j
        url = dep.urls[0]
        client = ChatClient(
            url=url,
            origin="http://" + url.split("://", 1)[1],
            cookie=dep.cookie(index),
            room=dep.room(0),
            tag=tag,
            index=index,
            tallies=stuck_tallies,
            stuck=True,
        )
        await client.open()
        stuck_clients.append(client)
    senders = pick_senders(fleet, senders_per_room)
    await asyncio.sleep(0.5)  # let presence joins settle before measuring
    meter = Meter(dep.pids).start()
    threads = thread_cpu(dep.pids.get("server"))
    if profile is not None:
        profile.start()
    seconds = await drive(
        fleet,
        senders,
        rate=rate,
        duration=duration,
        step=0,
        tally=tally,
        padding="x" * padding,
    )
    await drain(tally)
    processes = meter.stop()
    threads = thread_split(threads, thread_cpu(dep.pids.get("server")), tally.sent, 1e6)
    if profile is not None:
        await profile.stop()
    result = {
        "connections_ok": fleet.ok + len(stuck_clients),
        "connections_failed": fleet.failed,
        "connect_failures": fleet.failures,
        "connect_s": fleet.connect_s,
        **summarize(tally, seconds),
        "processes": processes,
        "others_cpu_s": meter.others_cpu_s,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        # One server's threads, busiest first, µs a message: the event
        # loop's, then the database thread's (database_sync_to_async).
        "thread_us_per_message": threads,
    }
    cost(result, processes)
    if site:
        result.update(activity.activity_check(sites, fleet.clients, start_seqs))
        result["join_failed"] = join_failed
        everything = result["received"] + result["activity_received"]
        result["server_cpu_us_per_frame"] = (
            round(result["server_cpu_s"] / everything * 1e6, 1) if everything else None
        )
        await asyncio.gather(*(s.close() for s in sites))
    if stuck_clients:
        result["stuck"] = await _unstick(stuck_clients, stuck_tallies[0], tally)
    result["unexpected_closes"] = closes(fleet)
    await close_fleet(fleet)
    for client in stuck_clients:
        await client.close()
    return result


async def _unstick(clients: list[ChatClient], own: Tally, others: Tally) -> dict:
    """Let the stuck clients read again and see how their socket ended."""
    for client in clients:
        client.start_reading()
    await asyncio.sleep(3)
    out = []
    for client in clients:
        out.append(
            {
                "close_code": client.closed_code,
                "received_after_unstuck": own.received,
                "expected": others.sent,
            }
        )
    return {"clients": out}


async def stepped_load(
    dep: Deployment,
    *,
    rooms: int,
    per_room: int,
    senders_per_room: int,
    rates: list[float],
    step_s: float,
) -> dict:
    """Scenarios 4 and 7: raise the per-sender rate step by step until a step
    falls short of its deliveries or its p99 passes SATURATION_P99; the
    highest sustained step is the result."""
    tag = uuid.uuid4().hex[:8]
    tallies: dict[int, Tally] = {0: Tally()}
    fleet = await connect_fleet(
        dep, rooms=rooms, per_room=per_room, tag=tag, tallies=tallies
    )
    senders = pick_senders(fleet, senders_per_room)
    await asyncio.sleep(0.5)
    steps = []
    best = None
    n = 0
    for rate in rates:
        # A step that fails is tried once more: on a shared machine one
        # neighbour's burst can spoil a 4-second step.
        for attempt in (1, 2):
            n += 1
            step = await _step(dep, fleet, senders, tallies, n, rate, step_s)
            step["attempt"] = attempt
            steps.append(step)
            if step["sustained"]:
                break
            await asyncio.sleep(1.0)
        if not step["sustained"]:
            break
        best = step
        await asyncio.sleep(1.0)
    result = {
        "connections_ok": fleet.ok,
        "connections_failed": fleet.failed,
        "connect_failures": fleet.failures,
        "connect_s": fleet.connect_s,
        "steps": steps,
        "best": best,
        "unexpected_closes": closes(fleet),
    }
    await close_fleet(fleet)
    return result


async def _step(
    dep: Deployment,
    fleet: Fleet,
    senders: list[ChatClient],
    tallies: dict[int, Tally],
    n: int,
    rate: float,
    step_s: float,
) -> dict:
    tally = tallies[n] = Tally()
    meter = Meter(dep.pids).start()
    seconds = await drive(
        fleet, senders, rate=rate, duration=step_s, step=n, tally=tally
    )
    await drain(tally)
    processes = meter.stop()
    step = {
        "rate_per_sender": rate,
        "offered_msgs_per_s": round(rate * len(senders), 1),
        **summarize(tally, seconds),
        "processes": processes,
        "others_cpu_s": meter.others_cpu_s,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    cost(step, processes)
    step["sustained"] = bool(
        tally.expected
        and tally.received >= SUSTAINED * tally.expected
        and step["p99_ms"] is not None
        and step["p99_ms"] <= SATURATION_P99 * 1000
        and seconds <= step_s * 1.1  # the generator itself kept up
    )
    return step


async def _online_count(dep: Deployment, prefix: str = "bench") -> int | None:
    if dep.http_url is None:
        return None
    async with httpx.AsyncClient(base_url=dep.http_url, timeout=10) as http:
        response = await http.get(
            "/api/online/",
            headers={"Cookie": dep.cookie(len(dep.cookies["users"]) - 1)},
        )
        response.raise_for_status()
        return sum(
            1 for u in response.json()["users"] if u["username"].startswith(prefix)
        )


async def warm_up(dep: Deployment, rooms: int, tag: str, tallies: dict) -> int:
    """Open and close one socket per room; how many opened. A fresh server's
    first sockets also pay for its start-up (lazy imports, the first
    database and Redis connections, the relays' subscriptions): after this
    the measurement holds the marginal cost of a socket. The cold figure
    is reported too."""
    fleet = await connect_fleet(
        dep, rooms=rooms, per_room=1, tag=tag + "w", tallies=tallies
    )
    await close_fleet(fleet)
    await asyncio.sleep(1.0)
    return fleet.ok


async def close_and_count_online(
    dep: Deployment, fleet: Fleet, wait_s: float
) -> tuple[int | None, float | None]:
    """Close the fleet, then wait up to `wait_s` for presence to say no one
    is online: (the last count read, seconds until it was 0 or None)."""
    started = time.monotonic()
    await close_fleet(fleet)
    if dep.http_url is None:
        return None, None
    online = None
    deadline = started + wait_s
    while time.monotonic() < deadline:
        online = await _online_count(dep)
        if online == 0:
            return 0, round(time.monotonic() - started, 2)
        await asyncio.sleep(0.2)
    return online, None


async def storm(
    dep: Deployment, *, sockets: int, rooms: int, idle_s: float = 5.0
) -> dict:
    """Scenario 5: connect `sockets` authenticated sockets in `rooms` rooms
    as fast as the server takes them, idle, check presence, close."""
    tag = uuid.uuid4().hex[:8]
    tallies = {0: Tally()}
    meter = Meter(dep.pids)
    cold = meter.rss()
    warmed = await warm_up(dep, rooms, tag, tallies)
    before = meter.rss()
    meter.start()
    fleet = await connect_fleet(
        dep, rooms=rooms, per_room=sockets // rooms, tag=tag, tallies=tallies
    )
    connect_processes = meter.stop()
    await asyncio.sleep(1.0)
    meter = Meter(dep.pids).start()
    await asyncio.sleep(idle_s)
    idle_processes = meter.stop()
    after = meter.rss()
    online_open = await _online_count(dep)
    unexpected = closes(fleet)
    online_closed, zero_after = await close_and_count_online(dep, fleet, 10)
    result = {
        "connections_ok": fleet.ok,
        "connections_failed": fleet.failed,
        "connect_failures": fleet.failures,
        "connect_s": fleet.connect_s,
        "connects_per_s": round(fleet.ok / fleet.connect_s, 1)
        if fleet.connect_s
        else None,
        "rss_per_socket_kb": {
            name: round((after[name] - before[name]) / max(1, fleet.ok) / 1024, 1)
            for name in after
        },
        "rss_cold_per_socket_kb": {
            name: round((after[name] - cold[name]) / max(1, fleet.ok) / 1024, 1)
            for name in after
        },
        "warm_up_sockets": warmed,
        "warm_up_rss_mb": {
            name: round((before[name] - cold[name]) / 2**20, 1) for name in after
        },
        "processes_connect": connect_processes,
        "processes_idle": idle_processes,
        "others_cpu_s_idle": meter.others_cpu_s,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "online_while_open": online_open,
        "online_after_close": online_closed,
        "presence_zero_after_s": zero_after,
        "unexpected_closes": unexpected,
    }
    return result
