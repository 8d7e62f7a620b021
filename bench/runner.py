"""Runs the scenarios against our server and the ceiling, interleaved
(A B A B), starting and stopping every process itself."""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis
import uvloop

from bench import scenarios
from bench.measure import machine
from bench.profile import ProfiledChatServer, Profiling, summarize_profile
from bench.report import code_version
from bench.scenarios import Deployment
from bench.servers import (
    RATE_LIMIT,
    CeilingServer,
    ChatServer,
    Database,
    drop_postgres,
    postgres_available,
    start_redis,
    var_dir,
)
from devserver.processes import raise_nofile


@dataclass
class Spec:
    key: str
    title: str
    kind: str  # fixed, stepped, storm
    params: dict
    rounds: int = 2
    processes: int = 1  # our server processes
    database: str = "sqlite"
    what: str = ""
    fresh: bool = False  # new server processes for every run (RSS per socket)


def full_specs() -> list[Spec]:
    saturation_rates = [1, 2, 4, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50]
    ingress_rates = [0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20]
    big_room = {
        "rooms": 1,
        "per_room": 200,
        "senders_per_room": 2,
        "rate": 10,
        "duration": 15,
    }
    ingress = {
        "rooms": 50,
        "per_room": 4,
        "senders_per_room": 4,
        "rates": ingress_rates,
        "step_s": 4,
    }
    return [
        Spec(
            "1",
            "small room",
            "fixed",
            {
                "rooms": 1,
                "per_room": 10,
                "senders_per_room": 10,
                "rate": 20,
                "duration": 15,
            },
            what="1 room x 10 clients, 10 senders x 20 msg/s, 15 s",
        ),
        Spec(
            "2",
            "big room",
            "fixed",
            big_room,
            rounds=3,
            what="1 room x 200 clients, 2 senders x 10 msg/s "
            "(4,000 deliveries/s), 15 s",
        ),
        Spec(
            "3",
            "many rooms",
            "fixed",
            {
                "rooms": 50,
                "per_room": 10,
                "senders_per_room": 1,
                "rate": 2,
                "duration": 15,
            },
            what="50 rooms x 10 clients, 1 sender/room x 2 msg/s, 15 s",
        ),
        Spec(
            "4",
            "saturation",
            "stepped",
            {
                "rooms": 1,
                "per_room": 100,
                "senders_per_room": 10,
                "rates": saturation_rates,
                "step_s": 4,
            },
            what="1 room x 100 clients, 10 senders, rate stepped up (4 s steps) "
            "until deliveries fall short or p99 > 250 ms",
        ),
        Spec(
            "5",
            "connect storm and idle",
            "storm",
            {"sockets": 1000, "rooms": 20},
            fresh=True,
            what="1,000 authenticated sockets in 20 rooms: connect, idle 5 s, "
            "presence check, close",
        ),
        Spec(
            "6",
            "two server processes",
            "fixed",
            big_room,
            processes=2,
            what="scenario 2 with the clients split over 2 server processes "
            "behind one Redis (the ceiling has one process)",
        ),
        Spec(
            "7a",
            "ingress, SQLite",
            "stepped",
            ingress,
            what="50 rooms x 4 clients, every client sending, rate stepped up "
            "(4 s steps)",
        ),
        Spec(
            "7b",
            "ingress, PostgreSQL",
            "stepped",
            ingress,
            database="postgresql",
            what="as 7a, on PostgreSQL",
        ),
        Spec(
            "8",
            "stuck client",
            "fixed",
            {
                "rooms": 1,
                "per_room": 10,
                "senders_per_room": 5,
                "rate": 25,
                "duration": 25,
                "stuck": 1,
                "padding": 3900,
            },
            what="1 room x 10 clients + 1 client that stops reading (4 KB "
            "receive buffer), 5 senders x 25 msg/s of 4 KB bodies (0.5 MB/s to "
            "the stuck one: the kernel's 4 MB socket buffers fill in ~8 s), 25 s",
        ),
    ]


