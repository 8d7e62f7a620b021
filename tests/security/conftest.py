"""Attacks against real server processes (tests/servers.py): every module
here reproduces findings of issue #17 and shows what the product does now.

A module may set SERVER_ENV (extra environment of its server) and
SERVER_APP (an ASGI application path, e.g. one that plants a failing
handler); its server is started once for the module.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect

from tests.helpers.servers import AppServer, ServerProcess
from tests.helpers.sessions import session_cookie_for
from tests.helpers.sockets import ORIGIN

CSRF = "s" * 32  # any 32-character secret does as the csrftoken cookie


@pytest.fixture(scope="module")
def server(request, django_db_setup, django_db_blocker) -> Iterator[ServerProcess]:
    env = getattr(request.module, "SERVER_ENV", {})
    app = getattr(request.module, "SERVER_APP", None)
    with django_db_blocker.unblock():
        process = ServerProcess(env=env) if app is None else AppServer(env=env, app=app)
        process.start()
    yield process
    process.stop()


@dataclass
class Account:
    """A signed-up user with a live session on `server`."""

    user: object
    key: str
    server: ServerProcess
    clients: list = field(default_factory=list)

    def http(self, server: ServerProcess | None = None, **kwargs) -> httpx.Client:
        """An HTTP client with this session and a CSRF token."""
        server = server or self.server
        client = httpx.Client(
            base_url=server.http_url,
            cookies={
                settings.SESSION_COOKIE_NAME: self.key,
                settings.CSRF_COOKIE_NAME: CSRF,
            },
            headers={"X-CSRFToken": CSRF, "Origin": server.http_url},
            timeout=kwargs.pop("timeout", 10),
            **kwargs,
        )
        self.clients.append(client)
        return client

    async def connect(
        self, path: str, server: ServerProcess | None = None, **kwargs
    ) -> ClientConnection:
        kwargs.setdefault("origin", ORIGIN)
        return await connect(
            f"{(server or self.server).ws_url}{path}",
            additional_headers={"Cookie": f"sessionid={self.key}"},
            open_timeout=10,
            # A test reads only what it asserts on: with websockets' default
            # queue of 16 frames the client would stop reading, and a
            # close would wait 10 s for a close frame it never reads.
            max_queue=None,
            **kwargs,
        )

    async def room(
        self,
        slug: str = "general",
        query: str = "",
        server: ServerProcess | None = None,
    ) -> tuple[ClientConnection, dict]:
        """A room socket whose presence.state and history were read."""
        ws = await self.connect(
            f"/ws/chat/{slug}/" + (f"?{query}" if query else ""), server
        )
        first = [json.loads(await ws.recv()) for _ in range(2)]
        assert [f["type"] for f in first] == ["presence.state", "history"], first
        return ws, first[1]

    async def site(self, server: ServerProcess | None = None) -> ClientConnection:
        """A /ws/presence/ socket whose presence.state was read."""
        ws = await self.connect("/ws/presence/", server)
        first = json.loads(await ws.recv())
        assert first["type"] == "presence.state", first
        return ws


@pytest.fixture
def signup(server, make_user) -> Iterator[Callable[..., Account]]:
    """`signup(**user_fields)` → an Account on the module's server (sync)."""
    made: list[Account] = []

    def make(**fields) -> Account:
        user = make_user(**fields)
        account = Account(user=user, key=session_cookie_for(user), server=server)
        made.append(account)
        return account

    yield make
    for account in made:
        for client in account.clients:
            client.close()


@pytest.fixture
def asignup(signup) -> Callable:
    return sync_to_async(signup)


async def next_frame(ws: ClientConnection, kind: str, timeout: float = 5) -> dict:
    """The next frame of type `kind`, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


def online_ids(account: Account) -> set[int]:
    """Who /api/online/ says is online, as `account` asks."""
    response = account.http().get("/api/online/")
    assert response.status_code == 200, response.text
    return {user["id"] for user in response.json()["users"]}
