"""A private PostgreSQL for `make cluster` when DATABASE_URL is unset: Debian's
`postgresql` binaries, a data folder under var/ made by initdb, listening on
127.0.0.1 and a free port, trust authentication for local use only.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from devserver.localredis import free_port

MISSING = (
    "PostgreSQL's server binaries (initdb, pg_ctl) are missing: install Debian's "
    "package as root with 'apt-get install -y postgresql', or set DATABASE_URL "
    "to a PostgreSQL you run."
)


def find_binaries() -> Path:
    """The folder of initdb and pg_ctl: Debian keeps them out of PATH, under
    /usr/lib/postgresql/<version>/bin (the newest wins)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: (
            int(Path(path).parts[4]) if Path(path).parts[4].isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    raise RuntimeError(MISSING)


class LocalPostgres:
    """initdb (once) and pg_ctl start/stop of a data folder under `directory`."""

    def __init__(self, directory: Path | str, port: int | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.data = self.directory / "data"
        self.port = port or free_port()
        self.log = self.directory / "postgres.log"
        self.bin = find_binaries()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/chat"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # PostgreSQL refuses to run as root: as root, run it as the `postgres`
        # user that Debian's package creates, owning the folder.
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _service_user(), "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stderr[-1500:]}"
                f" (see {self.log})"
            )
        return done

    def start(self) -> LocalPostgres:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam(_service_user())
            for path in (self.directory, *self.directory.rglob("*")):
                os.chown(path, user.pw_uid, user.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync",
            )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-k {self.directory} -c fsync=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "start",
        )  # fmt: skip
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
                    autocommit=True,
                    connect_timeout=2,
                ) as connection:
                    exists = connection.execute(
                        "SELECT 1 FROM pg_database WHERE datname = 'chat'"
                    ).fetchone()
                    if not exists:
                        connection.execute("CREATE DATABASE chat")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop", check=False)


def _service_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("No 'postgres' user to run PostgreSQL as: " + MISSING)
