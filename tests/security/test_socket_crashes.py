"""#17 finding 1: a crash in a socket handler left a permanent ghost.

Before: JsonSocket had no try/finally, so a handler that raised closed the
socket with 1006, disconnect() never ran, and this process's heartbeat kept
the user present for good (100 ghosts in 0.6 s from one account, by
exhausting the rate limit and then sending `client_id: "\\ud800"`).

Now whatever a handler raises, the socket's cleanup runs (presence leave,
relay entries), the client gets an `error` (`unavailable`) and close 1011,
the server logs it once with the user and the path, and other sockets
carry on.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from websockets.exceptions import ConnectionClosed

from chat.models import Room
from tests.security.conftest import next_frame, online_ids

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]

SERVER_APP = "tests.security.failing_app:application"
SERVER_ENV = {"CHAT_RATE_LIMIT": "3/60"}


async def closed_code(ws, timeout: float = 5) -> int:
    """Read until the server closes; its close code."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006


async def test_a_handler_that_raises_answers_unavailable_closes_1011_and_leaves(
    asignup, server
):
    alice, bob = await asignup(), await asignup()
    bob_ws, _ = await bob.room()
    alice_ws, _ = await alice.room()
    assert (await next_frame(bob_ws, "presence.join"))["user"]["id"] == alice.user.pk

    await alice_ws.send(json.dumps({"type": "test.crash", "client_id": "c1"}))
    error = await next_frame(alice_ws, "error")
    assert (error["code"], error["ref"]) == ("unavailable", "c1")
    assert await closed_code(alice_ws) == 1011

    # The leave is at once, not after PRESENCE_TTL, and nobody else noticed.
    leave = await next_frame(bob_ws, "presence.leave", timeout=2)
    assert leave["user"]["id"] == alice.user.pk
    assert alice.user.pk not in await sync_to_async(online_ids)(bob)
    await bob_ws.send(json.dumps({"type": "message.send", "body": "still here"}))
    assert (await next_frame(bob_ws, "message"))["body"] == "still here"
    await bob_ws.close()

    log = server.log_path.read_text()
    assert log.count(f"Socket failed: user={alice.user.pk} path=/ws/chat/general/") == 1


async def test_fifty_crashes_from_one_account_leave_no_ghost(asignup, redis_client):
    alice, bob = await asignup(), await asignup()
    for _ in range(50):
        ws, _ = await alice.room()
        await ws.send(json.dumps({"type": "test.crash"}))
        assert await closed_code(ws) == 1011
    site = await alice.site()
    await site.send(json.dumps({"type": "test.crash"}))
    assert await closed_code(site) == 1011
    await asyncio.sleep(0.2)
    assert alice.user.pk not in await sync_to_async(online_ids)(bob)
    # Nothing of alice's 51 sockets is left in Redis for a heartbeat to keep.
    assert not redis_client.hgetall("presence:{site}:owner")


async def test_lone_surrogate_client_id_after_the_rate_limit_is_a_bad_request(
    asignup,
):
    # The exact attack of the finding: exhaust the limit, then a client_id
    # that no database can encode, on the rate-limited look-up.
    alice, bob = await asignup(), await asignup()
    ws, _ = await alice.room()
    for n in range(3):
        await ws.send(json.dumps({"type": "message.send", "body": f"m{n}"}))
        await next_frame(ws, "message")
    frame = {"type": "message.send", "body": "x", "client_id": "\ud800"}
    for _ in range(5):
        await ws.send(json.dumps(frame))
        error = await next_frame(ws, "error")
        assert (error["code"], error["ref"]) == ("bad_request", "\ud800")
    await ws.send(json.dumps({"type": "message.send", "body": "x", "client_id": "ok"}))
    assert (await next_frame(ws, "error"))["code"] == "rate_limited"
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_frame(ws, "pong"))["type"] == "pong"
    await ws.close()
    await asyncio.sleep(0.2)
    assert alice.user.pk not in await sync_to_async(online_ids)(bob)


async def test_a_room_deleted_under_its_sockets_is_not_found_4404(asignup):
    alice, bob = await asignup(), await asignup()
    await sync_to_async(Room.objects.create)(slug="doomed", name="Doomed")
    ws, _ = await alice.room("doomed")
    await sync_to_async(Room.objects.filter(slug="doomed").delete)()
    await ws.send(json.dumps({"type": "message.send", "body": "hi", "client_id": "d"}))
    error = await next_frame(ws, "error")
    assert (error["code"], error["ref"]) == ("not_found", "d")
    assert await closed_code(ws) == 4404
    await asyncio.sleep(0.2)
    assert alice.user.pk not in await sync_to_async(online_ids)(bob)
