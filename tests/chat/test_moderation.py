"""Moderation that reaches live sockets, through a real server process:
deletions become tombstones everywhere, bans kick and refuse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from websockets.asyncio.client import ClientConnection, connect

from chat.models import Room
from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import session_cookie_for
from tests.helpers.sockets import ORIGIN

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]
CSRF = "x" * 32  # Django accepts an unmasked 32-character secret equal to the cookie


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    # Module-scoped: started once the first test's database exists.
    process = None

    def start() -> ServerProcess:
        nonlocal process
        if process is None:
            process = ServerProcess(env={"CHAT_RATE_LIMIT": "1000/10"}).start()
        return process

    yield start
    if process is not None:
        process.stop()


class Person:
    def __init__(self, server: ServerProcess, key: str) -> None:
        self.server = server
        self.key = key
        self.http = httpx.AsyncClient(
            base_url=server.http_url,
            cookies={"sessionid": key, "csrftoken": CSRF},
            headers={"X-CSRFToken": CSRF, "Origin": server.http_url},
        )

    async def socket(self, slug: str = "general", query: str = "") -> tuple:
        return await self.server.room_socket(self.key, slug, query)


async def person(server, make_user, username: str, **fields) -> Person:
    user = await database_sync_to_async(make_user)(username, **fields)
    return Person(server(), await sync_to_async(session_cookie_for)(user))


async def next_of(ws: ClientConnection, kind: str, timeout: float = 5) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def test_deletion_reaches_the_room_and_history_keeps_a_tombstone(
    server, make_user
):
    ada = await person(server, make_user, "ada")
    bob = await person(server, make_user, "bob")
    ada_ws, _ = await ada.socket()
    bob_ws, _ = await bob.socket()
    for body in ["one", "two", "three"]:
        await ada_ws.send(json.dumps({"type": "message.send", "body": body}))
    sent = [await next_of(bob_ws, "message") for _ in range(3)]
    await bob_ws.close()  # bob will resume later

    # Bob may not delete Ada's message; Ada may.
    assert (await bob.http.delete(f"/api/messages/{sent[1]['id']}/")).status_code == 403
    assert (await ada.http.delete(f"/api/messages/{sent[1]['id']}/")).status_code == 204
    deleted = await next_of(ada_ws, "message.deleted")
    assert deleted == {
        "type": "message.deleted",
        "id": sent[1]["id"],
        "seq": 2,
        "room": "general",
        "rev": 4,  # three messages, then this deletion
    }

    _, history = await ada.socket()
    assert [(m["seq"], m["body"], m["deleted"]) for m in history["messages"]] == [
        (1, "one", False),
        (2, "", True),
        (3, "three", False),
    ]
    resumed_ws, resumed = await bob.socket(query="after=1")
    assert [(m["seq"], m["body"], m["deleted"]) for m in resumed["messages"]] == [
        (2, "", True),
        (3, "three", False),
    ]
    page = (await bob.http.get("/api/rooms/general/messages/?after=0")).json()
    assert [m["body"] for m in page["messages"]] == ["one", "", "three"]
    for ws in (ada_ws, resumed_ws):
        await ws.close()


async def test_ban_kicks_the_users_sockets_to_that_room_and_refuses_new_ones(
    server, make_user
):
    owner = await person(server, make_user, "owner")
    pest = await person(server, make_user, "pest")
    response = await owner.http.post(
        "/api/rooms/", json={"name": "Quiet", "slug": "quiet"}
    )
    assert response.status_code == 201, response.text
    owner_ws, _ = await owner.socket("quiet")
    pest_ws, _ = await pest.socket("quiet")
    pest_general, _ = await pest.socket("general")
    assert (await next_of(owner_ws, "presence.join"))["user"]["username"] == "pest"

    # Only the owner (or staff) may ban.
    refused = await pest.http.post("/api/rooms/quiet/bans/", json={"username": "owner"})
    assert refused.status_code == 403
    response = await owner.http.post(
        "/api/rooms/quiet/bans/", json={"username": "pest"}
    )
    assert response.status_code == 200

    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(5):
            while True:
                await pest_ws.recv()
    assert pest_ws.close_code == 4403
    assert (await next_of(owner_ws, "presence.leave"))["user"]["username"] == "pest"

    # A new handshake: error `forbidden`, then 4403.
    ws = await connect(
        f"{pest.server.ws_url}/ws/chat/quiet/",
        origin=ORIGIN,
        additional_headers={"Cookie": f"sessionid={pest.key}"},
    )
    assert json.loads(await ws.recv())["code"] == "forbidden"
    with pytest.raises(websockets.ConnectionClosed):
        await ws.recv()
    assert ws.close_code == 4403

    # The ban is about one room: pest's socket to general stays open.
    await pest_general.send(json.dumps({"type": "ping"}))
    assert await next_of(pest_general, "pong") == {"type": "pong"}
    room = await database_sync_to_async(Room.objects.get)(slug="quiet")
    assert await database_sync_to_async(
        lambda: list(room.banned.values_list("username", flat=True))
    )() == ["pest"]
    for ws in (owner_ws, pest_general):
        await ws.close()
