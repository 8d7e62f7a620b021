"""realtime.canary on the suite's real Redis: a process that stops hearing
its own pub/sub notices, says so on /healthz, re-subscribes, and its sockets
get what they missed, also a last message that nothing comes after."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import RequestFactory

from chat import store
from project.health import healthz
from realtime import canary
from realtime.redis_clients import get_redis
from tests.helpers.sockets import open_room, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]

INTERVAL = 0.3


@pytest.fixture(autouse=True)
def fast_canary(settings) -> None:
    settings.PUBSUB_CANARY_INTERVAL = INTERVAL
    settings.PUBSUB_CANARY_TIMEOUT = 0.5
    settings.CHAT_RATE_LIMIT = "1000/1"


@pytest.fixture
async def alice(make_user):
    user = await database_sync_to_async(make_user)("alice")
    sock = await open_room(user)
    yield user, sock
    await sock.close()
    await canary.stop()


async def health() -> tuple[int, dict]:
    response = await healthz(RequestFactory().get("/healthz"))
    return response.status_code, json.loads(response.content)


async def wait_for(predicate, timeout: float = 5.0) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not predicate():
        assert loop.time() - started < timeout, "timed out"
        await asyncio.sleep(0.01)
    return loop.time() - started


async def subscribers(channel: str) -> int:
    ((_, count),) = await get_redis().pubsub_numsub(channel)
    return count


def running() -> canary.Canary:
    found = canary.current()
    assert found is not None and found.task is not None
    return found


async def test_a_live_socket_has_a_canary_and_healthz_says_pubsub_ok(alice):
    await asyncio.sleep(INTERVAL * 3)
    assert running().healthy and running().misses == 0
    assert await health() == (
        200,
        {"ok": True, "db": "ok", "redis": "ok", "pubsub": "ok"},
    )


async def test_the_canary_ends_with_the_last_socket(alice):
    _, sock = alice
    task = running().task
    await sock.close()
    await asyncio.wait_for(task, INTERVAL * 4)
    assert canary.pubsub_ok()


async def deafen() -> None:
    """Unsubscribe this process's pub/sub connection behind redis-py's back,
    as a lost subscription would: no error anywhere, just silence."""
    shard = get_channel_layer()._get_layer()._shards[0]
    await shard._pubsub.connection.send_command("UNSUBSCRIBE")


async def test_a_deaf_process_says_pubsub_down_then_resubscribes_and_repairs(alice):
    _, sock = alice
    await asyncio.sleep(INTERVAL * 2)
    sock.room_id = await database_sync_to_async(
        lambda: store.Room.objects.get(slug="general").pk
    )()
    await deafen()
    await asyncio.sleep(0.1)
    assert await subscribers(f"chat__group__room.{sock.room_id}") == 0
    # Sent while deaf: stored, broadcast, and heard by nobody here.
    await sock.send({"type": "message.send", "body": "in the gap", "client_id": "g"})
    await wait_for(lambda: not running().healthy)
    status, body = await health()
    assert status == 503
    assert body == {"ok": False, "db": "ok", "redis": "ok", "pubsub": "down"}
    # Re-subscribed: healthy again, the lost message read back, once.
    await wait_for(lambda: running().healthy)
    assert (await health())[0] == 200
    assert await subscribers(f"chat__group__room.{sock.room_id}") == 1
    gap = await sock.recv_type("message")
    assert (gap["seq"], gap["body"]) == (1, "in the gap")
    after = await send_message(sock, "after", "a")
    assert after["seq"] == 2
    assert await sock.nothing(INTERVAL * 3)


async def test_a_lost_last_message_is_read_back_with_nothing_after_it(alice):
    user, sock = alice
    room = await database_sync_to_async(lambda: store.Room.objects.get())()
    # Stored, never broadcast (the publish failed): no later message shows
    # the gap, so only the canary's look at the room's head can.
    await database_sync_to_async(store.message_create)(
        room=room, author=user, body="lost", client_id=None
    )
    frame = await sock.recv_type("message", timeout=INTERVAL * 6)
    assert (frame["seq"], frame["body"]) == (1, "lost")
    assert await sock.nothing(INTERVAL * 3)


async def test_a_message_in_flight_is_not_read_from_the_database(alice, monkeypatch):
    _, sock = alice
    reads = []
    from chat import selectors

    real = selectors.message_history
    monkeypatch.setattr(
        selectors, "message_history", lambda **kw: reads.append(kw) or real(**kw)
    )
    for n in range(20):
        await send_message(sock, f"m{n}", f"c{n}")
        await asyncio.sleep(INTERVAL / 4)
    await asyncio.sleep(INTERVAL * 3)
    assert reads == []


async def test_redis_stopped_and_back_is_pubsub_down_then_ok(alice, redis_server):
    _, sock = alice
    await asyncio.sleep(INTERVAL * 2)
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        await wait_for(lambda: not running().healthy)
        status, body = await health()
        assert status == 503 and body["pubsub"] == "down"
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    back = await wait_for(lambda: running().healthy, timeout=10)
    assert (await health())[0] == 200
    print(f"pub/sub healthy again {back:.2f}s after Redis resumed")
    reply = await send_message(sock, "back", "b")
    assert reply["seq"] == 1


async def test_a_late_canary_while_events_arrive_is_busy_not_deaf(monkeypatch):
    """Under load the canary's reply can sit behind a backlog of events;
    reconnecting then would break every subscription in flight. Events
    arriving during the round trip put the miss off, for BUSY_TICKS ticks."""
    probe = canary.Canary()
    reconnects = []

    async def late(layer) -> bool:
        canary.heard()  # a relay got an event meanwhile
        return False

    async def count(layer) -> None:
        reconnects.append(layer)

    monkeypatch.setattr(probe, "_round_trip", late)
    monkeypatch.setattr(canary, "reconnect", count)
    for _ in range(canary.BUSY_TICKS):
        await probe.tick()
        assert probe.healthy and reconnects == []
    await probe.tick()  # late for too long: deaf after all
    assert not probe.healthy and len(reconnects) == 1


async def test_a_late_canary_with_no_events_is_a_miss_at_once(monkeypatch):
    probe = canary.Canary()
    reconnects = []

    async def silent(layer) -> bool:
        return False

    async def count(layer) -> None:
        reconnects.append(layer)

    monkeypatch.setattr(probe, "_round_trip", silent)
    monkeypatch.setattr(canary, "reconnect", count)
    await probe.tick()
    assert not probe.healthy and probe.misses == 1 and len(reconnects) == 1
