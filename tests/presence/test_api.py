"""presence.api against the suite's real Redis and the real pub/sub layer."""

from __future__ import annotations

import asyncio
import random

from presence import api, local
from presence.scripts import INDEX_KEY, scope_keys
from realtime.groups import SITE_GROUP, room_group
from tests.helpers.presence import HEARTBEAT, TTL

ALICE = {"id": 1, "username": "alice", "display_name": "Alice"}
BOB = {"id": 2, "username": "bob", "display_name": "bob"}
CAROL = {"id": 3, "username": "carol", "display_name": "Carol C."}


def kinds(events: list[dict]) -> list[tuple[str, int, int | None]]:
    return [(e["type"], e["user"]["id"], e["room_id"]) for e in events]


async def crash(*socket_ids: str) -> None:
    """Forget sockets the way a killed process does: no disconnect runs."""
    sockets = local.registry().sockets
    for name in socket_ids:
        sockets.pop(name)
    await local.stop()


async def test_two_tabs_are_one_presence(listen):
    site, room = await listen(SITE_GROUP), await listen(room_group(7))
    await api.connect(socket_id="tab1", user=ALICE, room_id=7)
    await api.connect(socket_id="tab2", user=ALICE, room_id=7)
    assert kinds(await room.drain()) == [("presence.join", 1, 7)]
    assert kinds(await site.drain()) == [("presence.join", 1, None)]

    await api.disconnect(socket_id="tab1")
    assert await room.drain() == [] and await site.drain() == []
    assert await api.room_members(7) == [ALICE]

    await api.disconnect(socket_id="tab2")
    assert kinds(await room.drain()) == [("presence.leave", 1, 7)]
    assert kinds(await site.drain()) == [("presence.leave", 1, None)]
    assert await api.room_members(7) == []
    assert await api.online_users() == []


async def test_event_carries_the_user_ref(listen):
    room = await listen(room_group(7))
    await api.connect(socket_id="c", user=CAROL, room_id=7)
    assert await room.next() == {"type": "presence.join", "user": CAROL, "room_id": 7}
    await api.disconnect(socket_id="c")
    assert await room.next() == {"type": "presence.leave", "user": CAROL, "room_id": 7}


async def test_a_site_socket_and_a_room_socket_share_the_site_presence(listen):
    site = await listen(SITE_GROUP)
    await api.connect(socket_id="site", user=ALICE, room_id=None)
    await api.connect(socket_id="room", user=ALICE, room_id=7)
    await api.disconnect(socket_id="site")
    assert kinds(await site.drain()) == [("presence.join", 1, None)]
    assert await api.online_users() == [ALICE]
    await api.disconnect(socket_id="room")
    assert kinds(await site.drain()) == [("presence.leave", 1, None)]


async def test_lists_are_sorted_and_include_the_newcomer(listen):
    for name, user in [("c", CAROL), ("a", ALICE), ("b", BOB)]:
        await api.connect(socket_id=name, user=user, room_id=7)
    await api.connect(socket_id="b2", user=BOB, room_id=8)
    await api.connect(socket_id="s", user={**ALICE, "id": 4, "username": "aaron"},
                      room_id=None)  # fmt: skip
    assert await api.room_members(7) == [ALICE, BOB, CAROL]
    assert [u["username"] for u in await api.online_users()] == [
        "aaron", "alice", "bob", "carol",
    ]  # fmt: skip
    assert await api.room_online_counts([7, 8, 9]) == {7: 3, 8: 1, 9: 0}
    assert await api.room_online_counts([]) == {}
    for name in ("a", "b", "c", "b2", "s"):
        await api.disconnect(socket_id=name)


async def test_disconnect_is_idempotent_and_touch_of_a_stranger_is_a_no_op(listen):
    room = await listen(room_group(7))
    await api.connect(socket_id="c", user=ALICE, room_id=7)
    await api.disconnect(socket_id="c")
    await api.disconnect(socket_id="c")
    await api.disconnect(socket_id="never-connected")
    await api.touch(socket_id="never-connected")
    assert kinds(await room.drain()) == [
        ("presence.join", 1, 7), ("presence.leave", 1, 7),
    ]  # fmt: skip


async def test_concurrent_cycles_balance(listen):
    site, room = await listen(SITE_GROUP), await listen(room_group(7))

    async def cycles(worker: int) -> None:
        for n in range(10):
            name = f"w{worker}.{n}"
            await api.connect(socket_id=name, user=ALICE, room_id=7)
            await asyncio.sleep(random.random() / 100)
            await api.disconnect(socket_id=name)

    await asyncio.gather(*(cycles(worker) for worker in range(5)))  # 50 cycles
    for events, room_id in [(await room.drain(), 7), (await site.drain(), None)]:
        joins = [e for e in events if e["type"] == "presence.join"]
        leaves = [e for e in events if e["type"] == "presence.leave"]
        assert len(joins) == len(leaves) >= 1
        assert {e["room_id"] for e in events} == {room_id}
    assert await api.room_members(7) == []
    assert await api.online_users() == []


