"""Real server processes for tests that need more than the test's own process:
two servers sharing one Redis, a server killed with SIGKILL, and so on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.db import connection
from websockets.asyncio.client import ClientConnection, connect

from devserver.processes import UVICORN, ChatProcess

BASE_DIR = Path(__file__).resolve().parents[2]


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


class ServerProcess(ChatProcess):
    """Our server in a child process, on the suite's database and Redis."""

    def __init__(self, *, env: dict[str, str] | None = None) -> None:
        super().__init__(log_dir=BASE_DIR / "var")
        self.name = "server"
        self.log_path = BASE_DIR / "var" / f"server-{self.port}.log"
        self.extra_env = env or {}

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url_for_tests(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def start(self, timeout: float = 30.0) -> ServerProcess:
        super().start(timeout)
        return self

    async def room_socket(
        self, session_key: str, slug: str = "general", query: str = ""
    ) -> tuple[ClientConnection, dict]:
        """A socket to /ws/chat/<slug>/ whose first two frames were read and
        checked (presence.state, then history): (socket, history frame)."""
        from tests.helpers.sockets import ORIGIN

        ws = await connect(
            f"{self.ws_url}/ws/chat/{slug}/" + (f"?{query}" if query else ""),
            origin=ORIGIN,
            additional_headers={"Cookie": f"sessionid={session_key}"},
            open_timeout=10,
        )
        first = [json.loads(await ws.recv()) for _ in range(2)]
        assert [f["type"] for f in first] == ["presence.state", "history"], first
        return ws, first[1]


class AppServer(ServerProcess):
    """A ServerProcess serving another ASGI application than project.asgi's
    (one with a planted bug or a test's hook), with the same uvicorn options."""

    def __init__(self, *, env: dict[str, str], app: str) -> None:
        super().__init__(env=env)
        self.app = app

    def command(self) -> list[str]:
        command = super().command()
        command[-1] = command[-1].replace("project.asgi:application", self.app)
        assert self.app in command[-1], UVICORN
        return command
