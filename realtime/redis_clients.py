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

_clients: (
    "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[str, aioredis.Redis]]"
)
_clients = weakref.WeakKeyDictionary()


def get_redis() -> aioredis.Redis:
    """The Redis client for the running loop, built from settings.REDIS_URL."""
    loop = asyncio.get_running_loop()
    url = settings.REDIS_URL
    cached = _clients.get(loop)
    if cached is not None and cached[0] == url:
        return cached[1]
    client = aioredis.Redis.from_url(
        url,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry_on_timeout=True,
    )
    _clients[loop] = (url, client)
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
                self.run_until_complete(client.aclose())
        original_close()

    loop.close = types.MethodType(close, loop)
