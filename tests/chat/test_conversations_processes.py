"""Conversations (PROTOCOL.md 1.1) across two real uvicorn processes sharing
one Redis and one database: read markers, activity and direct messages."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection, connect

from chat import services
from chat.models import Room
from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import session_cookie_for
from tests.helpers.sockets import ORIGIN

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]

CSRF = "c" * 32


@pytest.fixture
def two_servers() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    servers = [ServerProcess(env={"CHAT_RATE_LIMIT": "1000/10"}) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


async def site_socket(server: ServerProcess, key: str) -> ClientConnection:
    ws = await connect(
        f"{server.ws_url}/ws/presence/",
        origin=ORIGIN,
        additional_headers={"Cookie": f"sessionid={key}"},
        open_timeout=10,
    )
    assert json.loads(await ws.recv())["type"] == "presence.state"
    return ws


async def next_of(ws: ClientConnection, kind: str, timeout: float = 5) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def none_of(ws: ClientConnection, kinds: set[str], quiet: float = 1.0) -> bool:
    try:
        async with asyncio.timeout(quiet):
            while True:
                if json.loads(await ws.recv())["type"] in kinds:
                    return False
    except TimeoutError:
        return True


def api(server: ServerProcess, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.http_url,
        cookies={"sessionid": key, "csrftoken": CSRF},
        headers={"X-CSRFToken": CSRF},
        timeout=10,
    )


async def test_a_read_on_one_process_reaches_the_users_tabs_on_the_other(
    two_servers, make_user
):
    a, b = two_servers
    ada, bob = [await sync_to_async(make_user)(n) for n in ("ada", "bob")]
    ada_key = await sync_to_async(session_cookie_for)(ada)
    bob_key = await sync_to_async(session_cookie_for)(bob)
    bob_ws, _ = await a.room_socket(bob_key)
    for n in range(3):
        await bob_ws.send(json.dumps({"type": "message.send", "body": f"m{n}"}))
    tab_a, _ = await a.room_socket(ada_key)
    tab_b, _ = await b.room_socket(ada_key)
    site_b = await site_socket(b, ada_key)
    await asyncio.sleep(0.3)  # bob's three messages are stored and announced

    started = time.monotonic()
    await tab_a.send(json.dumps({"type": "read", "seq": 3}))
    expected = {
        "type": "read",
        "room": "general",
        "last_read": 3,
        "unread": 0,
        "mentions": 0,
    }
    assert await next_of(tab_b, "read") == expected
    assert await next_of(site_b, "read") == expected
    assert time.monotonic() - started < 1.0
    for ws in (bob_ws, tab_a, tab_b, site_b):
        await ws.close()


async def test_activity_crosses_processes_and_private_rooms_stay_private(
    two_servers, make_user
):
    a, b = two_servers
    ada, bob, eve = [await sync_to_async(make_user)(n) for n in ("ada", "bob", "eve")]
    await sync_to_async(services.room_create)(
        owner=ada, name="Den", slug="den", private=True, members=["bob"]
    )
    keys = [await sync_to_async(session_cookie_for)(u) for u in (ada, bob, eve)]
    bob_site, eve_site = await site_socket(b, keys[1]), await site_socket(b, keys[2])
    ada_den, _ = await a.room_socket(keys[0], "den")
    await ada_den.send(json.dumps({"type": "message.send", "body": "@eve @bob hi"}))
    activity = await next_of(bob_site, "room.activity")
    assert (activity["room"], activity["mention"]) == ("den", True)
    assert (await next_of(bob_site, "mention"))["message"]["body"] == "@eve @bob hi"
    assert await none_of(eve_site, {"room.activity", "mention"})
    for ws in (bob_site, eve_site, ada_den):
        await ws.close()


async def test_concurrent_dms_from_both_sides_on_two_processes_make_one_room(
    two_servers, make_user
):
    a, b = two_servers
    ada, bob = [await sync_to_async(make_user)(n) for n in ("ada", "bob")]
    ada_key = await sync_to_async(session_cookie_for)(ada)
    bob_key = await sync_to_async(session_cookie_for)(bob)
    clients = [api(a, ada_key), api(b, bob_key), api(b, ada_key), api(a, bob_key)]
    bodies = [{"username": "bob"}, {"username": "ada"}] * 2
    try:
        for _ in range(5):  # several rounds: each a fresh race
            await sync_to_async(Room.objects.filter(kind="direct").delete)()
            pairs = zip(clients, bodies, strict=True)
            answers = await asyncio.gather(
                *(c.post("/api/dms/", json=body) for c, body in pairs)
            )
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [200, 200, 200, 201], [r.text for r in answers]
            assert len({r.json()["slug"] for r in answers}) == 1
            count = await sync_to_async(Room.objects.filter(kind="direct").count)()
            assert count == 1
    finally:
        for client in clients:
            await client.aclose()
