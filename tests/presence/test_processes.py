"""Presence across real server processes sharing the suite's Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import ORIGIN

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TTL, HEARTBEAT = 2, 1
ENV = {"PRESENCE_TTL": str(TTL), "PRESENCE_HEARTBEAT": str(HEARTBEAT)}


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    try:
        for _ in range(2):
            started.append(ServerProcess(env=ENV).start())
        yield started
    finally:
        for server in started:
            server.stop()


def cookie(session_key: str) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={session_key}"


async def open_presence(server: ServerProcess, session_key: str) -> ClientConnection:
    return await connect(
        f"{server.ws_url}/ws/presence/",
        additional_headers={"Origin": ORIGIN, "Cookie": cookie(session_key)},
    )


async def receive(socket: ClientConnection, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def receive_until(socket: ClientConnection, kind: str, user_id: int,
                        timeout: float) -> dict:  # fmt: skip
    """The next `kind` frame about the user; others (late joins) are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await receive(socket, max(deadline - time.monotonic(), 0.01))
        if frame["type"] == kind and frame["user"]["id"] == user_id:
            return frame


async def users(make_user, *names: str) -> list:
    made = [await sync_to_async(make_user)(name) for name in names]
    return [(user, await asession_cookie_for(user)) for user in made]


async def test_users_on_two_processes_see_each_other(servers, make_user):
    (watcher, watcher_key), (visitor, visitor_key) = await users(make_user, "w", "v")
    first, second = servers
    watching = await open_presence(second, watcher_key)
    assert (await receive(watching))["users"] == [watcher.ref()]

    visiting = await open_presence(first, visitor_key)
    state = await receive(visiting)
    assert state == {
        "type": "presence.state", "room": None,
        "users": [visitor.ref(), watcher.ref()],
    }  # fmt: skip
    joined = await receive_until(watching, "presence.join", visitor.id, 5)
    assert joined == {"type": "presence.join", "room": None, "user": visitor.ref()}

    await visiting.close()
    left = await receive_until(watching, "presence.leave", visitor.id, 5)
    assert left == {"type": "presence.leave", "room": None, "user": visitor.ref()}
    await watching.close()


async def test_a_killed_process_leaves_no_ghost(servers, make_user):
    (watcher, watcher_key), (victim, victim_key) = await users(make_user, "w", "v")
    doomed, survivor = servers
    watching = await open_presence(survivor, watcher_key)
    await receive(watching)
    crashing = await open_presence(doomed, victim_key)
    await receive(crashing)
    await receive_until(watching, "presence.join", victim.id, 5)

    await asyncio.to_thread(doomed.kill)
    killed_at = time.monotonic()
    # The last refresh was at most one heartbeat before the kill; the slack
    # covers a loaded CI machine.
    await receive_until(watching, "presence.leave", victim.id, TTL + HEARTBEAT + 2)
    assert time.monotonic() - killed_at <= TTL + HEARTBEAT + 2

    async with httpx.AsyncClient(base_url=survivor.http_url) as http:
        response = await http.get(
            "/api/online/", headers={"Cookie": cookie(watcher_key)}
        )
    assert response.status_code == 200
    assert response.json() == {"users": [watcher.ref()]}
    await watching.close()
    with pytest.raises(ConnectionClosed):
        await crashing.recv()


async def test_a_process_started_after_a_crash_cleans_up(make_user):
    (watcher, watcher_key), (victim, victim_key) = await users(make_user, "w", "v")
    doomed = await asyncio.to_thread(ServerProcess(env=ENV).start)
    try:
        crashing = await open_presence(doomed, victim_key)
        await receive(crashing)
    finally:
        await asyncio.to_thread(doomed.kill)
        doomed.stop()
    killed_at = time.monotonic()
    fresh = await asyncio.to_thread(ServerProcess(env=ENV).start)
    # The fresh process is the only one left to sweep: the leave comes once
    # the record expired and that process is up, whichever is later (on a
    # loaded machine a server start alone can take longer than the TTL).
    due = max(killed_at + TTL + HEARTBEAT, time.monotonic())
    try:
        watching = await open_presence(fresh, watcher_key)
        state = await receive(watching)
        if victim.ref() in state["users"]:  # not expired yet when we came
            await receive_until(watching, "presence.leave", victim.id, TTL + 4)
        assert time.monotonic() <= due + 2
        async with httpx.AsyncClient(base_url=fresh.http_url) as http:
            response = await http.get(
                "/api/online/", headers={"Cookie": cookie(watcher_key)}
            )
        assert response.json() == {"users": [watcher.ref()]}
        await watching.close()
    finally:
        fresh.stop()
