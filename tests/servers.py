"""Real server processes for tests that need more than the test's own process:
two servers sharing one Redis, a server killed with SIGKILL, and so on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.db import connection
from websockets.asyncio.client import ClientConnection, connect

from devserver.localredis import free_port, stop_process
from devserver.serve import WS_MAX_SIZE

BASE_DIR = Path(__file__).resolve().parent.parent


def database_url_for_tests() -> str:
    """A DATABASE_URL for the test database the suite is using right now."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    if connection.vendor == "postgresql":
        user = settings.get("USER") or "postgres"
        host = settings.get("HOST") or "127.0.0.1"
        port = settings.get("PORT") or 5432
        password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
        return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
    raise NotImplementedError(connection.vendor)


class ServerProcess:
    """`uvicorn project.asgi:application` in a child process, on a free port."""

    def __init__(self, *, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = BASE_DIR / "var" / f"server-{self.port}.log"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url_for_tests(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [
            sys.executable, "-m", "uvicorn", "project.asgi:application",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--ws-max-size", str(WS_MAX_SIZE), "--ws-ping-interval", "0",
            "--lifespan", "off", "--no-access-log",
        ]  # fmt: skip
        self.log_path.parent.mkdir(exist_ok=True)
        # A restart appends, so the log tells the whole story of the port.
        mode = "ab" if self.process is not None else "wb"
        self._log = open(self.log_path, mode)  # noqa: SIM115
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited: {self.log_path.read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{self.http_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become healthy: {self.log_path}")

    async def room_socket(
        self, session_key: str, slug: str = "general", query: str = ""
    ) -> tuple[ClientConnection, dict]:
        """A socket to /ws/chat/<slug>/ whose first two frames were read and
        checked (presence.state, then history): (socket, history frame)."""
        from tests.conftest import ORIGIN

        ws = await connect(
            f"{self.ws_url}/ws/chat/{slug}/" + (f"?{query}" if query else ""),
            origin=ORIGIN,
            additional_headers={"Cookie": f"sessionid={session_key}"},
            open_timeout=10,
        )
        first = [json.loads(await ws.recv()) for _ in range(2)]
        assert [f["type"] for f in first] == ["presence.state", "history"], first
        return ws, first[1]

    def restart(self, timeout: float = 30.0) -> ServerProcess:
        """Start again on the same port (after `stop()` or `kill()`), as a
        deployment restarts a process: clients reconnect to the same URL."""
        self.stop()
        return self.start(timeout)

    def kill(self) -> None:
        """Die as a crashed process would: no disconnect handlers run."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        stop_process(self.process)
        if getattr(self, "_log", None):
            self._log.close()
