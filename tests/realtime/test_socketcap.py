"""CHAT_MAX_SOCKETS_PER_USER (PROTOCOL.md 1.1): the socket past the cap is
accepted, gets `error` rate_limited and is closed with 4429; slots come
back on close, and with their lease when a process dies."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.core.checks import run_checks

from realtime import socketcap
from realtime.redis_clients import get_redis
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import TIMEOUT, communicator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.fixture(autouse=True)
def _cap_of_two(settings):
    settings.CHAT_MAX_SOCKETS_PER_USER = 2


async def opened(path: str, key: str):
    """(communicator, first frame) of an accepted socket."""
    comm = communicator(path, key)
    connected, code = await comm.connect(TIMEOUT)
    assert connected, code
    return comm, await comm.receive_json_from(TIMEOUT)


async def refused_with_4429(path: str, key: str) -> None:
    comm, first = await opened(path, key)
    assert first["type"] == "error"
    assert first["code"] == "rate_limited"
    assert (await comm.receive_output(TIMEOUT)) == {
        "type": "websocket.close",
        "code": 4429,
    }
    await comm.disconnect()


async def slots(user) -> int:
    return await get_redis().zcard(socketcap.slots_key(user.id))


async def test_room_and_presence_sockets_share_the_cap(make_user):
    user = await sync_to_async(make_user)()
    key = await asession_cookie_for(user)
    room, first = await opened("/ws/chat/general/", key)
    assert first["type"] == "presence.state"
    site, first = await opened("/ws/presence/", key)
    assert first["type"] == "presence.state"
    assert await slots(user) == 2

    await refused_with_4429("/ws/chat/general/", key)
    await refused_with_4429("/ws/presence/", key)
    assert await slots(user) == 2

    # A stranger is not counted against the user, nor the user against them.
    other = await sync_to_async(make_user)()
    other_key = await asession_cookie_for(other)
    stranger, first = await opened("/ws/chat/general/", other_key)
    assert first["type"] == "presence.state"

    # A closed socket gives its slot back at once.
    await room.disconnect()
    assert await slots(user) == 1
    again, first = await opened("/ws/chat/general/", key)
    assert first["type"] == "presence.state"
    for comm in (again, site, stranger):
        await comm.disconnect()
    assert await slots(user) == 0


async def test_a_refused_socket_is_not_present(make_user):
    user = await sync_to_async(make_user)()
    key = await asession_cookie_for(user)
    first, _ = await opened("/ws/presence/", key)
    second, _ = await opened("/ws/presence/", key)
    await refused_with_4429("/ws/chat/general/", key)
    watcher = await sync_to_async(make_user)()
    room, state = await opened("/ws/chat/general/", await asession_cookie_for(watcher))
    assert [u["id"] for u in state["users"]] == [watcher.id]
    for comm in (first, second, room):
        await comm.disconnect()


async def test_concurrent_claims_never_pass_the_cap(make_user):
    user = await sync_to_async(make_user)()
    results = await asyncio.gather(
        *(socketcap.claim(user_id=user.id, socket_id=f"s{i}") for i in range(20))
    )
    assert sum(results) == 2
    for i in range(20):
        await socketcap.release(socket_id=f"s{i}")
    assert await slots(user) == 0


async def test_an_expired_lease_frees_its_slot(make_user, settings):
    settings.PRESENCE_TTL = 0.3
    user = await sync_to_async(make_user)()
    # Slots a dead process left: leases nobody refreshes.
    redis = get_redis()
    await redis.zadd(socketcap.slots_key(user.id), {"dead-1": 0, "dead-2": 0})
    assert await socketcap.claim(user_id=user.id, socket_id="new")
    await socketcap.release(socket_id="new")


async def test_the_heartbeat_keeps_leases_of_open_sockets(make_user, settings):
    settings.PRESENCE_TTL = 0.6
    settings.PRESENCE_HEARTBEAT = 0.15
    user = await sync_to_async(make_user)()
    assert await socketcap.claim(user_id=user.id, socket_id="a")
    assert await socketcap.claim(user_id=user.id, socket_id="b")
    await asyncio.sleep(1.5)  # well past the lease: only refreshes keep it
    assert not await socketcap.claim(user_id=user.id, socket_id="c")
    for socket_id in ("a", "b"):
        await socketcap.release(socket_id=socket_id)


async def test_the_heartbeat_in_slices_keeps_every_users_leases(
    make_user, settings, monkeypatch
):
    settings.PRESENCE_TTL = 0.6
    settings.PRESENCE_HEARTBEAT = 0.15
    settings.CHAT_MAX_SOCKETS_PER_USER = 1
    monkeypatch.setattr(socketcap, "REFRESH_SLICE", 2)  # 5 users: 3 slices
    users = [await sync_to_async(make_user)() for _ in range(5)]
    for user in users:
        assert await socketcap.claim(user_id=user.id, socket_id=f"a{user.id}")
    await asyncio.sleep(1.5)  # well past the lease: only refreshes keep it
    for user in users:
        assert not await socketcap.claim(user_id=user.id, socket_id=f"b{user.id}")
        await socketcap.release(socket_id=f"a{user.id}")


@pytest.mark.parametrize("value", [0, -1, "50", None, True, 2.5])
def test_a_bad_cap_stops_the_server_with_a_sentence(settings, value):
    settings.CHAT_MAX_SOCKETS_PER_USER = value
    errors = [e for e in run_checks() if e.id == "realtime.E002"]
    assert len(errors) == 1
    assert "CHAT_MAX_SOCKETS_PER_USER" in errors[0].msg