async def test_a_connection_that_is_not_refreshed_is_swept(listen, fast_presence):
    room = await listen(room_group(7))
    await api.connect(socket_id="dead", user=ALICE, room_id=7)
    await crash("dead")
    assert kinds(await room.drain()) == [("presence.join", 1, 7)]
    assert await api.sweep() == 0  # not expired yet
    await asyncio.sleep(TTL + 0.1)

    # Two processes sweeping at once: one leave per scope, never two.
    removed = await asyncio.gather(api.sweep(), api.sweep(), api.sweep())
    assert sum(removed) == 2  # the room's record and the site's
    assert kinds(await room.drain()) == [("presence.leave", 1, 7)]
    assert await api.room_members(7) == []


async def test_a_live_connection_outlives_the_ttl(listen, fast_presence):
    site = await listen(SITE_GROUP)
    await api.connect(socket_id="live", user=ALICE, room_id=None)
    await asyncio.sleep(TTL * 3)
    assert await api.online_users() == [ALICE]
    assert kinds(await site.drain()) == [("presence.join", 1, None)]
    await api.disconnect(socket_id="live")


async def test_a_living_process_sweeps_a_dead_ones_room_in_time(listen, fast_presence):
    # The dead process alone had room 7; this process only knows room 8.
    room = await listen(room_group(7))
    await api.connect(socket_id="dead", user=ALICE, room_id=7)
    await crash("dead")
    await room.next()  # the join
    started = asyncio.get_running_loop().time()
    await api.connect(socket_id="live", user=BOB, room_id=8)
    event = await room.next(timeout=TTL + HEARTBEAT + 2)
    assert kinds([event]) == [("presence.leave", 1, 7)]
    assert asyncio.get_running_loop().time() - started <= TTL + HEARTBEAT + 0.5
    await api.disconnect(socket_id="live")


async def test_readers_never_list_an_expired_connection(fast_presence):
    await api.connect(socket_id="dead", user=ALICE, room_id=7)
    await crash("dead")
    await asyncio.sleep(TTL + 0.1)
    assert await api.online_users() == []
    assert await api.room_online_counts([7]) == {7: 0}


async def test_the_index_forgets_only_rooms_that_stay_empty(redis_client):
    await api.connect(socket_id="a", user=ALICE, room_id=7)
    await api.connect(socket_id="b", user=BOB, room_id=8)
    await api.disconnect(socket_id="a")
    await api.sweep()
    assert redis_client.zrange(INDEX_KEY, 0, -1) == [b"8"]
    await api.disconnect(socket_id="b")
    await api.sweep()
    assert redis_client.zrange(INDEX_KEY, 0, -1) == []
    assert not redis_client.keys("presence:*")


async def test_keys_of_a_room_share_one_hash_tag():
    keys = scope_keys(42)
    assert {key.split("}")[0] for key in keys} == {"presence:{r42"}
    assert all("{site}" in key for key in scope_keys(None))


async def test_the_heartbeat_stops_with_the_last_socket(fast_presence):
    await api.connect(socket_id="c", user=ALICE, room_id=None)
    task = local.registry().task
    assert task is not None and not task.done()
    await api.disconnect(socket_id="c")
    await asyncio.wait_for(task, HEARTBEAT * 4)
    assert local.registry().task is None


async def test_presence_converges_after_a_redis_restart(redis_server, fast_presence):
    await api.connect(socket_id="c", user=ALICE, room_id=7)
    redis_server.stop()
    await asyncio.sleep(HEARTBEAT * 2)  # the heartbeat fails meanwhile, and lives
    _start_in_this_thread(redis_server)
    deadline = asyncio.get_running_loop().time() + TTL
    while await _online_or_none() != [ALICE]:
        assert asyncio.get_running_loop().time() < deadline, "did not converge"
        await asyncio.sleep(0.05)
    assert await api.room_members(7) == [ALICE]
    assert not local.registry().task.done()
    await api.disconnect(socket_id="c")


def _start_in_this_thread(redis_server) -> None:
    # Never from a worker thread: LocalRedis asks Linux to kill Redis when the
    # *thread* that started it ends (PR_SET_PDEATHSIG), and executor threads end.
    redis_server.start()


async def _online_or_none() -> list | None:
    try:
        return await api.online_users()
    except Exception:
        return None


async def test_disconnect_while_redis_is_down_does_not_raise(redis_server):
    await api.connect(socket_id="c", user=ALICE, room_id=7)
    redis_server.stop()
    try:
        await api.disconnect(socket_id="c")
    finally:
        _start_in_this_thread(redis_server)
    assert "c" not in local.registry().sockets
