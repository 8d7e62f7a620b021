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

from bench import restart, scenarios, storms
from bench.measure import machine
from bench.profile import (
    ProfiledChatServer,
    Profiling,
    profile_connects,
    summarize_profile,
)
from bench.proxy_process import start_proxy
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
from bench.specs import Spec, full_specs, smoke_specs  # noqa: F401 (re-exported)
from devserver.processes import raise_nofile

# Scenarios run once more under cProfile, and the key of their profile in
# the results: 1 shows the per-message path (ten deliveries a message), 2
# the per-delivery one.
PROFILED = {"1": "profile_small_room", "2": "profile"}


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
        self.progress = Progress(self.specs, started, self.log)
        try:
            for n, spec in enumerate(self.specs, 1):
                self.log(
                    f"== scenario {spec.key}: {spec.title} ({n} of {len(self.specs)})"
                )
                entry = self._scenario(spec)
                self.results["scenarios"].append(entry)
                if spec.key in PROFILED and self.profile:
                    self.results[PROFILED[spec.key]] = self._profile(spec)
                if spec.key == "9a" and self.profile:
                    self.results["connect_profile"] = self._connect_profile(spec, entry)
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
            "env": spec.env,
            "runs": [],
        }
        database = self._database(spec.database)
        if isinstance(database, str):
            entry["skipped"] = database
            self.log(f"   {database}")
            return entry
        servers = None
        kinds = ("ours", "ceiling") if spec.ceiling else ("ours",)
        try:
            for round_ in range(1, spec.rounds + 1):
                for kind in kinds:
                    if servers is None or spec.fresh:
                        if servers is not None:
                            self._stop(servers)
                        self._flush_redis()
                        servers = self._start(spec, database)
                    dep = self._deployment(kind, servers, database)
                    self.progress.line(spec, round_, kind)
                    result = uvloop.run(self._one(spec, dep, servers=servers))
                    self.progress.done(spec)
                    result.update(server=kind, round=round_)
                    entry["runs"].append(result)
                    self.log("     " + brief(result))
                    settle([*servers[0], servers[1]], self.redis.process.pid)
        finally:
            if servers is not None:
                self._stop(servers)
        entry["medians"] = medians(entry["runs"])
        return entry

    def _start(self, spec: Spec, database: Database) -> tuple:
        ours = [
            ChatServer(
                database=database, redis_url=self.redis.url, env=spec.env
            ).start()
            for _ in range(spec.processes)
        ]
        if spec.kind == "restart":
            self.proxy = start_proxy([s.port for s in ours])
            self.results["notes"].append(f"scenario {spec.key}: {self.proxy.what}")
        return ours, CeilingServer().start() if spec.ceiling else None

    def _stop(self, servers: tuple) -> None:
        for server in [*servers[0], servers[1]]:
            if server is not None:
                server.stop()
        if getattr(self, "proxy", None) is not None:
            self.proxy.stop()
            self.proxy = None

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
        proxy = getattr(self, "proxy", None)
        return Deployment(
            kind="ours",
            urls=[proxy.ws_url] if proxy else [s.ws_url for s in ours],
            pids={**pids, "redis": self.redis.process.pid, "loadgen": loadgen},
            cookies=database.cookies,
            http_url=ours[0].http_url,
        )

    async def _one(
        self, spec: Spec, dep: Deployment, profile=None, servers=None
    ) -> dict:
        if spec.kind == "fixed":
            return await scenarios.fixed_load(dep, **spec.params, profile=profile)
        if spec.kind == "stepped":
            return await scenarios.stepped_load(dep, **spec.params)
        if spec.kind == "storm":
            return await scenarios.storm(dep, **spec.params)
        if spec.kind == "crowd":
            return await storms.crowd(dep, **spec.params)
        if spec.kind == "restart":
            return await restart.rolling_restart(dep, servers[0], **spec.params)
        raise ValueError(spec.kind)

    def _connect_profile(self, spec: Spec, entry: dict) -> dict:
        """Scenario 9a's connects once more against our server, under cProfile."""
        self.log("== profile: the handshake (scenario 9a) under cProfile")
        self._flush_redis()
        return profile_connects(
            database=self.databases[spec.database],
            redis_url=self.redis.url,
            out=var_dir() / "profile-connect.prof",
            sockets=spec.params["sockets"],
            rooms=spec.params["rooms"],
            unprofiled=_first_ours(entry),
        )

    def _profile(self, spec: Spec) -> dict:
        """The scenario once more against our server, under cProfile."""
        self.log(f"== profile: scenario {spec.key} under cProfile")
        database = self.databases[spec.database]
        self._flush_redis()
        out = var_dir() / f"profile-scenario{spec.key}.prof"
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
        return {"scenario": spec.key, "run": result, **summarize_profile(out, result)}


