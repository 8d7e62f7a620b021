"""Presence after a Redis failover: the promoted replica may lack the last
writes (a join it never got, a leave it never got). Each heartbeat writes
this process's live connections again, whole, not only their expiry, so
within PRESENCE_TTL + PRESENCE_HEARTBEAT presence equals the live sockets
again, with no ghost. Shown on the suite's real Redis, rolled back in time
with DUMP/RESTORE as a replica that lagged would be.
"""

from __future__ import annotations

import asyncio

from presence import api, local
from realtime.groups import SITE_GROUP, room_group
from realtime.redis_clients import get_redis

from .conftest import HEARTBEAT, TTL

ALICE = {"id": 1, "username": "alice", "display_name": "Alice"}
BOB = {"id": 2, "username": "bob", "display_name": "bob"}
CAROL = {"id": 3, "username": "carol", "display_name": "Carol"}


async def snapshot() -> dict[bytes, bytes]:
    client = get_redis()
    return {key: await client.dump(key) for key in await client.keys("presence:*")}


async def roll_back_to(saved: dict[bytes, bytes]) -> None:
    """Redis as a replica that stopped replicating when `saved` was taken."""
    client = get_redis()
    for key in await client.keys("presence:*"):
        await client.delete(key)
    for key, value in saved.items():
        await client.restore(key, 0, value, replace=True)


async def converged(expected: list[dict], room_id: int, within: float) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        site, room = await api.online_users(), await api.room_members(room_id)
        if site == expected and room == expected:
            return loop.time() - started
        assert loop.time() - started < within, (site, room)
        await asyncio.sleep(0.02)


async def test_presence_re_converges_after_redis_loses_the_last_writes(
    fast_presence, listen
):
    await api.connect(socket_id="a", user=ALICE, room_id=7)
    await api.connect(socket_id="b", user=BOB, room_id=7)
    saved = await snapshot()
    # The writes the promoted replica never got: carol came, bob left.
    await api.connect(socket_id="c", user=CAROL, room_id=7)
    await api.disconnect(socket_id="b")
    site, room = await listen(SITE_GROUP), await listen(room_group(7))

    await roll_back_to(saved)
    # Right after the failover: bob is a ghost, carol is missing.
    assert [u["id"] for u in await api.room_members(7)] == [1, 2]

    took = await converged([ALICE, CAROL], 7, within=TTL + HEARTBEAT + 0.5)
    print(f"presence re-converged {took:.2f}s after the rollback")
    # The others learn of it: carol's join again, bob's leave again, each once.
    room_events = [(e["type"], e["user"]["id"]) for e in await room.drain()]
    assert sorted(room_events) == [("presence.join", 3), ("presence.leave", 2)]
    site_events = [(e["type"], e["user"]["id"]) for e in await site.drain()]
    assert sorted(site_events) == [("presence.join", 3), ("presence.leave", 2)]
    for name in ("a", "c"):
        await api.disconnect(socket_id=name)


async def test_a_heartbeat_rewrites_connections_a_flushed_redis_lost(fast_presence):
    await api.connect(socket_id="a", user=ALICE, room_id=7)
    await api.connect(socket_id="c", user=CAROL, room_id=None)
    await get_redis().flushall()
    assert await api.online_users() == []
    # One heartbeat, not TTL: the records are written again, not waited for.
    took = await converged_site([ALICE, CAROL], within=HEARTBEAT * 2 + 0.3)
    assert await api.room_members(7) == [ALICE]
    print(f"presence back {took:.2f}s after FLUSHALL")
    for name in ("a", "c"):
        await api.disconnect(socket_id=name)
    assert await api.online_users() == []
    await local.stop()


async def converged_site(expected: list[dict], within: float) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while await api.online_users() != expected:
        assert loop.time() - started < within
        await asyncio.sleep(0.02)
    return loop.time() - started


async def test_a_heartbeat_in_slices_rewrites_every_socket(fast_presence, monkeypatch):
    # 5 sockets in slices of 2: three pipelines, and none of them left out.
    monkeypatch.setattr(api, "HEARTBEAT_SLICE", 2)
    users = [
        {"id": n, "username": f"u{n}", "display_name": f"U{n}"} for n in range(1, 6)
    ]
    for user in users:
        await api.connect(socket_id=f"s{user['id']}", user=user, room_id=7)
    await get_redis().flushall()
    await converged_site(users, within=HEARTBEAT * 2 + 0.3)
    assert await api.room_members(7) == users
    for user in users:
        await api.disconnect(socket_id=f"s{user['id']}")
    assert await api.online_users() == []
    await local.stop()