def smoke_specs() -> list[Spec]:
    return [
        Spec(
            "1",
            "small room (smoke)",
            "fixed",
            {
                "rooms": 1,
                "per_room": 3,
                "senders_per_room": 3,
                "rate": 5,
                "duration": 1.5,
            },
            rounds=1,
            what="1 room x 3 clients, 3 senders x 5 msg/s, 1.5 s",
        ),
        Spec(
            "3",
            "many rooms (smoke)",
            "fixed",
            {
                "rooms": 3,
                "per_room": 3,
                "senders_per_room": 1,
                "rate": 5,
                "duration": 1.5,
            },
            rounds=1,
            what="3 rooms x 3 clients, 1 sender/room x 5 msg/s, 1.5 s",
        ),
    ]


@dataclass
class Bench:
    specs: list[Spec]
    profile: bool = True
    users: int = 1000
    rooms: int = 50
    log: callable = print
    results: dict = field(default_factory=dict)

    def run(self) -> dict:
        raise_nofile()
        var_dir().mkdir(parents=True, exist_ok=True)
        started = time.time()
        self.results = {
            "machine": machine(),
            "code": code_version(),
            "command": " ".join(
                [Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]
            ),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
            "rate_limit": RATE_LIMIT,
            "load_avg_start": round(os.getloadavg()[0], 2),
            "scenarios": [],
            "notes": [],
        }
        self.redis = start_redis()
        self.databases: dict[str, Database] = {}
        try:
            for spec in self.specs:
                self.log(f"== scenario {spec.key}: {spec.title}")
                entry = self._scenario(spec)
                self.results["scenarios"].append(entry)
                if spec.key == "2" and self.profile:
                    self.results["profile"] = self._profile(spec)
        finally:
            self.redis.stop()
            if "postgresql" in self.databases:
                try:
                    drop_postgres()
                except Exception as error:
                    self.log(f"could not drop the bench database: {error}")
        self.results["load_avg_end"] = round(os.getloadavg()[0], 2)
        self.results["total_s"] = round(time.time() - started, 1)
        return self.results

    def _database(self, kind: str) -> Database | str:
        if kind not in self.databases:
            if kind == "postgresql":
                why = postgres_available()
                if why:
                    return f"PostgreSQL did not answer ({why}); skipped."
            self.log(f"   creating the {kind} database")
            self.databases[kind] = Database(kind, self.users, self.rooms).create(
                self.redis.url
            )
        return self.databases[kind]

    def _flush_redis(self) -> None:
        client = redis.Redis.from_url(self.redis.url)
        client.flushall()
        client.close()

    def _scenario(self, spec: Spec) -> dict:
        entry = {
            "key": spec.key,
            "title": spec.title,
            "what": spec.what,
            "params": spec.params,
            "database": spec.database,
            "processes": spec.processes,
            "runs": [],
        }
        database = self._database(spec.database)
        if isinstance(database, str):
            entry["skipped"] = database
            self.log(f"   {database}")
            return entry
        servers = None
        try:
            for round_ in range(1, spec.rounds + 1):
                for kind in ("ours", "ceiling"):
                    if servers is None or spec.fresh:
                        if servers is not None:
                            self._stop(servers)
                        self._flush_redis()
                        servers = self._start(spec, database)
                    dep = self._deployment(kind, servers, database)
                    self.log(f"   round {round_}: {kind}")
                    result = uvloop.run(self._one(spec, dep))
                    result.update(server=kind, round=round_)
                    entry["runs"].append(result)
                    self.log("     " + brief(result))
                    settle([*servers[0], servers[1]], self.redis.process.pid)
        finally:
            if servers is not None:
                self._stop(servers)
        entry["medians"] = medians(entry["runs"])
        return entry

    def _start(self, spec: Spec, database: Database) -> tuple[list, CeilingServer]:
        ours = [
            ChatServer(database=database, redis_url=self.redis.url).start()
            for _ in range(spec.processes)
        ]
        return ours, CeilingServer().start()

    @staticmethod
    def _stop(servers: tuple[list, CeilingServer]) -> None:
        for server in [*servers[0], servers[1]]:
            server.stop()

    def _deployment(
        self, kind: str, servers: tuple[list, CeilingServer], database: Database
    ) -> Deployment:
        ours, ceiling = servers
        loadgen = os.getpid()
        if kind == "ceiling":
            return Deployment(
                kind="ceiling",
                urls=[ceiling.ws_url],
                pids={"server": ceiling.pid, "loadgen": loadgen},
                cookies=database.cookies,
            )
        pids = {
            f"server{i + 1}" if len(ours) > 1 else "server": s.pid
            for i, s in enumerate(ours)
        }
        return Deployment(
            kind="ours",
            urls=[s.ws_url for s in ours],
            pids={**pids, "redis": self.redis.process.pid, "loadgen": loadgen},
            cookies=database.cookies,
            http_url=ours[0].http_url,
        )

    async def _one(self, spec: Spec, dep: Deployment, profile=None) -> dict:
        if spec.kind == "fixed":
            return await scenarios.fixed_load(dep, **spec.params, profile=profile)
        if spec.kind == "stepped":
            return await scenarios.stepped_load(dep, **spec.params)
        if spec.kind == "storm":
            return await scenarios.storm(dep, **spec.params)
        raise ValueError(spec.kind)

    def _profile(self, spec: Spec) -> dict:
        """Scenario 2 once more against our server, under cProfile."""
        self.log("== profile: scenario 2 under cProfile")
        database = self.databases[spec.database]
        self._flush_redis()
        out = var_dir() / "profile-scenario2.prof"
        server = ProfiledChatServer(
            out=out, database=database, redis_url=self.redis.url
        ).start()
        dep = Deployment(
            kind="ours",
            urls=[server.ws_url],
            pids={
                "server": server.pid,
                "redis": self.redis.process.pid,
                "loadgen": os.getpid(),
            },
            cookies=database.cookies,
        )
        try:
            result = uvloop.run(self._one(spec, dep, profile=Profiling(server)))
        finally:
            server.stop()
        self.log("     " + brief(result))
        return {"run": result, **summarize_profile(out, result)}


