"""The site's Redis client, one per running event loop.

redis.asyncio connections belong to the loop that opened them, and Django runs
async views and consumers on more than one loop (uvicorn's, plus the short
loops of async_to_sync), so the client is created lazily per loop, never at
import (as channels_redis does).
"""

import asyncio
import contextlib
import types
import weakref

from django.conf import settings
from redis import asyncio as aioredis

from realtime import redis_options

_clients: (
    "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[tuple, aioredis.Redis]]"
)
_clients = weakref.WeakKeyDictionary()


def get_redis() -> aioredis.Redis:
    """The Redis client for the running loop: REDIS_URL's server, or the
    master that REDIS_SENTINELS name (followed across failovers)."""
    loop = asyncio.get_running_loop()
    # Read on each call: tests point the site at another Redis.
    where = (
        settings.REDIS_URL,
        tuple(settings.REDIS_SENTINELS),
        settings.REDIS_SENTINEL_MASTER,
    )
    cached = _clients.get(loop)
    if cached is not None and cached[0] == where:
        return cached[1]
    url, sentinels, master = where
    client = redis_options.client(url, list(sentinels), master)
    _clients[loop] = (where, client)
    _close_with(loop, client)
    return client


def _close_with(loop: asyncio.AbstractEventLoop, client: aioredis.Redis) -> None:
    # Close the client's connections while its loop can still run them, so
    # a loop that ends (async_to_sync's, a test's) leaves no open sockets.
    original_close = loop.close

    def close(self: asyncio.AbstractEventLoop) -> None:
        self.close = original_close
        if not self.is_running():
            with contextlib.suppress(Exception):
                self.run_until_complete(redis_options.aclose(client))
        original_close()

    loop.close = types.MethodType(close, loop)
