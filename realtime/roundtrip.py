"""One pipeline's round trip for the loop's batch (realtime.batch), on a
connection the batch keeps.

redis-py's Pipeline.execute is built for any caller: it takes a connection
from the pool under a lock, runs its observability hooks, packs commands in
Python, wraps the send in asyncio.wait_for (a Task each time) and every reply
in a timeout of its own. The handshake profile put a fifth of the event
loop's time there. A batch sends one pipeline at a time per loop, so it can
keep one connection for good: commands packed by hiredis (C), one timeout
for the whole round trip, replies read as they come.

Kept from redis-py: the connection's own connect, health check, retry policy
(realtime.redis_options) and Sentinel handling (a demoted master's READONLY
reconnects), and the client's reply callbacks, so a command answers here as
it would from `client.execute_command`. The connection stays in the pool's
in-use set, so closing the client or dropping its connections after a
failover (redis_options.follow_master) closes it too.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

from hiredis import pack_command
from redis import exceptions
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection


class Line:
    """The batch's connection to one client's server."""

    def __init__(self, client: Redis) -> None:
        # Not the client itself: the lines are kept by client, weakly.
        self.pool = client.connection_pool
        self.callbacks = client.response_callbacks
        self.connection: AbstractConnection | None = None
        self.timeout: float | None = self.pool.connection_kwargs.get("socket_timeout")
        # The batch sends one pipeline at a time per loop; the lock makes
        # that a property of the line (replies are read in order of sends).
        self.lock = asyncio.Lock()

    async def run(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Each command's reply, in order; a command Redis refused answers
        with its ResponseError instead (as `execute(raise_on_error=False)`).
        A lost connection is retried as the connection's policy says, the
        whole pipeline again (as redis-py's pipeline does)."""
        packed = _pack(commands)
        connection = self.connection or await self._connection()

        async def fail(error: Exception) -> None:
            await connection.disconnect(nowait=True)

        async with self.lock:
            return await connection.retry.call_with_retry(
                lambda: self._once(connection, packed, commands), fail
            )

    async def _connection(self) -> AbstractConnection:
        async with self.lock:
            if self.connection is None:
                connection = await self.pool.get_connection()
                # The round trip's own timeout covers every reply at once.
                connection.socket_timeout = None
                self.connection = connection
            return self.connection

    async def _once(
        self,
        connection: AbstractConnection,
        packed: list[bytes],
        commands: Sequence[Sequence[Any]],
    ) -> list[Any]:
        callbacks = self.callbacks
        replies: list[Any] = []
        try:
            async with asyncio.timeout(self.timeout):
                if not connection.is_connected:
                    # connect(), not send_packed_command's own reconnect:
                    # only connect() asks the Sentinels for the master (as
                    # redis-py's pool does when it hands a connection out).
                    # Within the timeout: its handshake reads replies too.
                    await connection.connect()
                await connection.send_packed_command(packed)  # PINGs when due
                for command in commands:
                    try:
                        reply = await connection.read_response()
                    except exceptions.ResponseError as error:
                        replies.append(error)
                        continue
                    callback = callbacks.get(command[0])
                    replies.append(reply if callback is None else callback(reply))
        except TimeoutError:
            # Replies may still be on their way: the stream is out of step.
            await connection.disconnect(nowait=True)
            raise exceptions.TimeoutError("Timeout reading from Redis") from None
        except BaseException:
            # Anything else mid-reply (a cancel, a callback's error): the
            # replies left unread would answer the next round trip.
            await connection.disconnect(nowait=True)
            raise
        return replies


def _pack(commands: Sequence[Sequence[Any]]) -> list[bytes]:
    return [b"".join(pack_command(tuple(command)) for command in commands)]


_lines: weakref.WeakKeyDictionary[Redis, Line] = weakref.WeakKeyDictionary()


def line(client: Redis) -> Line:
    """The batch's line to `client`'s server (one per client, so per loop)."""
    found = _lines.get(client)
    if found is None:
        found = _lines[client] = Line(client)
    return found