def settle(servers: list, redis_pid: int, timeout: float = 30.0) -> None:
    """Wait until the servers and Redis are idle (closing hundreds of sockets
    sends presence leaves for a while), so one run does not slow the next."""
    procs = [psutil.Process(s.pid) for s in servers] + [psutil.Process(redis_pid)]
    deadline = time.monotonic() + timeout
    time.sleep(0.5)
    while time.monotonic() < deadline:
        before = sum(sum(p.cpu_times()[:2]) for p in procs)
        time.sleep(0.5)
        if sum(sum(p.cpu_times()[:2]) for p in procs) - before < 0.02:
            return


def brief(result: dict) -> str:
    if "steps" in result:
        best = result["best"] or {}
        return (
            f"best: {best.get('deliveries_per_s')} deliveries/s, "
            f"{best.get('messages_per_s')} msg/s over {len(result['steps'])} steps"
        )
    if "rss_per_socket_kb" in result:
        return (
            f"{result['connections_ok']} ok / {result['connections_failed']} failed, "
            f"{result['connects_per_s']} conn/s, "
            f"RSS/socket {result['rss_per_socket_kb']} "
            f"(cold {result.get('rss_cold_per_socket_kb')}), "
            f"online {result['online_while_open']} -> {result['online_after_close']}"
        )
    return (
        f"{result['connections_ok']} ok, sent {result['sent']}, "
        f"received {result['received']}/{result['expected']}, lost {result['lost']}, "
        f"dup {result['duplicates']}, "
        f"p50 {result['p50_ms']} p99 {result['p99_ms']} ms, "
        f"{result['server_cpu_us_per_delivery']} us CPU/delivery"
    )


MEDIAN_KEYS = [
    "deliveries_per_s",
    "messages_per_s",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "server_cpu_us_per_delivery",
    "connects_per_s",
]


def medians(runs: list[dict]) -> dict:
    out: dict[str, dict] = {}
    for kind in ("ours", "ceiling"):
        mine = [r for r in runs if r["server"] == kind]
        values: dict = {}
        for key in MEDIAN_KEYS:
            got = [v for r in mine if (v := _value(r, key)) is not None]
            if got:
                values[key] = round(statistics.median(got), 2)
        for key in ("rss_per_socket_kb", "rss_cold_per_socket_kb"):
            rss = [r[key]["server"] for r in mine if key in r]
            if rss:
                values[key] = round(statistics.median(rss), 1)
        out[kind] = values
    out["ratio"] = {
        key: round(out["ours"][key] / out["ceiling"][key], 2)
        for key in out["ours"]
        if out["ceiling"].get(key)
    }
    return out


def _value(run: dict, key: str):
    if "steps" in run:
        return (run.get("best") or {}).get(key)
    return run.get(key)