class Progress:
    """`make bench`'s progress lines: scenario i of n, round, elapsed, and an
    estimate of what is left (each spec's estimate_s, scaled by how the run
    has kept to the estimates so far)."""

    def __init__(self, specs: list[Spec], started: float, log) -> None:
        self.specs = specs
        self.started = started
        self.log = log
        self.runs_left = {id(s): s.rounds * (2 if s.ceiling else 1) for s in specs}
        self.estimated_done = 0.0

    def _left(self) -> float:
        left = sum(s.estimate_s * self.runs_left[id(s)] for s in self.specs)
        elapsed = time.time() - self.started
        pace = elapsed / self.estimated_done if self.estimated_done else 1.0
        return left * max(0.5, min(pace, 3.0))

    def line(self, spec: Spec, round_: int, kind: str) -> None:
        n = self.specs.index(spec) + 1
        elapsed = time.time() - self.started
        self.log(
            f"   [{n}/{len(self.specs)}] {spec.key} round {round_}/{spec.rounds} "
            f"{kind}: elapsed {_clock(elapsed)}, about {_clock(self._left())} left"
        )

    def done(self, spec: Spec) -> None:
        self.runs_left[id(spec)] -= 1
        self.estimated_done += spec.estimate_s


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def _first_ours(entry: dict) -> dict:
    return next((r for r in entry["runs"] if r["server"] == "ours"), {})


def settle(servers: list, redis_pid: int, timeout: float = 30.0) -> None:
    """Wait until the servers and Redis are idle (closing hundreds of sockets
    sends presence leaves for a while), so one run does not slow the next."""
    procs = [psutil.Process(s.pid) for s in servers if s is not None]
    procs.append(psutil.Process(redis_pid))
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
    if "restarts" in result:
        return (
            f"{result['connections_ok']} ok, sent {result['sent']}, acked "
            f"{result['acked']}, lost {result['lost']}, dup {result['duplicates']}, "
            f"gaps {result['unrepaired_gaps']}, back after "
            f"{[r['all_back_after_s'] for r in result['restarts']]} s"
        )
    if "rss_per_socket_kb" in result:
        return (
            f"{result['connections_ok']} ok / {result['connections_failed']} failed, "
            f"{result['connect_s']} s, "
            f"{result.get('cpu_ms_per_connect', '-')} ms CPU/connect, "
            f"{result['connects_per_s']} conn/s, "
            f"RSS/socket {result['rss_per_socket_kb']} "
            f"(cold {result.get('rss_cold_per_socket_kb')}), "
            f"online {result['online_while_open']} -> {result['online_after_close']}"
        )
    line = (
        f"{result['connections_ok']} ok, sent {result['sent']}, "
        f"received {result['received']}/{result['expected']}, lost {result['lost']}, "
        f"dup {result['duplicates']}, "
        f"p50 {result['p50_ms']} p99 {result['p99_ms']} ms, "
        f"{result['server_cpu_us_per_delivery']} us CPU/delivery"
    )
    if "activity_expected" in result:
        line += (
            f"; room.activity {result['activity_received']}/"
            f"{result['activity_expected']}, lost {result['activity_lost']}, "
            f"dup {result['activity_duplicates']}, "
            f"{result['server_cpu_us_per_frame']} us CPU/frame of either kind"
        )
    return line


MEDIAN_KEYS = [
    "connect_s",
    "cpu_ms_per_connect",
    "presence_frames",
    "presence_changes",
    "deliveries_per_s",
    "messages_per_s",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "server_cpu_us_per_delivery",
    "server_cpu_us_per_frame",
    "activity_received",
    "activity_lost",
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
