"""REDIS_SENTINELS: the site follows the master that real Sentinels name,
through a failover, without a restart (the channel layer, presence, the rate
limit, /healthz). One replica and one Sentinel keep it quick; tests/ha runs
the three-Sentinel cluster behind HAProxy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers

from devserver.redisha import RedisHA
from realtime import canary, redis_options
from realtime.redis_clients import get_redis
from tests.helpers.sockets import open_room, send_message
from tests.realtime.test_canary import health

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.fixture
def sentinel_redis(tmp_path, settings) -> Iterator[RedisHA]:
    ha = RedisHA(tmp_path / "ha", replicas=1, sentinels=1, quorum=1).start()
    try:
        sentinels = redis_options.parse_sentinels(ha.sentinels_env)
        settings.REDIS_SENTINELS = sentinels
        settings.REDIS_SENTINEL_MASTER = ha.master_name
        settings.CHANNEL_LAYERS = {
            "default": {
                **settings.CHANNEL_LAYERS["default"],
                "CONFIG": {
                    **settings.CHANNEL_LAYERS["default"]["CONFIG"],
                    "hosts": redis_options.layer_hosts("", sentinels, ha.master_name),
                },
            }
        }
        settings.PUBSUB_CANARY_INTERVAL = 0.3
        settings.PUBSUB_CANARY_TIMEOUT = 0.5
        settings.CHAT_RATE_LIMIT = "1000/1"
        channel_layers.backends = {}
        yield ha
    finally:
        channel_layers.backends = {}
        ha.stop()


def master_port() -> int:
    return get_redis().connection_pool.master_address[1]


async def test_everything_follows_a_sentinel_failover(sentinel_redis, make_user):
    ha = sentinel_redis
    alice = await database_sync_to_async(make_user)("alice")
    sock = await open_room(alice)
    assert (await send_message(sock, "before", "b"))["seq"] == 1
    old = ha.master()
    assert master_port() == old.port
    with old.client() as client:
        assert client.keys("presence:*") and client.keys("chat:rate:*")

    started = time.monotonic()
    with ha.sentinels[0].client() as client:
        client.execute_command("SENTINEL", "FAILOVER", ha.master_name)
    while ha.master() is old:  # noqa: ASYNC110 (another process decides)
        await asyncio.sleep(0.02)
    switched = time.monotonic() - started
    new = ha.master()

    # Without a restart: the site's client moves to the new master (the
    # canary asks the Sentinels), and presence and rate limits write there.
    while master_port() != new.port:
        assert time.monotonic() - started < 10, "the client stayed with the old master"
        await asyncio.sleep(0.02)
    reply = await send_message(sock, "after", "a")
    assert reply["seq"] == 2
    followed = time.monotonic() - started
    with new.client() as client:
        assert client.keys("chat:rate:*")
        while not client.keys("presence:*"):
            assert time.monotonic() - started < 10, "presence not rewritten"
            await asyncio.sleep(0.05)
    assert (await health())[1]["pubsub"] == "ok"
    assert canary.current().healthy
    print(
        f"Sentinels switched in {switched:.2f}s; the site followed in {followed:.2f}s"
    )
    await sock.close()
    await canary.stop()
