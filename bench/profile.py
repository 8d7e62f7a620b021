"""The profile run: scenario 2 against our server under cProfile
(bench/profiled.py), ranked as costs per delivery."""

from __future__ import annotations

import asyncio
import os
import pstats
import signal
import sys
from pathlib import Path

from bench.servers import ChatServer

# Profiled paths are shown relative to the checkout, wherever it is.
BASE_DIR = Path(__file__).resolve().parents[1]


class ProfiledChatServer(ChatServer):
    name = "chat-profiled"

    def __init__(self, *, out: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.out = out

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "bench.profiled",
            "--port", str(self.port), "--out", str(self.out),
        ]  # fmt: skip


class Profiling:
    """The `profile` hook of scenarios.fixed_load: on for the sending span."""

    def __init__(self, server: ProfiledChatServer) -> None:
        self.server = server

    def start(self) -> None:
        self.server.out.unlink(missing_ok=True)
        os.kill(self.server.pid, signal.SIGUSR1)

    async def stop(self) -> None:
        os.kill(self.server.pid, signal.SIGUSR2)
        for _ in range(100):
            if self.server.out.exists() and self.server.out.stat().st_size:
                await asyncio.sleep(0.5)  # let the write finish
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the profiled server wrote no stats")


def _where(key: tuple) -> str:
    path, line, func = key
    for marker in ("site-packages/", f"{BASE_DIR}/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    if path == "~":
        return func
    return f"{func} ({path}:{line})"


def summarize_profile(path: Path, run: dict, top: int = 25) -> dict:
    """The functions that cost most per delivery: own time (tottime) and
    inclusive time (cumtime), in µs per delivery of the profiled run (cProfile
    inflates call-heavy code, so also as shares), and calls per delivery."""
    stats = pstats.Stats(str(path))
    deliveries = run.get("received") or 1
    total = sum(entry[2] for entry in stats.stats.values())  # all tottime

    def rows(index: int) -> list[dict]:
        ranked = sorted(stats.stats.items(), key=lambda kv: kv[1][index], reverse=True)
        return [
            {
                "function": _where(key),
                "share": round(value[index] / total, 4),
                "us_per_delivery": round(value[index] / deliveries * 1e6, 2),
                "calls_per_delivery": round(value[1] / deliveries, 3),
            }
            for key, value in ranked[:top]
        ]

    return {
        "profiled_s": round(total, 3),
        "deliveries": deliveries,
        "profiled_us_per_delivery": round(total / deliveries * 1e6, 1),
        "self": rows(2),
        "inclusive": rows(3),
        "raw": str(path),
    }


async def _connect_run(dep, *, sockets: int, rooms: int, server) -> dict:
    """Connect `sockets` sockets after a warm-up, with profiling on for the
    connects only."""
    from bench.client import Tally
    from bench.scenarios import close_fleet, connect_fleet

    tallies = {0: Tally()}
    warm = await connect_fleet(dep, rooms=rooms, per_room=1, tag="pw", tallies=tallies)
    await close_fleet(warm)
    await asyncio.sleep(1.0)
    profiling = Profiling(server)
    profiling.start()
    fleet = await connect_fleet(
        dep,
        rooms=rooms,
        per_room=sockets // rooms,
        tag="pc",
        tallies=tallies,
        concurrency=200,
    )
    await profiling.stop()
    await close_fleet(fleet)
    return {"received": fleet.ok, "connect_s": fleet.connect_s}


def profile_connects(
    *, database, redis_url: str, out: Path, sockets: int, rooms: int, unprofiled: dict
) -> dict:
    """The handshake under cProfile: `sockets` connects into `rooms` rooms,
    ranked per connect. `unprofiled`: scenario 9a's run of ours, for the
    threads' CPU (cProfile sees only the event loop's thread)."""
    import uvloop

    from bench.scenarios import Deployment

    server = ProfiledChatServer(out=out, database=database, redis_url=redis_url)
    server.start()
    dep = Deployment(
        kind="ours",
        urls=[server.ws_url],
        pids={"server": server.pid},
        cookies=database.cookies,
    )
    try:
        run = uvloop.run(_connect_run(dep, sockets=sockets, rooms=rooms, server=server))
    finally:
        server.stop()
    threads = unprofiled.get("thread_ms_per_connect") or [None, None]
    return {
        "sockets": run["received"],
        "rooms": rooms,
        "run": run,
        "process_ms_per_connect": unprofiled.get("server_cpu_ms_per_connect"),
        "db_thread_ms_per_connect": threads[1] if len(threads) > 1 else None,
        **summarize_profile(out, run),
    }
