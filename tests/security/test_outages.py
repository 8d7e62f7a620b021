"""#17 findings 4 and 12: Redis or the database failing went silent.

Before: in a Redis outage a message could be stored but never broadcast,
handshakes were accepted then dropped (1006), `/api/online/` answered 500
with an HTML page; with the database locked a socket froze for 20 s and the
message was lost; a ban or a deletion during a Redis blip answered 500 but
was committed, and the kick or `message.deleted` was lost for good.

Now (PROTOCOL.md 1.1, "Server restarts and outages"): the sender gets
`unavailable` with its `ref`, the socket stays open, and a retry with the
same client_id stores the message exactly once; a committed message, ban or
deletion that could not be broadcast is sent by the outbox once Redis
answers; a handshake in an outage gets `unavailable` and 1011; JSON
endpoints answer JSON 503; /healthz is 200 again within 5 s of Redis'
return.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from chat.models import Message, Room
from tests.security.conftest import next_frame
from tests.security.test_socket_crashes import closed_code

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]

SERVER_ENV = {"SQLITE_BUSY_TIMEOUT": "1"}


class PublishSwitch:
    """Redis refusing PUBLISH (every broadcast) while the rest works: a
    blip that hits the broadcast after the commit."""

    def __init__(self, client) -> None:
        self.client = client

    def refuse(self) -> None:
        self.client.execute_command("ACL", "SETUSER", "default", "-publish")

    def allow(self) -> None:
        self.client.execute_command("ACL", "SETUSER", "default", "+@all")


@pytest.fixture
def publish(redis_client) -> Iterator[PublishSwitch]:
    switch = PublishSwitch(redis_client)
    yield switch
    switch.allow()


def wait_healthy(server, within: float) -> float:
    """Seconds until /healthz answers 200 (fails past `within`)."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        try:
            if httpx.get(f"{server.http_url}/healthz", timeout=1).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"/healthz still failing after {within} s")


async def test_a_send_while_redis_is_down_is_unavailable_and_a_retry_stores_once(
    asignup, server, redis_server
):
    alice, bob = await asignup(), await asignup()
    ws, _ = await alice.room()
    bob_ws, _ = await bob.room()
    redis_server.stop()
    try:
        frame = {"type": "message.send", "body": "hello", "client_id": "r1"}
        await ws.send(json.dumps(frame))
        error = await next_frame(ws, "error", timeout=10)
        assert (error["code"], error["ref"]) == ("unavailable", "r1")
        health = await sync_to_async(httpx.get)(f"{server.http_url}/healthz")
        assert health.status_code == 503 and health.json()["redis"] == "down"
    finally:
        redis_server.start()
    assert await sync_to_async(wait_healthy)(server, 5) < 5
    # Sent as soon as /healthz says so: the room's relay may not be
    # subscribed again yet, and then the canary tick reads it back
    # (realtime.canary, chat.fanout: the rooms' stored heads).
    await ws.send(json.dumps(frame))
    reply = await next_frame(ws, "message", timeout=15)
    assert (reply["client_id"], reply["body"]) == ("r1", "hello")
    await ws.send(json.dumps(frame))  # and again: still one message
    assert (await next_frame(ws, "message"))["seq"] == reply["seq"]
    assert await sync_to_async(Message.objects.filter(client_id="r1").count)() == 1
    for socket in (ws, bob_ws):
        await socket.close()


async def test_a_handshake_and_the_json_api_in_an_outage_answer_instead_of_dropping(
    asignup, redis_server
):
    alice = await asignup()
    http = alice.http()
    redis_server.stop()
    try:
        ws = await alice.connect("/ws/chat/general/")
        error = await next_frame(ws, "error", timeout=10)
        assert error["code"] == "unavailable"
        assert await closed_code(ws) == 1011
        for path in ("/api/online/", "/api/rooms/general/presence/"):
            response = await sync_to_async(http.get)(path)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"].startswith("application/json")
            assert response.json() == {"detail": "Temporarily unavailable; retry soon."}
    finally:
        redis_server.start()


async def test_a_message_stored_while_publish_fails_reaches_the_room_later(
    asignup, publish
):
    alice, bob = await asignup(), await asignup()
    ws, _ = await alice.room()
    bob_ws, _ = await bob.room()
    publish.refuse()
    frame = {"type": "message.send", "body": "kept", "client_id": "p1"}
    await ws.send(json.dumps(frame))
    error = await next_frame(ws, "error", timeout=10)
    assert (error["code"], error["ref"]) == ("unavailable", "p1")
    assert await sync_to_async(Message.objects.filter(client_id="p1").count)() == 1
    publish.allow()
    # The outbox broadcasts the stored message once Redis takes it.
    late = await next_frame(bob_ws, "message", timeout=10)
    assert (late["client_id"], late["body"]) == ("p1", "kept")
    await ws.send(json.dumps(frame))
    assert (await next_frame(ws, "message"))["seq"] == late["seq"]
    assert await sync_to_async(Message.objects.count)() == 1
    for socket in (ws, bob_ws):
        await socket.close()


async def test_a_ban_and_a_deletion_during_a_redis_blip_still_reach_the_sockets(
    asignup, publish
):
    owner, bob = await asignup(), await asignup()
    await sync_to_async(Room.objects.create)(slug="club", name="Club", owner=owner.user)
    bob_ws, _ = await bob.room("club")
    owner_ws, _ = await owner.room("club")
    await owner_ws.send(json.dumps({"type": "message.send", "body": "oops"}))
    said = await next_frame(owner_ws, "message")
    http = owner.http()

    publish.refuse()
    deleted = await sync_to_async(http.delete)(f"/api/messages/{said['id']}/")
    assert deleted.status_code == 204
    banned = await sync_to_async(http.post)(
        "/api/rooms/club/bans/", json={"username": bob.user.username}
    )
    assert banned.status_code == 200, banned.text
    await asyncio.sleep(1)
    publish.allow()
    gone = await next_frame(owner_ws, "message.deleted", timeout=10)
    assert gone["id"] == said["id"]
    assert await closed_code(bob_ws, timeout=10) == 4403
    await owner_ws.close()


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the busy timeout is SQLite's lock wait"
)
async def test_a_send_while_the_database_is_locked_is_unavailable_then_stored_once(
    asignup,
):
    alice, bob = await asignup(), await asignup()
    ws, _ = await alice.room()
    bob_ws, _ = await bob.room()
    locker = sqlite3.connect(connection.settings_dict["NAME"], timeout=5)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        frame = {"type": "message.send", "body": "locked", "client_id": "l1"}
        started = time.monotonic()
        await ws.send(json.dumps(frame))
        error = await next_frame(ws, "error", timeout=10)
        assert (error["code"], error["ref"]) == ("unavailable", "l1")
        assert time.monotonic() - started < 5  # SQLITE_BUSY_TIMEOUT=1, not 20 s
        await bob_ws.send(json.dumps({"type": "ping"}))  # others keep going
        await next_frame(bob_ws, "pong")
    finally:
        locker.rollback()
        locker.close()
    await ws.send(json.dumps(frame))
    stored = await next_frame(ws, "message", timeout=10)
    assert stored["client_id"] == "l1"
    assert await sync_to_async(Message.objects.filter(client_id="l1").count)() == 1
    for socket in (ws, bob_ws):
        await socket.close()
