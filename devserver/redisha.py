"""Redis with Sentinel on one machine, from the files in deploy/redis/: a
master, its replicas and three Sentinels, each a redis-server process on
127.0.0.1 with a port of its own. `make cluster` and the failover tests
(tests/ha/) run it; on three machines the same files run one of each per
machine (README, "Deployment on three machines").
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import redis

from devserver.localredis import (
    _die_with_parent,
    find_redis_server,
    free_port,
    stop_process,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DEPLOY = BASE_DIR / "deploy" / "redis"
HOST = "127.0.0.1"


def render(text: str, values: dict[str, str]) -> str:
    """A deploy/ config file with some directives set: each key (its first
    words, e.g. "port" or "sentinel monitor mymaster") replaces the line
    starting with it, or is added at the end. Comments stay as they are."""
    lines = text.splitlines()
    for key, value in values.items():
        line = f"{key} {value}"
        for i, old in enumerate(lines):
            if old == key or old.startswith(key + " "):
                lines[i] = line
                break
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


class Node:
    """One redis-server process: a data node, or a Sentinel."""

    def __init__(self, name: str, directory: Path, *, sentinel: bool = False) -> None:
        self.name = name
        self.directory = directory
        self.sentinel = sentinel
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.conf = directory / f"{name}.conf"
        self.log = directory / f"{name}.log"

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def client(self, timeout: float = 1.0) -> redis.Redis:
        return redis.Redis(
            host=HOST, port=self.port, socket_timeout=timeout, decode_responses=True
        )

    def start(self, timeout: float = 10.0) -> None:
        command = [find_redis_server(), str(self.conf)]
        if self.sentinel:
            command.append("--sentinel")
        self.process = subprocess.Popen(
            command,
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if os.name == "posix" else None,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            try:
                with self.client(0.2) as client:
                    client.ping()
                return
            except redis.RedisError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name} did not answer; see {self.log}"
                    ) from error
                time.sleep(0.05)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive:
            self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL: as a crash or a machine's power cut would end it."""
        if self.alive:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        stop_process(self.process, timeout=5)


class RedisHA:
    """A master, `replicas` replicas and `sentinels` Sentinels (quorum 2),
    their files under `directory`; down-after and failover timeout short by
    default, for a demonstration and for tests."""

    def __init__(
        self,
        directory: Path | str,
        *,
        replicas: int = 2,
        sentinels: int = 3,
        master_name: str = "mymaster",
        quorum: int = 2,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 3000,
    ) -> None:
        self.directory = Path(directory)
        self.master_name = master_name
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.nodes = [
            Node(f"redis-{i + 1}", self.directory) for i in range(1 + replicas)
        ]
        self.sentinels = [
            Node(f"sentinel-{i + 1}", self.directory, sentinel=True)
            for i in range(sentinels)
        ]

    @property
    def sentinels_env(self) -> str:
        """REDIS_SENTINELS for the chat servers."""
        return ",".join(s.address for s in self.sentinels)

    def start(self, timeout: float = 30.0) -> RedisHA:
        self.directory.mkdir(parents=True, exist_ok=True)
        master, *replicas = self.nodes
        self.start_node(master)
        for node in replicas:
            self.start_node(node, replica_of=master)
        name = self.master_name
        template = (DEPLOY / "sentinel.conf").read_text().replace("mymaster", name)
        for sentinel in self.sentinels:
            values = {
                "port": str(sentinel.port),
                "dir": str(self.directory),
                "logfile": str(sentinel.log),
                f"sentinel monitor {name}": f"{HOST} {master.port} {self.quorum}",
                f"sentinel down-after-milliseconds {name}": str(self.down_after_ms),
                f"sentinel failover-timeout {name}": str(self.failover_timeout_ms),
            }
            sentinel.conf.write_text(render(template, values))
            sentinel.start()
        self.wait_ready(timeout)
        return self

    def start_node(self, node: Node, replica_of: Node | None = None) -> None:
        """(Re)start a data node as the master, or as a replica of one. The
        file is written anew each time: whoever restarts a node says what it
        is (as an operator would), and Sentinel corrects it if need be."""
        values = {
            "port": str(node.port),
            "dir": str(self.directory),
            "logfile": str(node.log),
            "dbfilename": f"{node.name}.rdb",
        }
        if replica_of is not None:
            values["replicaof"] = f"{HOST} {replica_of.port}"
        node.conf.write_text(render((DEPLOY / "redis.conf").read_text(), values))
        node.start()

    def master(self) -> Node:
        """The node that a majority of the Sentinels name as master."""
        named: dict[int, int] = {}
        for sentinel in self.sentinels:
            if not sentinel.alive:
                continue
            try:
                with sentinel.client() as client:
                    address = client.sentinel_get_master_addr_by_name(self.master_name)
            except redis.RedisError:
                continue
            if address:
                port = int(address[1])
                named[port] = named.get(port, 0) + 1
        for node in self.nodes:
            if named.get(node.port, 0) >= self.quorum:
                return node
        raise RuntimeError(f"the Sentinels do not agree on a master: {named}")

    def healthy(self) -> bool:
        """Every node up, a master that all Sentinels name, every replica
        in sync with it, and every Sentinel seeing the others."""
        try:
            master = self.master()
            with master.client() as client:
                info = client.info("replication")
            if info["role"] != "master":
                return False
            online = sum(
                1
                for key, value in info.items()
                if key.startswith("slave") and isinstance(value, dict)
                and value.get("state") == "online"
            )  # fmt: skip
            if online != len(self.nodes) - 1:
                return False
            for sentinel in self.sentinels:
                with sentinel.client() as client:
                    state = client.sentinel_master(self.master_name)
                if state["port"] != master.port or state["is_sdown"]:
                    return False
                if state["num-other-sentinels"] != len(self.sentinels) - 1:
                    return False
                if state["num-slaves"] < len(self.nodes) - 1:
                    return False
        except (redis.RedisError, RuntimeError, KeyError):
            return False
        return all(n.alive for n in self.nodes + self.sentinels)

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Wait until healthy(); the seconds it took."""
        started = time.monotonic()
        while not self.healthy():
            if time.monotonic() - started > timeout:
                raise RuntimeError(
                    f"Redis with Sentinel not healthy; see {self.directory}"
                )
            time.sleep(0.1)
        return time.monotonic() - started

    def heal(self, timeout: float = 60.0) -> float:
        """Bring back what a fault took away: resume stopped nodes, restart
        dead ones as replicas of the current master; wait until healthy."""
        started = time.monotonic()
        for node in self.nodes + self.sentinels:
            node.signal(signal.SIGCONT)
        master = None
        deadline = time.monotonic() + timeout
        while master is None:
            try:
                master = self.master()
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        if not master.alive:  # every node was down: the named master first
            self.start_node(master)
        for node in self.nodes:
            if not node.alive:
                self.start_node(node, replica_of=master)
            elif node is not master:
                # A master demoted while away is converted by the Sentinels
                # only at their next INFO of it, up to 10 s later: do it now.
                with node.client() as client:
                    if client.info("replication")["role"] == "master":
                        client.replicaof(HOST, master.port)
        for sentinel in self.sentinels:
            if not sentinel.alive:
                sentinel.start()
        self.wait_ready(max(deadline - time.monotonic(), 1))
        return time.monotonic() - started

    def stop(self) -> None:
        for node in self.sentinels + self.nodes:
            node.signal(signal.SIGCONT)
            node.stop()
