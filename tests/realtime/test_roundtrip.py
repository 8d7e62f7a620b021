"""realtime.roundtrip: the batch's own pipeline answers as redis-py's would,
on the suite's real Redis, and a lost, silent or cancelled round trip never
leaves a reply for the next one to read."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref

import pytest
from redis import exceptions
from redis.asyncio import Redis

from realtime import batch, redis_options, roundtrip
from realtime.redis_clients import get_redis

COMMANDS = [
    ("SET", "k", "é"),
    ("GET", "k"),
    ("ZINCRBY", "z", 1, "a"),  # a float, by redis-py's callback
    ("ZADD", "z", 2, "b"),
    ("ZMSCORE", "z", "a", "b", "missing"),
    ("ZRANGE", "z", 0, -1, "WITHSCORES"),
    ("HSET", "h", "f", b"\x00\xff"),
    ("HVALS", "h"),
    ("HLEN", "h"),
    ("PUBLISH", "nobody", "x" * 100_000),
    ("EXISTS", "k", "h", "nothing"),
]


async def replies_of_redis_py(client: Redis, commands) -> list:
    async with client.pipeline(transaction=False) as pipe:
        for command in commands:
            pipe.execute_command(*command)
        return await pipe.execute(raise_on_error=False)


async def test_replies_are_redis_pys(redis_client):
    client = get_redis()
    ours = await roundtrip.line(client).run(COMMANDS)
    redis_client.flushall()
    assert ours == await replies_of_redis_py(client, COMMANDS)
    assert ours[2] == 1.0 and isinstance(ours[2], float)


async def test_hiredis_packs_the_bytes_redis_py_would():
    client = get_redis()
    connection = client.connection_pool.make_connection()
    by_redis_py = b"".join(connection.pack_commands(COMMANDS))
    assert roundtrip._pack(COMMANDS) == [by_redis_py]


async def test_a_refused_command_answers_alone_and_the_rest_stay_in_step():
    line = roundtrip.line(get_redis())
    replies = await line.run(
        [("SET", "s", "1"), ("HGET", "s", "f"), ("EVALSHA", "0" * 40, 0), ("GET", "s")]
    )
    assert replies[0] is True and replies[3] == b"1"
    assert isinstance(replies[1], exceptions.ResponseError)  # WRONGTYPE
    assert isinstance(replies[2], exceptions.NoScriptError)
    assert await line.run([("GET", "s")]) == [b"1"]


async def test_a_killed_connection_is_retried_once_more():
    client = get_redis()
    line = roundtrip.line(client)
    assert await line.run([("SET", "a", "1")]) == [True]
    killed = await client.execute_command(
        "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"
    )
    assert killed >= 1  # the line's connection among them
    assert await line.run([("INCR", "a"), ("GET", "a")]) == [2, b"2"]


async def test_a_cancelled_round_trip_leaves_no_reply_behind():
    line = roundtrip.line(get_redis())
    # BLPOP holds its reply back: cancel while it is awaited.
    task = asyncio.ensure_future(line.run([("BLPOP", "empty", 1), ("SET", "b", "1")]))
    await asyncio.sleep(0.1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.sleep(1.1)  # the BLPOP's nil would be sent by now
    assert await line.run([("SET", "c", "2"), ("GET", "c"), ("PING",)]) == [
        True,
        b"2",
        True,
    ]


async def test_a_silent_server_is_a_timeout_not_a_hang(redis_client):
    line = roundtrip.line(get_redis())
    assert await line.run([("SET", "p", "1")]) == [True]
    line.timeout = 0.2
    redis_client.execute_command("CLIENT", "PAUSE", 1500, "ALL")  # a stopped Redis
    try:
        with pytest.raises(exceptions.TimeoutError):
            await asyncio.wait_for(line.run([("GET", "p")]), 5)
        # Its late reply was on a socket closed since: nothing out of step.
        assert not line.connection.is_connected
    finally:
        line.timeout = redis_options.SOCKET_TIMEOUT
    assert await line.run([("SET", "p", "2"), ("GET", "p")]) == [True, b"2"]


async def test_closing_the_client_closes_the_line(settings):
    client = redis_options.client(settings.REDIS_URL, [], "")
    line = roundtrip.line(client)
    await line.run([("PING",)])
    assert line.connection.is_connected
    await redis_options.aclose(client)
    assert not line.connection.is_connected


async def test_the_batch_uses_the_line_and_loads_scripts_on_noscript():
    lua = batch.Lua("return ARGV[1]")
    await get_redis().script_flush()
    assert await batch.script(lua, [], ["back"]) == b"back"
    assert await batch.command("GET", "nothing") is None


async def test_a_line_does_not_keep_its_client_alive(settings):
    client = redis_options.client(settings.REDIS_URL, [], "")
    await roundtrip.line(client).run([("PING",)])
    await redis_options.aclose(client)
    gone = weakref.ref(client)
    del client
    gc.collect()
    assert gone() is None


async def test_round_trips_at_once_on_one_line_each_get_their_own_replies():
    line = roundtrip.line(get_redis())
    replies = await asyncio.gather(
        *(line.run([("SET", f"n{i}", i), ("GET", f"n{i}")]) for i in range(50))
    )
    assert replies == [[True, str(i).encode()] for i in range(50)]


async def test_an_error_between_replies_leaves_none_for_the_next_round_trip():
    line = roundtrip.line(get_redis())

    def refuse(reply):
        raise ValueError("a reply this code cannot read")

    line.callbacks = {"GET": refuse}
    with pytest.raises(ValueError):
        await line.run([("GET", "a"), ("SET", "a", "1"), ("GET", "a")])
    line.callbacks = get_redis().response_callbacks
    assert await line.run([("PING",), ("GET", "a")]) == [True, b"1"]
