"""#17 findings 6 and 7, and the `ping` flood (Low): cheap frames that cost
the server much more than the client.

Before: alternating `typing` true/false bypassed the throttle (671 frames
became 13,420 deliveries in 2 s); `history.after` with limit=500 turned a
51-byte frame into 24 MB and 0.1 s of the event loop, unthrottled; every
`ping` cost about 14 Redis commands, unthrottled.

Now, per socket: one `typing` per CHAT_TYPING_INTERVAL whatever its
`active` (PROTOCOL.md 1.1), the rest dropped silently; at most
CHAT_PING_LIMIT pings (N in S seconds) refresh presence and get a pong,
the rest dropped; history draws rows from a CHAT_HISTORY_BUDGET bucket
(N rows refilled in S seconds) and a pull past it waits, so one socket
gets at most that many rows per second, and others never wait for it.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async

from chat.models import Message, Room
from tests.security.conftest import next_frame

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]

SERVER_ENV = {"CHAT_PING_LIMIT": "5/10", "CHAT_HISTORY_BUDGET": "500/1"}


async def frames_within(ws, seconds: float) -> list[dict]:
    found = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                found.append(json.loads(await ws.recv()))
    except TimeoutError:
        return found


async def test_alternating_typing_is_forwarded_once_per_second(asignup):
    alice, bob = await asignup(), await asignup()
    bob_ws, _ = await bob.room()
    ws, _ = await alice.room()
    await next_frame(bob_ws, "presence.join")
    started = time.monotonic()
    for n in range(400):
        await ws.send(json.dumps({"type": "typing", "active": n % 2 == 0}))
    sending = time.monotonic() - started
    seen = [f for f in await frames_within(bob_ws, 1.5) if f["type"] == "typing"]
    # One per started second of sending, never 400; and no error to alice.
    assert 1 <= len(seen) <= int(sending + 1.5) + 1
    assert not [f for f in await frames_within(ws, 0.2) if f["type"] == "error"]
    for socket in (ws, bob_ws):
        await socket.close()


async def test_a_ping_flood_gets_limited_pongs_and_few_redis_commands(
    asignup, redis_client
):
    alice = await asignup()
    ws, _ = await alice.room()
    site = await alice.site()
    before = (
        redis_client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    )
    for socket in (ws, site):
        for _ in range(100):
            await socket.send(json.dumps({"type": "ping"}))
    replies = await frames_within(ws, 1) + await frames_within(site, 0.5)
    assert [f["type"] for f in replies] == ["pong"] * 10  # 5 per socket
    after = redis_client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    assert after - before < 60  # 10 refreshes, not 200 (plus a heartbeat)
    await ws.send(json.dumps({"type": "message.send", "body": "still open"}))
    assert (await next_frame(ws, "message"))["body"] == "still open"
    for socket in (ws, site):
        await socket.close()


def _fill(room: Room, author, count: int) -> None:
    Message.objects.bulk_create(
        Message(room=room, seq=n, author=author, body="x" * 100)
        for n in range(1, count + 1)
    )
    Room.objects.filter(pk=room.pk).update(last_seq=count)


async def test_history_pulls_are_bounded_in_rows_per_second_per_socket(
    asignup, general_room
):
    alice, bob = await asignup(), await asignup()
    await sync_to_async(_fill)(general_room, alice.user, 600)
    ws, _ = await alice.room()
    bob_ws, _ = await bob.room()

    started = time.monotonic()
    for _ in range(6):  # 3,000 rows from a bucket of 500 refilled at 500/s
        await ws.send(json.dumps({"type": "history.after", "after": 0, "limit": 500}))
    # Meanwhile another user's socket is not held up by alice's bucket.
    bob_started = time.monotonic()
    await bob_ws.send(json.dumps({"type": "history.after", "after": 0, "limit": 500}))
    assert len((await next_frame(bob_ws, "history"))["messages"]) == 500
    assert time.monotonic() - bob_started < 3
    for _ in range(6):
        page = await next_frame(ws, "history", timeout=20)
        assert len(page["messages"]) == 500
    assert time.monotonic() - started >= (3000 - 500) / 500 - 0.5

    # A short page costs only the rows it had: 20 of them come at once.
    started = time.monotonic()
    for _ in range(20):
        await ws.send(json.dumps({"type": "history.after", "after": 590, "limit": 500}))
    for _ in range(20):
        assert len((await next_frame(ws, "history"))["messages"]) == 10
    # Charged as 500 rows each they would take 19 s; a starved machine took
    # 3.9 s for the 200 rows the bucket holds.
    assert time.monotonic() - started < 8
    for socket in (ws, bob_ws):
        await socket.close()
