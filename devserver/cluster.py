"""`make cluster`: the whole deployment on one machine, from deploy/'s files.

    python -m devserver.cluster up [--servers N]   # Ctrl-C stops all of it
    python -m devserver.cluster status
    python -m devserver.cluster down

`up` starts a Redis master with two replicas and three Sentinels (quorum 2,
1 s down-after), a private PostgreSQL under var/cluster/ when DATABASE_URL
is unset, N chat servers (default 3) and HAProxy on $PORT in front of them,
prints where everything runs, and stays in the foreground. SIGHUP to it
restarts the servers one by one (drained first). The failover tests
(tests/ha/) run the same Cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devserver.haproxy import HAProxy
from devserver.localredis import _die_with_parent, free_port, stop_process
from devserver.redisha import RedisHA

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = BASE_DIR / "var" / "cluster"
# deploy/systemd/chat@.service runs the same (tests/ha checks it).
SERVER_COMMAND = [sys.executable, "-m", "devserver.serve"]


class Server:
    """One chat server process (devserver.serve: uvicorn) on its own port."""

    def __init__(self, n: int, directory: Path, env: dict[str, str]) -> None:
        self.n = n
        self.port = free_port()
        self.env = env
        self.log = directory / f"chat-{n}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self._log = open(self.log, "ab")  # noqa: SIM115
        env = {**self.env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.process = subprocess.Popen(
            SERVER_COMMAND, cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # no orphans if the cluster is killed
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"chat server {self.n} exited; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"chat server {self.n} not healthy; see {self.log}")
            time.sleep(0.1)

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> None:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        stop_process(self.process, timeout=15)


class Cluster:
    """Redis with Sentinel, PostgreSQL (unless `database_url`), `servers`
    chat servers and HAProxy on `port`, their files under `directory`."""

    def __init__(
        self,
        directory: Path | str = STATE_DIR,
        *,
        port: int = 8000,
        servers: int = 3,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        down_after_ms: int = 1000,
    ) -> None:
        self.directory = Path(directory)
        self.port = port
        self.redis = RedisHA(self.directory / "redis", down_after_ms=down_after_ms)
        self.database_url = database_url
        self.postgres = None
        self.extra_env = env or {}
        self.servers: list[Server] = []
        self.count = servers
        self.haproxy: HAProxy | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url,
            "REDIS_SENTINELS": self.redis.sentinels_env,
            "REDIS_SENTINEL_MASTER": self.redis.master_name,
            **self.extra_env,
        }

    def start(self) -> Cluster:
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self.redis.start()
            if self.database_url is None:
                from devserver.postgres import LocalPostgres

                self.postgres = LocalPostgres(self.directory / "postgres").start()
                self.database_url = self.postgres.url
            env = self.server_env()
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=BASE_DIR, env=env, check=True, timeout=300,
            )  # fmt: skip
            self.servers = [
                Server(n, self.directory, env) for n in range(1, self.count + 1)
            ]
            for server in self.servers:
                server.start()
            self.haproxy = HAProxy(
                self.directory / "haproxy", self.port, [s.port for s in self.servers]
            ).start()
            self.wait_balanced()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_balanced(self, timeout: float = 30.0) -> float:
        """Until HAProxy sees every server UP; the seconds it took."""
        started = time.monotonic()
        while set(self.haproxy.states().values()) != {"UP"}:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"HAProxy sees {self.haproxy.states()}")
            time.sleep(0.1)
        return time.monotonic() - started

    def restart_server(self, server: Server, timeout: float = 60.0) -> None:
        """Drain it at HAProxy (no new sockets), SIGTERM it (its sockets
        close with 1012 and reconnect elsewhere), start it, put it back."""
        self.haproxy.set_state(server.n, "drain")
        server.signal(signal.SIGTERM)
        server.wait(15)
        server.start(timeout)
        self.haproxy.set_state(server.n, "ready")

    def rolling_restart(self) -> None:
        for server in self.servers:
            self.restart_server(server)
            self.wait_balanced()

    def describe(self) -> str:
        lines = [f"Chat through HAProxy:  {self.url}/"]
        lines += [
            f"  chat server {s.n}:       {s.url}  (log {s.log})" for s in self.servers
        ]
        master = self.redis.master()
        for node in self.redis.nodes:
            role = "master" if node is master else "replica"
            lines.append(f"  {node.name} ({role}):  {node.address}")
        lines += [f"  {s.name}:          {s.address}" for s in self.redis.sentinels]
        lines.append(f"  REDIS_SENTINELS={self.redis.sentinels_env}")
        database = self.database_url or ""
        where = "private PostgreSQL" if self.postgres else "DATABASE_URL"
        lines.append(f"  database ({where}): {database}")
        lines.append(f"  HAProxy admin socket: {self.haproxy.socket}")
        lines.append(f"  files and logs:       {self.directory}")
        return "\n".join(lines)

    def state(self) -> dict:
        return {
            "pid": os.getpid(),
            "url": self.url,
            "servers": [{"n": s.n, "url": s.url} for s in self.servers],
            "redis": [n.address for n in self.redis.nodes],
            "sentinels": self.redis.sentinels_env,
            "master_name": self.redis.master_name,
            "haproxy_socket": str(self.haproxy.socket) if self.haproxy else None,
            "database_url": self.database_url,
        }

    def stop(self) -> None:
        if self.haproxy is not None:
            self.haproxy.stop()
        for server in self.servers:
            server.stop()
        self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()


def _up(args: argparse.Namespace) -> int:
    state_file = STATE_DIR / "state.json"
    if state_file.exists():
        pid = json.loads(state_file.read_text()).get("pid")
        if pid and _running(pid):
            print(f"A cluster runs already (pid {pid}); `scripts/cluster down` first.")
            return 1
    port = int(os.environ.get("PORT", "8000"))
    env = {"DEBUG": os.environ.get("DEBUG", "1")}
    cluster = Cluster(
        port=port,
        servers=args.servers,
        database_url=os.environ.get("DATABASE_URL"),
        env=env,
    )
    stopping: list[int] = []
    started = False

    def stop(signum: int, frame: object) -> None:
        if signum != signal.SIGHUP and not started:
            raise KeyboardInterrupt  # still starting: stop what started
        stopping.append(signum)

    # SIGINT too: a shell that starts us in the background ignores it, and
    # Ctrl-C must still stop everything (the children get it as well).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    try:
        cluster.start()
        started = True
        state_file.write_text(json.dumps(cluster.state(), indent=2))
        print(cluster.describe(), flush=True)
        print("Ctrl-C stops all of it; SIGHUP restarts the chat servers one by one.")
        while True:
            time.sleep(0.5)
            if stopping and stopping[-1] == signal.SIGHUP:
                stopping.clear()
                print("Rolling restart…", flush=True)
                cluster.rolling_restart()
                print("Rolling restart done.", flush=True)
            elif stopping:
                break
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the cluster…", flush=True)
        cluster.stop()
        state_file.unlink(missing_ok=True)
    return 0


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _down(args: argparse.Namespace) -> int:
    state_file = STATE_DIR / "state.json"
    if not state_file.exists():
        print("No cluster runs (no var/cluster/state.json).")
        return 0
    pid = json.loads(state_file.read_text())["pid"]
    if _running(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    state_file.unlink(missing_ok=True)
    print("Cluster stopped.")
    return 0


def _status(args: argparse.Namespace) -> int:
    from devserver.status import report

    state_file = STATE_DIR / "state.json"
    if not state_file.exists():
        print("No cluster runs (`make cluster` starts one).")
        return 3
    ok, text = report(json.loads(state_file.read_text()))
    print(text)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start everything, in the foreground")
    up.add_argument("--servers", type=int, default=3, choices=range(1, 10))
    up.set_defaults(run=_up)
    commands.add_parser("down", help="stop the running cluster").set_defaults(run=_down)
    commands.add_parser("status", help="what runs, and is it well").set_defaults(
        run=_status
    )
    args = parser.parse_args(argv)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
