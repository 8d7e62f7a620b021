"""The processes a benchmark run starts and stops itself: a fresh database under
var/bench/, a private Redis, our uvicorn server(s), and the ceiling server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devserver.localredis import LocalRedis
from devserver.processes import ChatProcess, ChildProcess

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """Where a run keeps its database, Redis files, logs and cookies
    (BENCH_VAR, default var/bench/), read at each use so tests can move it."""
    return Path(os.environ.get("BENCH_VAR") or BASE_DIR / "var" / "bench")


PG_URL = "postgres://postgres@127.0.0.1:5432/"
PG_NAME = "chat_bench"
# The chat's per-user limit (20/10) would refuse a load test at once.
RATE_LIMIT = "1000000/10"


def server_env(*, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CHAT_RATE_LIMIT": RATE_LIMIT,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"python {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def postgres_available() -> str | None:
    """None when PostgreSQL answers at PG_URL, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_URL + "postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as error:
        return str(error).strip().splitlines()[0]
    return None


def _recreate_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_URL + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")


def drop_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_URL + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


@dataclass
class Database:
    """A fresh, migrated database holding the bench users and rooms."""

    kind: str  # "sqlite" or "postgresql"
    users: int
    rooms: int
    url: str = ""
    cookies: dict = field(default_factory=dict)

    def create(self, redis_url: str) -> Database:
        var_dir().mkdir(parents=True, exist_ok=True)
        if self.kind == "sqlite":
            path = var_dir() / "bench.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.url = f"sqlite:///{path}"
        else:
            _recreate_postgres()
            self.url = PG_URL + PG_NAME
        env = server_env(database_url=self.url, redis_url=redis_url)
        _run(["manage.py", "migrate", "--noinput"], env)
        out = var_dir() / f"cookies-{self.kind}.json"
        _run(
            [
                "-m",
                "bench.seed",
                f"--count={self.users}",
                f"--rooms={self.rooms}",
                f"--out={out}",
            ],
            env,
        )
        self.cookies = json.loads(out.read_text())
        return self


class ChatServer(ChatProcess):
    """Our server: uvicorn with devserver.serve's options, DEBUG off."""

    log_level = "warning"

    def __init__(
        self, *, database: Database, redis_url: str, env: dict | None = None
    ) -> None:
        super().__init__(log_dir=var_dir())
        self.database = database
        self.redis_url = redis_url
        self.extra_env = env or {}  # a scenario's own settings (Spec.env)

    def env(self) -> dict[str, str]:
        return {
            **server_env(database_url=self.database.url, redis_url=self.redis_url),
            **self.extra_env,
        }


class CeilingServer(ChildProcess):
    name = "ceiling"

    def __init__(self) -> None:
        super().__init__(log_dir=var_dir())

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.ceiling", "--port", str(self.port)]

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def ready(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), 0.5):
            return True


def start_redis() -> LocalRedis:
    directory = var_dir() / "redis"
    shutil.rmtree(directory, ignore_errors=True)
    return LocalRedis(directory).start()
